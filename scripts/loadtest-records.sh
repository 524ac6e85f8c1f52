#!/usr/bin/env bash
# Load test of the daily-work API on a demo database (issue 3 targets):
# opportunities of one salesperson's scope with a filter, full-text search,
# and logging follow-ups with next actions. Run `cohort demo --scale L` into
# the database first; the demo users' password is cohort-demo.
# Usage: [SALES_EMAIL=…] [PHONE=digits] [CONNS=n] scripts/loadtest-records.sh DB [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/loadtest-records.sh DB [seconds]}
secs=${2:-10}
command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/cohort" ./cmd/cohort
port=18766
COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$db" --addr 127.0.0.1:$port --log-level error >"$tmp/server.log" 2>&1 &
until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.1; done
base=http://127.0.0.1:$port
login() { # login EMAIL -> cookie
	curl -fsS -c "$tmp/jar" -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"cohort-demo\"}" $base/api/v1/auth/login >/dev/null
	echo "cohort_session=$(awk '$6=="cohort_session"{print $7}' "$tmp/jar")"
}
admin=$(login admin@demo.cohort.local)
# A salesperson with many customers: the owner of the newest owned customer,
# or SALES_EMAIL (the engines may order the newest differently, and the
# owner may be a manager with a wider scope).
json() { python3 -c "import sys, json; d = json.load(sys.stdin); print($1)"; }
email=${SALES_EMAIL:-}
if [ -z "$email" ]; then
	owner=$(curl -fsS -H "Cookie: $admin" "$base/api/v1/customers?limit=1&filter=owner_id:notnull" | json 'd["items"][0]["owner_id"]')
	email=$(curl -fsS -H "Cookie: $admin" "$base/api/v1/users/$owner" | json 'd["email"]')
fi
sales=$(login "$email")
customers=$(curl -fsS -H "Cookie: $sales" "$base/api/v1/customers?view=mine&limit=200&filter=status:eq:active" | json '",".join(c["id"] for c in d["items"])')
echo "RESULT salesperson=$email customers_in_sample=$(echo "$customers" | tr ',' '\n' | wc -l)"
run() { # run NAME CONNECTIONS URL [lua]
	echo -n "RESULT step=$1 "
	wrk -t1 -c"$2" -d"${secs}s" -H "Cookie: $sales" -s "${4:-scripts/wrk/report.lua}" "$3" | grep '^RESULT' | sed 's/^RESULT //'
}
run opportunities_mine_open ${CONNS:-8} "$base/api/v1/opportunities?view=mine&filter=status:eq:open&sort=-amount&limit=50"
run opportunities_scope_stage ${CONNS:-8} "$base/api/v1/opportunities?filter=stage:eq:negotiation&limit=50"
run search_two_chars ${CONNS:-8} "$base/api/v1/search?q=%E6%81%92%E9%80%9A&limit=20"
run search_company ${CONNS:-8} "$base/api/v1/search?q=%E4%B8%8A%E6%B5%B7&limit=20"
# PHONE: a rare term of digits, e.g. a phone number in the user's scope.
[ -z "${PHONE:-}" ] || run search_phone ${CONNS:-8} "$base/api/v1/search?q=$PHONE&limit=20"
echo -n "RESULT step=log_followup_c16 "
COOKIE=$sales CUSTOMERS=$customers wrk -t2 -c16 -d"${secs}s" -s scripts/wrk/followup.lua "$base" | grep '^RESULT' | sed 's/^RESULT //'
