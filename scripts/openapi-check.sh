#!/usr/bin/env bash
# Checks the OpenAPI document of /api/v1 with an independent tool:
# schemathesis (PyPI) generates requests for every operation from
# /api/v1/openapi.json and sends them to a fresh `yunwei serve --demo` on a
# free loopback port. It fails on a schema error, a 5xx answer
# (not_a_server_error), a status the document does not give for the
# operation (status_code_conformance), a media type the document does not
# give for that status (content_type_conformance), or a body that does not
# match the documented schema (response_schema_conformance: the typed bodies
# of the successful answers, the shared Error schema of every error answer).
# The other checks of `--checks all` run too: a request that violates the
# schema must be refused (negative_data_rejection), as must one without
# credentials (ignored_auth), an undocumented method must answer 405
# (unsupported_method), and so on. Only positive_data_acceptance is left
# out: a request valid by the schema may still break a business rule (an
# unknown organisation, a date outside the calendar, a missing reason) and
# is rightly refused with a documented 400/404/409.
#
# The requests carry the bearer token of demo_lead (initial password changed
# first, as every account must), so the authenticated operations are
# exercised, not only refused. Only loopback traffic.
#
# Environment overrides (optional):
#   YUNWEI_BIN          use this server binary instead of building target/debug/yunwei
#   SCHEMATHESIS        schemathesis executable (default: schemathesis on PATH)
#   MAX_EXAMPLES        test cases per operation and phase (default 5)
#   MAX_TIME            time budget of the run in seconds (default 120)
#   SEED                random seed (default 20260101)
#   USER_NAME           account whose token the requests carry (default demo_lead;
#                       sysadmin, secadmin or audadmin reach the administration API)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
SCHEMATHESIS="${SCHEMATHESIS:-schemathesis}"
MAX_EXAMPLES="${MAX_EXAMPLES:-5}"
MAX_TIME="${MAX_TIME:-120}"
SEED="${SEED:-20260101}"
DEMO_PASSWORD='Demo#Passw0rd!2026'
ADMIN_PASSWORD='Admin#Passw0rd!2026'
NEW_PASSWORD='Lead#Chang3d!Pw2026'
USER_NAME="${USER_NAME:-demo_lead}"
case "$USER_NAME" in
    sysadmin | secadmin | audadmin) INITIAL_PASSWORD="$ADMIN_PASSWORD" ;;
    *) INITIAL_PASSWORD="$DEMO_PASSWORD" ;;
esac

log() { echo "openapi-check: $*"; }

command -v "$SCHEMATHESIS" >/dev/null || {
    log "schemathesis not found (pip install schemathesis)"
    exit 1
}
command -v curl >/dev/null || { log "curl not found"; exit 1; }

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

WORK="$(mktemp -d -t yunwei-openapi-XXXXXX)"
SERVER_LOG="$WORK/server.log"
SERVER_PID=""

cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$SERVER_LOG" ]; then
        echo "----- server log (last 60 lines) -----"
        tail -n 60 "$SERVER_LOG" || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PORT="$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
BASE="http://127.0.0.1:$PORT"
mkdir -p "$WORK/data"
log "starting a fresh server on $BASE"
YUNWEI_DEMO_PASSWORD="$DEMO_PASSWORD" YUNWEI_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
    "$BIN" serve --demo --data-dir "$WORK/data" --listen "127.0.0.1:$PORT" \
    >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!

for i in $(seq 1 300); do
    if curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited"; exit 1; }
    [ "$i" -eq 300 ] && { log "server not healthy after 60s"; exit 1; }
    sleep 0.2
done
log "server healthy"

