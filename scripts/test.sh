#!/usr/bin/env bash
# The test command (CI runs exactly this): debug builds, the whole workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Formatting is checked first: it takes seconds and names the file.
cargo fmt --all --check
cargo test --workspace --locked
