#!/usr/bin/env bash
# Every sort of every record list, for three data scopes: the first page of
# 50 in each sortable field's order, as the administrator ("all"), a sales
# manager (department and children) and a salesperson ("own"), one wrk
# connection each. Prints a Markdown table of p50 / p95 in milliseconds.
# Run `cohort demo --scale M` (or L) into the database first; the demo
# users' password is cohort-demo. BIN=path runs that binary instead of this
# checkout's.
# Usage: [BIN=bin] scripts/loadtest-sorts.sh DB [seconds per run, default 2]
set -euo pipefail
cd "$(dirname "$0")/.."
db=${1:?usage: scripts/loadtest-sorts.sh DB [seconds]}
secs=${2:-2}
command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
if [ -n "${BIN:-}" ]; then cp "$BIN" "$tmp/cohort"; else go build -o "$tmp/cohort" ./cmd/cohort; fi
port=18768
COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$db" --addr 127.0.0.1:$port --log-level error >"$tmp/server.log" 2>&1 &
until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.2; done
base=http://127.0.0.1:$port
# The first user holding each demo role.
email() {
	sqlite3 "$db" "SELECT min(u.email) FROM users u JOIN user_perm_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
		JOIN perm_roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id WHERE r.name LIKE '%$1%' AND u.status = 'active'"
}
login() { # login EMAIL -> cookie header value
	curl -fsS -c "$tmp/jar" -H 'Content-Type: application/json' -d "{\"email\":\"$1\",\"password\":\"cohort-demo\"}" $base/api/v1/auth/login >/dev/null
	echo "cohort_session=$(awk '$6=="cohort_session"{print $7}' "$tmp/jar")"
}
declare -A who=([all]="$(login admin@demo.cohort.local)" [department]="$(login "$(email 'Sales manager')")" [own]="$(login "$(email 'Salesperson')")")
lat() { # lat COOKIE PATH -> "p50 / p95"
	wrk -t1 -c1 -d"${secs}s" -H "Cookie: $1" -s scripts/wrk/report.lua "$base$2" | grep '^RESULT' |
		sed -E 's/.*p50_ms=([0-9.]+) p95_ms=([0-9.]+).*non2xx=([0-9]+).*/\1 \/ \2 #\3/; s/ #0$//; s/ #([0-9]+)$/ (\1 not 2xx)/'
}
echo "| list, sort | all: p50 / p95 ms | department and children | own |"
echo "| --- | --- | --- | --- |"
while read -r list sorts; do
	for s in $sorts; do
		path="/api/v1/$list?limit=50&sort=$s"
		echo "| $list \`$s\` | $(lat "${who[all]}" "$path") | $(lat "${who[department]}" "$path") | $(lat "${who[own]}" "$path") |"
	done
done <<'EOF'
customers -updated_at -created_at name status grade -expected_amount expected_sign_date
leads -created_at -updated_at name company status
opportunities -updated_at -created_at name stage status -amount expected_close_date
followups -occurred_at
contracts -updated_at -created_at number name status -total -signed_date end_date
projects -updated_at -created_at number name status start_date due_date
tickets -opened_at -updated_at number priority status
expenses -incurred_on -amount -created_at
EOF
