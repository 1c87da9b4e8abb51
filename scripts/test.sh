#!/usr/bin/env bash
# The test command (CI runs exactly this): debug builds, the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Formatting is checked first: it takes seconds and names the file.
if cargo fmt --version >/dev/null 2>&1; then
  cargo fmt --all --check
else
  echo "test: rustfmt is not installed here; formatting not checked" >&2
fi
cargo test --workspace --locked
# The Python package: built into .venv (debug, sharing target/), then its tests.
.venv/bin/maturin develop --locked -q
.venv/bin/python -m pytest -q python/tests
