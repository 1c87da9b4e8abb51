#!/usr/bin/env bash
# CPU (and memory) of each `dfaas agent` process of a live CloudNet 2021
# federation (3 agents on 127.0.0.1, 1 s slots, slack-proportional), idle and
# under the scenario's load (50 req/s into node_1, forwarded 16/24 to node_2
# and node_3).
#
# Each phase runs `dfaas cluster` (bounded: SETTLE + WINDOW + 3 slots), waits
# SETTLE seconds after the agents appear, then reads utime+stime of every
# agent from /proc/<pid>/stat at the start and end of a WINDOW-second interval:
# CPU % = ticks / CLK_TCK / WINDOW × 100 (100 % = one core). The idle phase
# uses a copy of the scenario with no load (agents still run their slot loop
# and gossip every slot). The `dfaas cluster` process itself (load generator,
# outcome polling) is listed too.
#
# Usage: scripts/agent_overhead.sh [path/to/dfaas]   (default: a debug build
# in $CARGO_TARGET_DIR or target/). Settings: WINDOW (s, default 20),
# SETTLE (s, default 5). Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${1:-${CARGO_TARGET_DIR:-target}/debug/dfaas}
WINDOW=${WINDOW:-20}
SETTLE=${SETTLE:-5}
SCENARIO=${SCENARIO:-experiments/scenarios/dfaas-cloudnet21.toml}
[ -x "$BIN" ] || { echo "agent_overhead: no dfaas binary at $BIN (cargo build -p dfaas)" >&2; exit 2; }
TCK=$(getconf CLK_TCK)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The explicit scenario (nodes listed), and an idle copy: its workload table
# replaced by a constant 0 req/s.
"$BIN" scenario expand "$SCENARIO" > "$WORK/load.toml"
AGENTS=$(grep '^nodes = ' "$WORK/load.toml" | grep -o '"[^"]*"' | wc -l)
[ "$AGENTS" -ge 2 ] || { echo "agent_overhead: no node list in the expanded $SCENARIO" >&2; exit 2; }
awk '/^\[workload\]/ { print; print "kind = \"constant\""; print "rate_rps = 0.0"; skip = 1; next }
     /^\[/ { skip = 0 } !skip' "$WORK/load.toml" > "$WORK/idle.toml"

ticks() { # utime+stime of a pid (fields 14, 15; after the ")" of comm)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  s=${s##*) }
  awk '{print $12 + $13}' <<<"$s"
}
rss_mb() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "-"; }

phase() { # name scenario -> prints one line per process
  local name=$1 scen=$2 out="$WORK/$1"
  local slots=$((SETTLE + WINDOW + 3))
  "$BIN" cluster --scenario "$scen" --slots "$slots" --slot-seconds 1 --json --out "$out" > "$WORK/$name.json" 2> "$WORK/$name.err" &
  local cpid=$! pids=() t=0
  while [ "${#pids[@]}" -lt "$AGENTS" ] && [ $t -lt 600 ]; do
    sleep 0.1; t=$((t + 1))
    mapfile -t pids < <(pgrep -P "$cpid" || true)
  done
  if [ "${#pids[@]}" -lt "$AGENTS" ]; then echo "agent_overhead: agents of the $name phase did not start" >&2; cat "$WORK/$name.err" >&2; exit 1; fi
  sleep "$SETTLE"
  declare -A before
  for p in "${pids[@]}" "$cpid"; do before[$p]=$(ticks "$p"); done
  local t0 t1
  t0=$(date +%s.%N)
  sleep "$WINDOW"
  t1=$(date +%s.%N)
  for p in "${pids[@]}" "$cpid"; do
    local after label
    after=$(ticks "$p")
    if [ "$p" = "$cpid" ]; then label="dfaas cluster"; else
      label=$(tr '\0' ' ' < "/proc/$p/cmdline" | grep -o 'node_[0-9]*' | head -1)
    fi
    awk -v n="$name" -v l="$label" -v d=$((after - ${before[$p]})) -v tck="$TCK" -v dt="$(echo "$t1 - $t0" | bc)" -v r="$(rss_mb "$p")" \
      'BEGIN { printf "%-5s %-14s %8.2f %9s\n", n, l, 100 * d / tck / dt, r }'
  done | sort -k2 -V > "$WORK/$name.rows"
  cat "$WORK/$name.rows"
  # Over the agents (not the cluster process): mean and max CPU and RSS.
  grep -v 'dfaas cluster' "$WORK/$name.rows" | awk -v n="$name" '{ c += $3; r += $4; if ($3 > mc) mc = $3; if ($4 > mr) mr = $4; k++ }
    END { printf "%-5s %-14s %8.2f %9.1f   (max %.2f %% CPU, %.1f MB; %d agents)\n", n, "agent mean", c / k, r / k, mc, mr, k }'
  wait "$cpid" || { echo "agent_overhead: dfaas cluster ($name) failed" >&2; cat "$WORK/$name.err" >&2; exit 1; }
}

case "$BIN" in */release/*) PROFILE=release ;; *) PROFILE=debug ;; esac
echo "scenario: $SCENARIO ($AGENTS agents); binary: $PROFILE build ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)); window ${WINDOW} s after ${SETTLE} s"
printf "%-5s %-14s %8s %9s\n" phase process "CPU %" "RSS MB"
phase idle "$WORK/idle.toml"
phase load "$WORK/load.toml"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
