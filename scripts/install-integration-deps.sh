#!/usr/bin/env bash
# The real components the integration tests start on 127.0.0.1 (issue 17),
# from Debian's packages, idempotent:
#   slapd, ldap-utils        OpenLDAP server and tools (directory login)
#   python3-aiosmtpd         a real SMTP server with STARTTLS and AUTH (email)
#   prometheus-alertmanager  posts alerts to yunwei's webhook (alerts to incidents)
#   prometheus               scrapes yunwei's /metrics
#   rsyslog, rsyslog-gnutls  receives the forwarded audit records (TCP and TLS)
#   openssl                  throwaway CA and certificates for the TLS tests
# The tests fail, never skip, when one of them is missing. The packages'
# own system services are not started: the tests run their own instances
# on free loopback ports.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n -- "$@"; fi
}

have_all() {
    [ -x /usr/sbin/slapd ] && command -v ldapsearch >/dev/null \
        && [ -x /usr/bin/prometheus ] && [ -x /usr/bin/prometheus-alertmanager ] \
        && [ -x /usr/sbin/rsyslogd ] && command -v openssl >/dev/null \
        && ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1 \
        && /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null
}

if have_all; then
    echo "slapd, aiosmtpd, alertmanager, prometheus and rsyslog already installed"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' daemons from starting (exit 101 = action forbidden);
# an existing policy is left as it is.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
    as_root chmod 755 "$POLICY"
    ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then as_root rm -f "$POLICY"; fi; }
trap cleanup EXIT
# Wait (bounded) for the dpkg lock instead of failing if another apt run holds it.
as_root apt-get -o DPkg::Lock::Timeout=600 update
as_root apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
    slapd ldap-utils python3-aiosmtpd prometheus prometheus-alertmanager \
    rsyslog rsyslog-gnutls openssl
have_all || { echo "integration test components still missing after install" >&2; exit 1; }
