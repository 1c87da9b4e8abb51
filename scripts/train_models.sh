#!/usr/bin/env bash
# Retrains and exports the shipped models trained with the `default` preset
# (see models/README.md), with a release build; runs land in runs/NAME.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
D=target/release/dfaas
for s in marl-master-5 marl-master-2 dfaas-cloudnet21 capacity-5; do
  rm -rf "runs/$s"
  "$D" train --scenario "experiments/scenarios/$s.toml" --run "runs/$s" --quiet
  "$D" export --run "runs/$s" --out "models/$s"
done
