#!/usr/bin/env bash
# The main job: install what is needed, build, and run the demo — simulate
# one episode, compare every heuristic with the upper reference on the
# shipped scenarios, train a policy briefly, and evaluate the shipped models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked
DFAAS=target/release/dfaas
OUT=${OUT:-out/demo}
mkdir -p "$OUT"

echo "== simulate: DFaaS CloudNet 2021 (capacity model), slack-proportional, one episode"
$DFAAS simulate --scenario experiments/scenarios/dfaas-cloudnet21.toml --policy slack-proportional --csv "$OUT/cloudnet21-slots.csv" | tail -n 12

echo "== compare: heuristics vs oracle on CloudNet 2021"
$DFAAS compare --scenario experiments/scenarios/dfaas-cloudnet21.toml

echo "== compare: heuristics vs oracle on marl-dfaas master, 5 agents (serverless model)"
$DFAAS compare --scenario experiments/scenarios/marl-master-5.toml --json > "$OUT/marl-master-5.json"
$DFAAS compare --scenario experiments/scenarios/marl-master-5.toml

echo "== compare: heuristics vs global node on marl-dfaas paper, 5 agents (queue model)"
$DFAAS compare --scenario experiments/scenarios/marl-paper-5.toml

echo "== train: a short PPO run on CloudNet 2021, export it, evaluate it"
rm -rf "$OUT/run-cloudnet21"
$DFAAS train --scenario experiments/scenarios/dfaas-cloudnet21.toml --iterations 40 --run "$OUT/run-cloudnet21" --quiet
$DFAAS export --run "$OUT/run-cloudnet21" --out "$OUT/cloudnet21-demo"
$DFAAS evaluate --model "$OUT/cloudnet21-demo.dfpolicy" --scenario experiments/scenarios/dfaas-cloudnet21.toml

for m in models/*.dfpolicy; do
  [ -e "$m" ] || continue
  name=$(basename "$m" .dfpolicy)
  s="experiments/scenarios/$name.toml"
  [ -f "$s" ] || continue
  echo "== evaluate the shipped model $m on $s"
  $DFAAS evaluate --model "$m" --scenario "$s"
done

echo "demo outputs in $OUT"