# The token of a login answer.
token_of() {
    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

login() {
    curl -fsS --max-time 10 -H 'Content-Type: application/json' \
        -d "{\"username\":\"$USER_NAME\",\"password\":\"$1\"}" \
        "$BASE/api/v1/auth/login"
}

# First login with the initial password, which must be changed first.
FIRST="$(login "$INITIAL_PASSWORD" | token_of)"
curl -fsS --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $FIRST" \
    -d "{\"current_password\":\"$INITIAL_PASSWORD\",\"new_password\":\"$NEW_PASSWORD\",\"confirm_password\":\"$NEW_PASSWORD\"}" \
    "$BASE/api/v1/auth/password"
TOKEN="$(login "$NEW_PASSWORD" | token_of)"
log "logged in as $USER_NAME"

# The document itself must be valid JSON and list operations.
curl -fsS --max-time 10 "$BASE/api/v1/openapi.json" >"$WORK/openapi.json"
"$PYTHON" - "$WORK/openapi.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ops = sum(len(v) for v in doc["paths"].values())
print(f"openapi-check: document lists {ops} operations on {len(doc['paths'])} paths")
PY

# Real identifiers for the read-only operations on one object, so that
# they are exercised beyond 404: the first `id` in each list of the demo.
first_id() {
    curl -fsS --max-time 10 -H "Authorization: Bearer $TOKEN" "$BASE$1" | "$PYTHON" -c '
import json, sys
def walk(v):
    if isinstance(v, dict):
        if isinstance(v.get("id"), str):
            return v["id"]
        v = list(v.values())
    if isinstance(v, list):
        for x in v:
            found = walk(x)
            if found:
                return found
    return None
print(walk(json.load(sys.stdin)) or "")'
}
CONFIG="$WORK/schemathesis.toml"
: >"$CONFIG"
bind() { # bind OPERATION NAME VALUE
    [ -n "$3" ] || return 0
    printf '[[operations]]\ninclude-name = "%s"\nparameters = { "path.%s" = "%s" }\n\n' "$1" "$2" "$3" >>"$CONFIG"
}
TICKET="$(first_id /api/v1/tickets)"
bind "GET /api/v1/tickets/{id}" id "$TICKET"
bind "GET /api/v1/tickets/{id}/cis" id "$TICKET"
ORG="$(first_id /api/v1/orgs)"
bind "GET /api/v1/orgs/{id}" id "$ORG"
bind "GET /api/v1/orgs/{id}/config" id "$ORG"
ME="$(first_id /api/v1/me)"
bind "GET /api/v1/users/{id}" id "$ME"
bind "GET /api/v1/users/{id}/roles" id "$ME"
bind "GET /api/v1/cis/{id}" id "$(first_id /api/v1/cis)"
bind "GET /api/v1/knowledge/{id}" id "$(first_id /api/v1/knowledge)"
bind "GET /api/v1/ip-segments/{id}" id "$(first_id /api/v1/ip-segments)"
bind "GET /api/v1/inspection-plans/{id}" id "$(first_id /api/v1/inspection-plans)"
bind "GET /api/v1/archives/{id}" id "$(first_id /api/v1/archives)"
bind "GET /api/v1/calendar/{year}" year 2026
bind "GET /api/v1/registers/{register}" register backup_plans
bind "GET /api/v1/registers/{register}/export.xlsx" register backup_plans
log "bound $(grep -c include-name "$CONFIG") read-only operations to demo objects"

log "running schemathesis (max examples $MAX_EXAMPLES, max time ${MAX_TIME}s, seed $SEED)"
# Logging out, changing the password or revoking a session (the run's own,
# whose id the session list gives) would end the session the run uses; they
# are covered by the integration tests.
# From the scratch directory: schemathesis keeps its cache (.schemathesis/)
# in the working directory, and each run starts without one.
cd "$WORK"
"$SCHEMATHESIS" --config-file "$CONFIG" run "$BASE/api/v1/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --max-time "$MAX_TIME" \
    --seed "$SEED" \
    --request-timeout 30 \
    --workers 1 \
    --exclude-path /api/v1/auth/logout \
    --exclude-path /api/v1/auth/password \
    --exclude-path '/api/v1/sessions/{id}/revoke' \
    --suppress-health-check all \
    --no-color
# The session lasted the whole run (else most operations only met 401).
curl -fsS --max-time 10 -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/me" || {
    log "the run's session ended during the run"
    exit 1
}
log "passed"
