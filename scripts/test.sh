#!/usr/bin/env bash
# The test command (CI runs exactly this): debug builds, the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Formatting is checked first: it takes seconds and names the file.
cargo fmt --all --check
# Lints (the workspace's [workspace.lints] plus clippy's defaults) on every
# target, benches and examples included: a warning fails the run.
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The API docs build without a warning (broken intra-doc links are errors).
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked -q
# The Python package: built into .venv (debug, sharing target/), then its tests.
.venv/bin/maturin develop --locked -q
.venv/bin/python -m pytest -q python/tests
