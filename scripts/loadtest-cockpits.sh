#!/usr/bin/env bash
# Every preset cockpit opened through the HTTP API, as the administrator, a
# sales manager and a salesperson (the demo's first user holding each role):
# median and p95 of the whole cockpit, its widgets six at a time as a browser
# page sends them and one after the other. Run `cohort demo --scale M` (or L)
# into the database first; the demo users' password is cohort-demo. After the
# rounds it prints the server's peak resident memory (VmHWM).
# BIN=path runs that binary instead of this checkout's.
# PORT=n serves on that port (default 18769), for runs beside another.
# Usage: [BIN=bin] scripts/loadtest-cockpits.sh DB [rounds, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/loadtest-cockpits.sh DB [rounds]}
rounds=${2:-10}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${BIN:-}" ]; then cp "$BIN" "$tmp/cohort"; else go build -o "$tmp/cohort" ./cmd/cohort; fi
port=${PORT:-18769}
COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$db" --addr 127.0.0.1:$port --log-level error >"$tmp/server.log" 2>&1 &
pid=$!
until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.2; done
email() {
	sqlite3 "$db" "SELECT min(u.email) FROM users u JOIN user_perm_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
		JOIN perm_roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id WHERE r.name LIKE '%$1%' AND u.status = 'active'"
}
python3 scripts/loadtest-cockpits.py http://127.0.0.1:$port "$rounds" all=admin@demo.cohort.local "department=$(email 'Sales manager')" "own=$(email 'Salesperson')"
echo
echo "Server peak RSS: $(awk '/VmHWM/{printf "%.0f MiB", $2/1024}' /proc/$pid/status)"
