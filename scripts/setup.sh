#!/usr/bin/env bash
# Installs what DFaaS needs on a fresh Debian machine with Rust (rustup) and
# fetches the crates. Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests need (figlet: the reference
# function of the runtime's process-backend test).
PKGS=(pkg-config python3-venv figlet curl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Python TensorBoard in .venv: training/tests/tensorboard_readable.rs and
# scripts/check_tensorboard.py prove with it that TensorBoard reads our event files.
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c "import tensorboard" >/dev/null 2>&1; then
  echo "setup: installing tensorboard into .venv"
  .venv/bin/pip install -q tensorboard==2.21.0
fi

# kubernetes-validate (its Kubernetes JSON schemas bundled, offline): the
# test suite validates the manifests `dfaas deploy kubernetes` writes.
if ! .venv/bin/python -c "import kubernetes_validate" >/dev/null 2>&1; then
  echo "setup: installing kubernetes-validate into .venv"
  .venv/bin/pip install -q kubernetes-validate==1.37.0
fi

# The Python package (python/, module dfaas): maturin builds it into .venv;
# its tests (python/tests, pytest) run PettingZoo's API and seed tests and
# build ONNX models with the onnx package.
PY_PKGS=(maturin==1.16.0 pettingzoo==1.27.0 gymnasium==1.4.0 numpy==2.4.6 pytest==9.2.0 onnx==1.23.2)
if ! .venv/bin/python -c "import maturin, pettingzoo, gymnasium, numpy, pytest, onnx" >/dev/null 2>&1; then
  echo "setup: installing the Python package's build and test tools into .venv"
  .venv/bin/pip install -q "${PY_PKGS[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo not found: install Rust with rustup first" >&2; exit 1; }
# The test command checks formatting and lints: rustfmt and clippy (rustup's
# default profile has both; a minimal one does not).
for c in rustfmt clippy; do
  if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1 && command -v rustup >/dev/null; then
    echo "setup: installing the $c component"
    rustup component add "$c"
  fi
done
cargo fetch --locked
