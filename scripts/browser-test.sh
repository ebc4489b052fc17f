#!/usr/bin/env bash
# Browser end-to-end tests: start chromedriver and, for every test file in
# TEST_FILES below, a
# fresh `yunwei serve --demo` with its own data directory, all on free
# loopback ports, and run the file against them. A fresh server per file
# keeps the files independent: test_login.py changes demo_staff's password
# and locks demo_director, whom test_data_change.py needs; test_registers.py
# changes the initial passwords of demo_vendor and demo_lead, whom
# test_data_change.py logs in with the demo password.
#
# Arguments, if any, are test names: only those run (a file with none of
# them is skipped; naming no test of any file fails).
#
# Environment overrides (optional):
#   YUNWEI_BIN     use this server binary instead of building it (cargo's target dir)
#   CHROMEDRIVER   chromedriver binary (default: chromedriver on PATH)
#   CHROME_BINARY  browser binary passed to the test (default: /usr/bin/chromium)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
# The test files import tests/browser/webdriver.py; leave no __pycache__.
export PYTHONDONTWRITEBYTECODE=1
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
    # Where cargo put it (CARGO_TARGET_DIR, a config or a wrapper may move
    # the target directory away from ./target).
    BIN="$(cargo metadata --format-version 1 --no-deps \
        | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/yunwei"
fi

command -v "$CHROMEDRIVER" >/dev/null || { log "chromedriver not found"; exit 1; }
[ -x "$CHROME_BINARY" ] || { log "browser binary $CHROME_BINARY not found"; exit 1; }

WORK="$(mktemp -d -t yunwei-browser-XXXXXX)"
SERVER_LOG=""
DRIVER_LOG="$WORK/chromedriver.log"
SERVER_PID=""
DRIVER_PID=""
STATUS=1

TEST_FILES=(
    tests/browser/test_login.py
    tests/browser/test_data_change.py
    tests/browser/test_registers.py
    tests/browser/test_access.py
    tests/browser/test_workbench.py
    tests/browser/test_layout.py
    tests/browser/test_print.py
    tests/browser/test_search.py
    tests/browser/test_dashboard.py
    tests/browser/test_cloud.py
    tests/browser/test_projects.py
)
# scripts/screenshots.sh runs its own file through the same set-up.
if [ -n "${BROWSER_TEST_FILES:-}" ]; then
    read -r -a TEST_FILES <<<"$BROWSER_TEST_FILES"
fi
# Exit status of a test file none of whose tests was selected (webdriver.py).
NO_TESTS_SELECTED=5

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
        if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
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

DPORT="$(free_port)"
WEBDRIVER_URL="http://127.0.0.1:$DPORT"
log "starting chromedriver on $WEBDRIVER_URL"
"$CHROMEDRIVER" --port="$DPORT" >"$DRIVER_LOG" 2>&1 </dev/null &
DRIVER_PID=$!

if ! wait_http_200 "$WEBDRIVER_URL/status" "$DRIVER_PID" 30; then
    log "chromedriver did not start"
    exit 1
fi

FAILED=()
RAN=0
for TEST_FILE in "${TEST_FILES[@]}"; do
    NAME="$(basename "$TEST_FILE" .py)"
    DATA_DIR="$WORK/$NAME/data"
    mkdir -p "$DATA_DIR"
    SERVER_LOG="$WORK/$NAME/server.log"
    PORT="$(free_port)"
    BASE_URL="http://127.0.0.1:$PORT"
    log "$NAME: starting a fresh server on $BASE_URL (data dir $DATA_DIR)"
    YUNWEI_DEMO_PASSWORD="$DEMO_PASSWORD" YUNWEI_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
        "$BIN" serve --demo --data-dir "$DATA_DIR" --listen "127.0.0.1:$PORT" \
        >"$SERVER_LOG" 2>&1 </dev/null &
    SERVER_PID=$!

    if ! wait_http_200 "$BASE_URL/healthz" "$SERVER_PID" 60; then
        log "$NAME: server did not become healthy"
        exit 1
    fi
    log "$NAME: server healthy; running $TEST_FILE"

    set +e
    # test_access.py runs the server's background job itself (jobs run --at).
    BASE_URL="$BASE_URL" WEBDRIVER_URL="$WEBDRIVER_URL" DEMO_PASSWORD="$DEMO_PASSWORD" \
        SERVER_BIN="$BIN" SERVER_DATA_DIR="$DATA_DIR" \
        "$PYTHON" "$TEST_FILE" "$@"
    RC=$?
    set -e

    if [ "$RC" -eq "$NO_TESTS_SELECTED" ]; then
        log "$NAME: skipped (no selected tests)"
    elif [ "$RC" -eq 0 ]; then
        RAN=$((RAN + 1))
        log "$NAME: passed"
    else
        RAN=$((RAN + 1))
        FAILED+=("$NAME")
        log "$NAME: FAILED (exit $RC)"
        echo "----- $NAME server log (last 80 lines) -----"
        tail -n 80 "$SERVER_LOG" || true
    fi
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    SERVER_LOG=""
done

if [ "$RAN" -eq 0 ]; then
    log "no test ran (selected: $*)"
    STATUS=1
elif [ "${#FAILED[@]}" -eq 0 ]; then
    STATUS=0
    log "passed"
else
    STATUS=1
    log "FAILED: ${FAILED[*]}"
fi
exit "$STATUS"
