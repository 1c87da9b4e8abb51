#!/usr/bin/env bash
# The Python worked examples (examples/python/): installs their heavy tools
# (PyTorch, Ray RLlib) into a separate environment, .venv-examples, never the
# test suite's .venv; builds the dfaas package (release) into it and the CLI;
# then trains on marl-master-5 with CleanRL-style IPPO and with RLlib PPO,
# exports each policy to ONNX, evaluates it against every heuristic and the
# oracle (held-out episodes), and runs it live in `dfaas cluster` on the
# capacity-5 scenario. Outputs in out/examples/{cleanrl,rllib}/.
#
#   ./scripts/examples.sh            # both examples (about 30 minutes on 2 cores, installs excluded)
#   ./scripts/examples.sh cleanrl    # one of them
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

V=.venv-examples
PKGS=(torch==2.15.0 "ray[rllib]==2.60.0" pettingzoo==1.27.0 onnx==1.23.2 maturin==1.16.0)
[ -x $V/bin/python ] || python3 -m venv $V
if ! $V/bin/python -c "import torch, ray.rllib, pettingzoo, onnx, maturin" >/dev/null 2>&1; then
  echo "examples: installing PyTorch and Ray RLlib into $V (several GiB)"
  $V/bin/pip install -q "${PKGS[@]}"
fi
echo "examples: building the dfaas package (release) into $V"
VIRTUAL_ENV="$PWD/$V" $V/bin/maturin develop --release --locked -q
cargo build --release --locked -p dfaas
D=target/release/dfaas

run_one() {
  local name=$1 script=$2
  local out=out/examples/$name
  mkdir -p "$out"
  echo "examples: $name: training (curve in $out/curve.csv)"
  $V/bin/python "$script" --scenario marl-master-5 --out "$out"
  echo "examples: $name: dfaas evaluate on held-out episodes"
  $D evaluate --model "$out/policy.onnx" --scenario experiments/scenarios/marl-master-5.toml \
    --episodes 50 --seed 900000 | tee "$out/evaluate.txt"
  echo "examples: $name: live, 5 agents, capacity-5 (dfaas cluster)"
  $D cluster --scenario experiments/scenarios/capacity-5.toml --model "$out/policy.onnx" \
    --slots 30 | tee "$out/cluster.txt"
  echo "examples: $name: done"
}

# The live baseline: the same cluster run with the default heuristic.
mkdir -p out/examples
$D cluster --scenario experiments/scenarios/capacity-5.toml --slots 30 > out/examples/cluster-slack-proportional.txt

which=${1:-all}
case $which in
  cleanrl) run_one cleanrl examples/python/cleanrl_ippo.py ;;
  rllib) run_one rllib examples/python/rllib_ppo.py ;;
  all)
    run_one cleanrl examples/python/cleanrl_ippo.py
    run_one rllib examples/python/rllib_ppo.py
    echo "examples: both ONNX policies beside the shipped model, a tuned static split and the references"
    $D compare --scenario experiments/scenarios/marl-master-5.toml --model models/marl-master-5.dfpolicy \
      --model out/examples/cleanrl/policy.onnx --model out/examples/rllib/policy.onnx \
      --policies static:local=0.4,slack-proportional --episodes 50 --seed 900000 | tee out/examples/compare.txt
    ;;
  *) echo "usage: $0 [cleanrl|rllib|all]" >&2; exit 2 ;;
esac
