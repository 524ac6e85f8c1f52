#!/usr/bin/env bash
# Load test of the main lists as the administrator (the "all" scope) on a
# demo database: the first page of 50 for each offered sort, and a next page
# through the keyset cursor. Run `cohort demo --scale M` (or L) into the
# database first; the demo users' password is cohort-demo.
# BIN=path runs that binary instead of this checkout's.
# The last steps ask for the total too (count=true).
# Usage: [CONNS=n] [BIN=bin] scripts/loadtest-lists.sh DB [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/loadtest-lists.sh DB [seconds]}
secs=${2:-5}
command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${BIN:-}" ]; then cp "$BIN" "$tmp/cohort"; else go build -o "$tmp/cohort" ./cmd/cohort; fi
port=18767
COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$db" --addr 127.0.0.1:$port --log-level error >"$tmp/server.log" 2>&1 &
until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.1; done
base=http://127.0.0.1:$port
curl -fsS -c "$tmp/jar" -H 'Content-Type: application/json' -d '{"email":"admin@demo.cohort.local","password":"cohort-demo"}' $base/api/v1/auth/login >/dev/null
admin="cohort_session=$(awk '$6=="cohort_session"{print $7}' "$tmp/jar")"
run() { # run NAME PATH
	echo -n "RESULT step=$1 "
	wrk -t1 -c"${CONNS:-1}" -d"${secs}s" -H "Cookie: $admin" -s scripts/wrk/report.lua "$base$2" | grep '^RESULT' | sed 's/^RESULT //'
}
next() { # the path of the second page of PATH
	local c
	c=$(curl -fsS -H "Cookie: $admin" "$base$1" | python3 -c 'import sys, json, urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["next_cursor"]))')
	echo "$1&cursor=$c"
}
for s in "" "&sort=-created_at" "&sort=name"; do
	run "customers${s}" "/api/v1/customers?limit=50$s"
done
run customers_page2 "$(next "/api/v1/customers?limit=50")"
for s in "" "&sort=-created_at" "&sort=-amount" "&filter=stage:eq:negotiation"; do
	run "opportunities${s}" "/api/v1/opportunities?limit=50$s"
done
run followups "/api/v1/followups?limit=50"
run followups_page2 "$(next "/api/v1/followups?limit=50")"
# The first page with its total (count=true: "共 N 条").
run customers_count "/api/v1/customers?limit=50&count=true"
run opportunities_stage_count "/api/v1/opportunities?limit=50&filter=stage:eq:negotiation&count=true"
run followups_count "/api/v1/followups?limit=50&count=true"
