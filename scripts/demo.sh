#!/usr/bin/env bash
# The main job: install what is needed, build, and run the demo — simulate
# one episode, compare every heuristic with the upper reference on the
# shipped scenarios, train a policy briefly, evaluate the shipped models, put
# open-loop load on a live gateway, run the CloudNet 2021 experiment on three
# live agent processes, compare the simulator with live agents deciding for
# themselves on a bursty workload (sim2real through the deployed path), and
# draw the figures (dfaas report).
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

echo "== compare: heuristics vs the stale oracle, the oracle and the global node on marl-dfaas paper, 5 agents (queue model)"
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

echo "== live: one gateway with a synthetic function on 127.0.0.1, open-loop load for 3 s"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$OUT/node1.toml" <<EOF
node_id = "n1"
listen = "127.0.0.1:$PORT"
key_file = "n1.key"
[[functions]]
name = "work"
backend = { kind = "synthetic", warm_s = 0.01, cold_s = 0.05, idle_s = 30.0, max_instances = 4 }
admission = { max_concurrency = 4, queue = 8 }
weights = { local = 100 }
EOF
$DFAAS agent --config "$OUT/node1.toml" 2> "$OUT/node1.log" &
AGENT=$!
trap 'kill $AGENT 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
$DFAAS loadgen --target "http://127.0.0.1:$PORT/function/work" --rate 200 --duration 3
kill $AGENT 2>/dev/null || true

echo "== live cluster: DFaaS CloudNet 2021 on 3 agent processes (127.0.0.1), slack-proportional, 8 one-second slots"
$DFAAS cluster --scenario experiments/scenarios/dfaas-cloudnet21.toml --slots 8 --slot-seconds 1 --policy slack-proportional --out "$OUT/cluster-cloudnet21"

echo "== sim2real through the deployed path: capacity-5 with on/off bursts, 5 agent processes on their own"
echo "   timers, each predicting its load and running the learned policy in-process; 20 one-second slots"
$DFAAS sim2real --scenario experiments/scenarios/capacity-5-bursty.toml --model models/capacity-5-bursty.dfpolicy \
  --slots 20 --json > "$OUT/sim2real-bursty.json"
$DFAAS sim2real --scenario experiments/scenarios/capacity-5-bursty.toml --model models/capacity-5-bursty.dfpolicy \
  --slots 20 | head -n 12

echo "== beyond one machine: the same CloudNet federation as Kubernetes manifests (kubectl apply -f ...;"
echo "   image: deploy/Containerfile; guide: docs/DEPLOY.md), with the learned policy in its ConfigMap"
$DFAAS deploy kubernetes --scenario experiments/scenarios/dfaas-cloudnet21.toml \
  --model models/dfaas-cloudnet21.dfpolicy --out "$OUT/kubernetes"

echo "== report: figures and a Markdown summary of the comparison, the training run and sim2real"
$DFAAS report "$OUT/marl-master-5.json" --out "$OUT/report-marl-master-5"
$DFAAS report "$OUT/run-cloudnet21" --out "$OUT/report-training"
$DFAAS report "$OUT/sim2real-bursty.json" --out "$OUT/report-sim2real"

echo "demo outputs in $OUT"
