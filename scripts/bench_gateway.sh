#!/usr/bin/env bash
# Benchmarks the runtime gateway on 127.0.0.1 against HAProxy, in one run:
#   (a) a synthetic zero-work function served locally by gateway a,
#   (b) the same function called on gateway b, which forwards it (signed,
#       one hop) to a,
#   (c) HAProxy (Debian) forwarding to a.
# For each: wrk at fixed settings (max throughput, latency percentiles), then
# an open-loop fixed rate (default 500 req/s) with the bench binary's load
# generator (p50/p99 measured from each request's scheduled start).
# Prints the figures and the ratios. Installs wrk and haproxy if missing.
#
# Settings (environment): DURATION (wrk run, s, default 10), CONNS (wrk
# connections, default 32), THREADS (wrk threads, default 2), RATE (open-loop
# req/s, default 500), ROUNDS (open-loop rounds, default 5), OL_DURATION
# (s per open-loop run, default 5), PORT_A/PORT_B/PORT_H (18181/18182/18183).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-32}
THREADS=${THREADS:-2}
RATE=${RATE:-500}
ROUNDS=${ROUNDS:-5}
OL_DURATION=${OL_DURATION:-5}
PORT_A=${PORT_A:-18181}
PORT_B=${PORT_B:-18182}
PORT_H=${PORT_H:-18183}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v haproxy >/dev/null || need+=(haproxy)
if ((${#need[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "bench: installing ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

# BENCH_BIN: a prebuilt dfaas-gateway-bench (e.g. on a machine without cargo).
if [ -n "${BENCH_BIN:-}" ]; then
  BIN=$BENCH_BIN
else
  cargo build --release -q -p dfaas-runtime --bin dfaas-gateway-bench
  BIN=target/release/dfaas-gateway-bench
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

"$BIN" serve "$PORT_A" "$PORT_B" "${BENCH_SCHEME:-mac}" >"$work/gateways.log" 2>&1 &
pids+=($!)

cat >"$work/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode http
  option http-keep-alive
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$PORT_H
  default_backend be
backend be
  http-reuse always
  server a 127.0.0.1:$PORT_A
EOF
haproxy -f "$work/haproxy.cfg" -db >"$work/haproxy.log" 2>&1 &
pids+=($!)

ready() { curl -fsS -o /dev/null "$1" 2>/dev/null || "$BIN" load "$1" 100 0.01 2>/dev/null | grep -q "ok=1"; }
for url in "http://127.0.0.1:$PORT_A/function/noop" "http://127.0.0.1:$PORT_B/function/noop" "http://127.0.0.1:$PORT_H/function/noop"; do
  for _ in $(seq 100); do ready "$url" && break; sleep 0.1; done
  ready "$url" || { echo "bench: $url does not answer" >&2; cat "$work"/*.log >&2; exit 1; }
done

declare -A RPS P50 P90 P99 OL
names=(a b c)
declare -A URL=(
  [a]="http://127.0.0.1:$PORT_A/function/noop"
  [b]="http://127.0.0.1:$PORT_B/function/noop"
  [c]="http://127.0.0.1:$PORT_H/function/noop"
)
declare -A LABEL=([a]="(a) gateway, local" [b]="(b) gateway -> gateway" [c]="(c) haproxy -> gateway")

# wrk prints latency with units (us, ms, s): convert to ms.
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.3f", v/1000; else if (v ~ /ms$/) printf "%.3f", v+0; else if (v ~ /s$/) printf "%.3f", v*1000; else print v }'; }

echo "bench: wrk -t$THREADS -c$CONNS -d${DURATION}s, then open loop at $RATE req/s, $ROUNDS rounds of ${OL_DURATION}s (127.0.0.1, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg))"
for n in "${names[@]}"; do
  out=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency "${URL[$n]}")
  echo "$out" >"$work/wrk-$n.txt"
  RPS[$n]=$(echo "$out" | awk '/^Requests\/sec/ { print $2 }')
  P50[$n]=$(to_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')")
  P90[$n]=$(to_ms "$(echo "$out" | awk '$1 == "90%" { print $2 }')")
  P99[$n]=$(to_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')")
  errs=$(echo "$out" | awk '/Non-2xx|Socket errors/ { print }')
  [ -n "$errs" ] && echo "bench: $n: $errs"
  sleep 1
done
# Open loop: ROUNDS rounds of a, b, c interleaved, so that load from other
# processes on a shared machine hits all three alike; the round with the
# median p99 is reported for each.
for r in $(seq "$ROUNDS"); do
  for n in "${names[@]}"; do
    "$BIN" load "${URL[$n]}" "$RATE" "$OL_DURATION" >>"$work/ol-$n.txt"
  done
done
for n in "${names[@]}"; do
  OL[$n]=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^p99_ms=/) { split($i, kv, "="); print kv[2], $0 } }' "$work/ol-$n.txt" \
    | sort -n | awk -v m="$(( (ROUNDS + 1) / 2 ))" 'NR == m { $1 = ""; print substr($0, 2) }')
  echo "bench: open loop $n, every round:" && sed 's/^/  /' "$work/ol-$n.txt"
done

field() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'; }
printf "\n%-24s %12s %9s %9s %9s | %-10s %9s %9s %7s\n" "setup" "wrk req/s" "p50 ms" "p90 ms" "p99 ms" "open loop" "p50 ms" "p99 ms*" "errors"
for n in "${names[@]}"; do
  printf "%-24s %12s %9s %9s %9s | %-10s %9s %9s %7s\n" "${LABEL[$n]}" "${RPS[$n]}" "${P50[$n]}" "${P90[$n]}" "${P99[$n]}" \
    "$(field "${OL[$n]}" rps)/s" "$(field "${OL[$n]}" p50_ms)" "$(field "${OL[$n]}" p99_ms)" "$(field "${OL[$n]}" errors)"
done
echo "* median over the rounds"
echo
echo "proof per forward (µs to make at the sender, to check at the receiver):"
"$BIN" crypto | sed 's/^/  /'
echo "  (the gateways use the default scheme, mac; a run with signatures: BENCH_SCHEME=signature)"
awk -v a="${RPS[a]}" -v b="${RPS[b]}" -v c="${RPS[c]}" \
    -v a99="$(field "${OL[a]}" p99_ms)" -v b99="$(field "${OL[b]}" p99_ms)" -v c99="$(field "${OL[c]}" p99_ms)" \
    -v rate="$RATE" 'BEGIN {
  printf "throughput: forwarded/local = %.2f   forwarded/haproxy = %.2f   haproxy/local = %.2f\n", b/a, b/c, c/a
  printf "p99 at %s req/s: forwarding overhead (b - a) = %.3f ms   haproxy overhead (c - a) = %.3f ms\n", rate, b99 - a99, c99 - a99
  printf "goals: forwarding overhead p99 <= 1 ms: %s   forwarded throughput >= half of haproxy: %s\n", (b99 - a99 <= 1.0 ? "met" : "NOT met"), (b >= c / 2 ? "met" : "NOT met")
}'
