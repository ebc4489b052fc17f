#!/usr/bin/env bash
# Browser end-to-end test: start `yunwei serve --demo` and chromedriver on
# free loopback ports, then run tests/browser/test_login.py against them.
#
# Environment overrides (optional):
#   YUNWEI_BIN     use this server binary instead of building target/debug/yunwei
#   CHROMEDRIVER   chromedriver binary (default: chromedriver on PATH)
#   CHROME_BINARY  browser binary passed to the test (default: /usr/bin/chromium)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
CHROMEDRIVER="${CHROMEDRIVER:-chromedriver}"
export CHROME_BINARY="${CHROME_BINARY:-/usr/bin/chromium}"
DEMO_PASSWORD='Demo#Passw0rd!2026'
ADMIN_PASSWORD='Admin#Passw0rd!2026'

log() { echo "browser-test: $*"; }

if [ -n "${YUNWEI_BIN:-}" ]; then
    BIN="$YUNWEI_BIN"
    log "using prebuilt server binary $BIN"
else
    log "building yunwei"
    cargo build --bin yunwei
    BIN="$ROOT/target/debug/yunwei"
fi

command -v "$CHROMEDRIVER" >/dev/null || { log "chromedriver not found"; exit 1; }
[ -x "$CHROME_BINARY" ] || { log "browser binary $CHROME_BINARY not found"; exit 1; }

WORK="$(mktemp -d -t yunwei-browser-XXXXXX)"
DATA_DIR="$WORK/data"
mkdir -p "$DATA_DIR"
SERVER_LOG="$WORK/server.log"
DRIVER_LOG="$WORK/chromedriver.log"
SERVER_PID=""
DRIVER_PID=""
STATUS=1

stop_pid() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    # Bounded wait for a graceful exit, then force.
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    stop_pid "$DRIVER_PID"
    stop_pid "$SERVER_PID"
    if [ "$rc" -ne 0 ] || [ "$STATUS" -ne 0 ]; then
        if [ -f "$SERVER_LOG" ]; then
            echo "----- server log (last 80 lines) -----"
            tail -n 80 "$SERVER_LOG" || true
        fi
        if [ -f "$DRIVER_LOG" ]; then
            echo "----- chromedriver log (last 30 lines) -----"
            tail -n 30 "$DRIVER_LOG" || true
        fi
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Bounded HTTP poll: succeed when URL answers with 200 within TIMEOUT seconds.
# Fails early if PID (the process expected to serve it) dies.
wait_http_200() {
    local url="$1" pid="$2" timeout="$3"
    "$PYTHON" - "$url" "$pid" "$timeout" <<'PY'
import os, sys, time, urllib.request
url, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        print(f"process {pid} exited before {url} became ready", file=sys.stderr)
        sys.exit(1)
    if time.monotonic() >= deadline:
        print(f"{url} not ready after {timeout:.0f}s", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.2)
PY
}

PORT="$(free_port)"
BASE_URL="http://127.0.0.1:$PORT"
log "starting server on $BASE_URL (data dir $DATA_DIR)"
YUNWEI_DEMO_PASSWORD="$DEMO_PASSWORD" YUNWEI_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    "$BIN" serve --demo --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" \
    >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!

if ! wait_http_200 "$BASE_URL/healthz" "$SERVER_PID" 60; then
    log "server did not become healthy"
    exit 1
fi
log "server healthy"

DPORT="$(free_port)"
WEBDRIVER_URL="http://127.0.0.1:$DPORT"
log "starting chromedriver on $WEBDRIVER_URL"
"$CHROMEDRIVER" --port="$DPORT" >"$DRIVER_LOG" 2>&1 </dev/null &
DRIVER_PID=$!

if ! wait_http_200 "$WEBDRIVER_URL/status" "$DRIVER_PID" 30; then
    log "chromedriver did not start"
    exit 1
fi

log "running tests/browser/test_login.py"
set +e
BASE_URL="$BASE_URL" WEBDRIVER_URL="$WEBDRIVER_URL" DEMO_PASSWORD="$DEMO_PASSWORD" \
    "$PYTHON" tests/browser/test_login.py "$@"
STATUS=$?
set -e

if [ "$STATUS" -eq 0 ]; then
    log "passed"
else
    log "FAILED (exit $STATUS)"
fi
exit "$STATUS"
