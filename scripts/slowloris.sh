#!/usr/bin/env bash
# Slowloris against one `dfaas agent` gateway started with a descriptor limit
# of 1024 (`ulimit -n 1024`): HOLD connections (default 1100) each send the
# start of a request and never finish its headers; then PROBES (default 18)
# well-behaved requests on fresh connections, each with a 2 s timeout. Prints
# how many probes were answered and the gateway's connection counters.
#
# Usage: scripts/slowloris.sh [path/to/dfaas] (default: the release build,
# brought up to date). Linux only; needs python3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${1:-}" ]; then BIN=$1; else cargo build --release -q -p dfaas; BIN=target/release/dfaas; fi
HOLD=${HOLD:-1100}
PROBES=${PROBES:-18}
PORT=${PORT:-18191}
WORK=$(mktemp -d)
GW=""
trap '[ -n "$GW" ] && kill "$GW" 2>/dev/null; rm -rf "$WORK"' EXIT
cat >"$WORK/node.toml" <<EOF
node_id = "n1"
listen = "127.0.0.1:$PORT"
key_file = "n1.key"

[[functions]]
name = "f"
backend = { kind = "synthetic", warm_s = 0.0, cold_s = 0.0, idle_s = 60.0, max_instances = 4 }
admission = { max_concurrency = 4, queue = 16 }
EOF
(ulimit -n 1024 && exec "$BIN" agent --config "$WORK/node.toml") 2>"$WORK/gw.err" &
GW=$!
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 0.1; done
python3 - "$PORT" "$HOLD" "$PROBES" <<'PY'
import socket, sys, time
port, hold, probes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(hold):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        held.append(s)
    except OSError:
        pass
time.sleep(0.5)
answered = 0
for _ in range(probes):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.settimeout(2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        answered += data.startswith(b"HTTP/1.1 200")
        s.close()
    except OSError:
        pass
print(f"slowloris: {len(held)} connections opened and held, {answered}/{probes} probes answered")
PY
curl -fsS "http://127.0.0.1:$PORT/metrics" | grep -E "^dfaas_connections_(open|cap|evicted_total|refused_total)"
grep -i "descriptor" "$WORK/gw.err" || true
