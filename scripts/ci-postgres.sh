#!/usr/bin/env bash
# Start the local PostgreSQL 15 cluster (if needed) and provision the
# `yunwei` role and database used by the PostgreSQL test run.
#
# Prints the connection URL on stdout as the last line. Idempotent.
set -euo pipefail

PG_VERSION="${PG_VERSION:-15}"
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_HOST="127.0.0.1"
PG_PORT="${PG_PORT:-5432}"
DB_USER="yunwei"
DB_PASS="yunwei"
DB_NAME="yunwei"
URL="postgres://${DB_USER}:${DB_PASS}@${PG_HOST}:${PG_PORT}/${DB_NAME}"

log() { echo "ci-postgres: $*" >&2; }

# Run a command as the postgres OS user.
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        sudo -n -u postgres -- "$@"
    fi
}

# Run a command with root privileges (the script may already be root).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n -- "$@"; fi
}

# Run a single SQL statement against the maintenance DB via the local socket.
psql_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -d postgres -tA -c "$1"
}

# A fresh machine may have no PostgreSQL at all: install Debian's server
# (which brings postgresql-common and its default cluster).
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ ! -x "/usr/lib/postgresql/${PG_VERSION}/bin/postgres" ]; then
    log "PostgreSQL ${PG_VERSION} is not installed; installing it"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get -o DPkg::Lock::Timeout=600 update >&2
    if ! as_root apt-get -o DPkg::Lock::Timeout=600 install -y "postgresql-${PG_VERSION}" >&2; then
        log "postgresql-${PG_VERSION} is not available; installing Debian's default postgresql"
        as_root apt-get -o DPkg::Lock::Timeout=600 install -y postgresql >&2
        PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
    fi
fi
if ! command -v pg_lsclusters >/dev/null 2>&1; then
    log "pg_lsclusters not found after installing PostgreSQL"
    exit 1
fi

# Cluster status is column 4 of `pg_lsclusters -h` ("online"/"down", possibly
# with a suffix such as ",recovery").
cluster_line="$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c')"
if [ -z "$cluster_line" ]; then
    log "cluster ${PG_VERSION}/${PG_CLUSTER} does not exist; creating it"
    as_root pg_createcluster "$PG_VERSION" "$PG_CLUSTER" --port "$PG_PORT" >&2
    cluster_line="$(pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$PG_CLUSTER" '$1 == v && $2 == c')"
fi
status="$(echo "$cluster_line" | awk '{print $4}')"
if [[ "$status" != online* ]]; then
    log "starting cluster ${PG_VERSION}/${PG_CLUSTER} (status: ${status})"
    # After an unclean stop the server first syncs its data directory,
    # which can outlast pg_ctl's own 60 s wait: the poll below decides.
    as_root pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start >&2 \
        || log "pg_ctlcluster gave up waiting; polling while the server recovers"
else
    log "cluster ${PG_VERSION}/${PG_CLUSTER} already online"
fi

# Bounded readiness poll: at most 300 attempts, each with a 1 s timeout.
ready=0
for _ in $(seq 1 300); do
    if pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 1; then
        ready=1
        break
    fi
    sleep 1
done
if [ "$ready" -ne 1 ]; then
    log "PostgreSQL did not become ready on ${PG_HOST}:${PG_PORT}"
    tail -n 50 "/var/log/postgresql/postgresql-${PG_VERSION}-${PG_CLUSTER}.log" >&2 || true
    exit 1
fi
log "PostgreSQL is ready on ${PG_HOST}:${PG_PORT}"

# Role: create if missing, then (re)set attributes and password so reruns
# converge to the same state.
if [ "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '${DB_USER}'")" != "1" ]; then
    log "creating role ${DB_USER}"
    psql_admin "CREATE ROLE ${DB_USER} LOGIN CREATEDB PASSWORD '${DB_PASS}'"
fi
psql_admin "ALTER ROLE ${DB_USER} WITH LOGIN CREATEDB PASSWORD '${DB_PASS}'"

# Database owned by the role.
if [ "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")" != "1" ]; then
    log "creating database ${DB_NAME}"
    psql_admin "CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}"
fi
psql_admin "ALTER DATABASE ${DB_NAME} OWNER TO ${DB_USER}"

# Sanity check: connect over TCP with password auth as the app role.
if ! PGCONNECT_TIMEOUT=5 psql -X -q "$URL" -tA -c 'SELECT 1' >/dev/null; then
    log "cannot connect as ${DB_USER} via ${URL}"
    exit 1
fi

echo "$URL"
