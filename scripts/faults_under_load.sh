#!/usr/bin/env bash
# A live CloudNet 2021 federation (3 `dfaas agent` processes on 127.0.0.1,
# 1 s slots, slack-proportional) under httperf load while members fail:
# 50 req/s into node_1 (capacity 10 req/s; it forwards to node_2 and
# node_3) for LOAD_S seconds; at STOP_AT s node_2 is SIGSTOPped, at CONT_AT s
# resumed, at KILL_AT s node_3 is SIGKILLed.
#
# Prints httperf's own account (every request answered? by status class,
# client errors), node_1's per-reason rejects (504 peer-timeout: sent to a
# member that stopped, never run locally), and the executions counted on all
# members (`dfaas_runs_total`) against the successful answers: no request is
# executed twice when runs <= 2xx + 504 peer-timeout.
#
# Usage: scripts/faults_under_load.sh [path/to/dfaas] (default: the release
# build, brought up to date). Installs httperf if missing. Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${1:-}" ]; then BIN=$1; else cargo build --release -q -p dfaas; BIN=target/release/dfaas; fi
LOAD_S=${LOAD_S:-30}
RATE=${RATE:-50}
STOP_AT=${STOP_AT:-6}
CONT_AT=${CONT_AT:-12}
KILL_AT=${KILL_AT:-18}
if ! command -v httperf >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq httperf
fi
WORK=$(mktemp -d)
CPID=""
cleanup() {
  [ -n "$CPID" ] && { pkill -CONT -P "$CPID" 2>/dev/null || true; kill "$CPID" 2>/dev/null || true; wait "$CPID" 2>/dev/null || true; }
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# The cluster's own load off: httperf is the only client.
sed 's/^rate_rps = .*/rate_rps = [0.0, 0.0, 0.0]/' experiments/scenarios/dfaas-cloudnet21.toml >"$WORK/quiet.toml"
"$BIN" cluster --scenario "$WORK/quiet.toml" --slots $((LOAD_S + 15)) --slot-seconds 1 --out "$WORK/fed" >"$WORK/cluster.out" 2>"$WORK/cluster.err" &
CPID=$!
gw() { sed -n 's/^listen = "\(.*\)"/\1/p' "$WORK/fed/$1.node.toml"; }
pid_of() { pgrep -P "$CPID" -f "$1.agent.toml"; }
for _ in $(seq 300); do
  [ -f "$WORK/fed/node_3.node.toml" ] && curl -fsS -o /dev/null "http://$(gw node_1)/healthz" 2>/dev/null \
    && curl -fsS -o /dev/null "http://$(gw node_3)/healthz" 2>/dev/null && break
  sleep 0.1
done
sleep 3 # the federation forms (gossip, first slots)
N1=$(gw node_1)
metrics() { curl -fsS "http://$(gw "$1")/metrics" 2>/dev/null || true; }
runs() { metrics "$1" | awk '/^dfaas_runs_total\{.*result="ok"/ { print $2 }'; }

NUM=$((LOAD_S * RATE))
httperf --hog --server "${N1%:*}" --port "${N1##*:}" --uri /function/f --method POST \
  --rate "$RATE" --num-conns "$NUM" --num-calls 1 --timeout 20 >"$WORK/httperf.txt" 2>&1 &
HP=$!
sleep "$STOP_AT"; kill -STOP "$(pid_of node_2)"; echo "t=${STOP_AT}s: node_2 stopped"
sleep $((CONT_AT - STOP_AT)); kill -CONT "$(pid_of node_2)"; echo "t=${CONT_AT}s: node_2 resumed"
sleep $((KILL_AT - CONT_AT))
RUNS3=$(runs node_3)
kill -KILL "$(pid_of node_3)"; echo "t=${KILL_AT}s: node_3 killed (it had run $RUNS3)"
wait "$HP" || true
sleep 2
RUNS1=$(runs node_1); RUNS2=$(runs node_2)
echo
grep -E "^Total:|^Reply status|^Errors:|^Reply time|^Request rate" "$WORK/httperf.txt"
M1=$(metrics node_1)
echo
echo "node_1 rejects by reason (user requests):"
echo "$M1" | awk '/^dfaas_rejects_total\{.*origin="user"/ { match($0, /reason="[^"]*"/); r = substr($0, RSTART + 8, RLENGTH - 9); if ($2 > 0) printf "  %-22s %d\n", r, $2 }'
echo "$M1" | awk '/^dfaas_forwards_shed_total/ { match($0, /peer="[^"]*"/); printf "  shed to %s: %d\n", substr($0, RSTART + 6, RLENGTH - 7), $2 }'
echo "$M1" | awk '/^dfaas_latency_seconds_bucket.*le="1"/ { le1 = $2 } /^dfaas_latency_seconds_count/ { n = $2 } END { printf "  successes answered after more than 1 s: %d of %d\n", n - le1, n }'
OK=$(awk '/^Reply status/ { for (i = 1; i <= NF; i++) if ($i ~ /^2xx=/) { split($i, a, "="); print a[2] } }' "$WORK/httperf.txt")
PT=$(echo "$M1" | awk '/^dfaas_rejects_total\{.*reason="peer-timeout",origin="user"/ { print $2 }')
PT=${PT:-0}
RUNS=$((RUNS1 + RUNS2 + RUNS3))
echo
echo "executions on all members: $RUNS (node_1 $RUNS1, node_2 $RUNS2, node_3 $RUNS3 before its kill)"
echo "answers: 2xx $OK, 504 peer-timeout $PT: executions <= 2xx + peer-timeouts: $([ "$RUNS" -le $((OK + PT)) ] && echo yes || echo NO)"
