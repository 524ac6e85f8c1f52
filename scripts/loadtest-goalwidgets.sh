#!/usr/bin/env bash
# Every goal widget of the preset cockpits, one at a time, as the demo's
# first salesperson (or LOGIN=email): the median per widget, and the
# server's CPU per round (less moved by other load than the times). Run `cohort
# demo --scale M` (or L) into the database first; the demo users' password
# is cohort-demo. BIN=path runs that binary instead of this checkout's.
# Usage: [BIN=bin] [LOGIN=email] scripts/loadtest-goalwidgets.sh DB [rounds, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/loadtest-goalwidgets.sh DB [rounds]}
rounds=${2:-15}
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${BIN:-}" ]; then cp "$BIN" "$tmp/cohort"; else go build -o "$tmp/cohort" ./cmd/cohort; fi
port=18771
COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$db" --addr 127.0.0.1:$port --log-level error >"$tmp/server.log" 2>&1 &
pid=$!
until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.2; done
login=${LOGIN:-$(sqlite3 "$db" "SELECT min(u.email) FROM users u JOIN user_perm_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
	JOIN perm_roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id WHERE r.name LIKE '%Salesperson%' AND u.status = 'active'")}
cpu() { awk '{print $14 + $15}' /proc/$pid/stat; } # user + system, in clock ticks
t0=$(cpu)
python3 scripts/loadtest-goalwidgets.py http://127.0.0.1:$port "$rounds" "$login"
t1=$(cpu)
# The server's CPU per round of every widget, the warm-up round counted.
echo
echo "Server CPU per round: $(( (t1 - t0) * 1000 / $(getconf CLK_TCK) / (rounds + 1) )) ms"
