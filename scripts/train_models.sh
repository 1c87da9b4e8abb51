#!/usr/bin/env bash
# Retrains and exports every shipped model with the `default` preset, or the
# experiment file in experiments/train/NAME.toml where there is one (see
# models/README.md), with a release build; runs land in runs/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
D=target/release/dfaas
train() {
  local s=$1
  shift
  rm -rf "runs/$s"
  if [ -f "experiments/train/$s.toml" ]; then
    "$D" train --config "experiments/train/$s.toml" --run "runs/$s" --quiet "$@"
  else
    "$D" train --scenario "experiments/scenarios/$s.toml" --run "runs/$s" --quiet "$@"
  fi
  "$D" export --run "runs/$s" --out "models/$s"
}
for s in marl-master-5 marl-master-2 dfaas-cloudnet21 marl-paper-5 marl-paper-2; do
  train "$s"
done
# 30-slot episodes: more iterations for the same number of agent steps.
for s in capacity-5 capacity-5-bursty trace-5 serverless-3; do
  train "$s" --iterations 1500
done
# One policy for capacity-model federations of any size (trained on a new
# generated federation of 3–150 nodes every episode,
# experiments/train/general-capacity.toml).
train general-capacity
# Several functions per node: the per-agent reward (models/README.md).
for s in functions-5x3 dfaas-image-text serverless-image-text; do
  rm -rf "runs/$s-env"
  "$D" train --scenario "experiments/scenarios/functions/$s.toml" --iterations 1500 --reward env \
    --run "runs/$s-env" --quiet
  "$D" export --run "runs/$s-env" --out "models/$s.dfpolicy"
done
