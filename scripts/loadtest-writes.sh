#!/usr/bin/env bash
# Load test of the three everyday writes (issue 12): create customer, create
# opportunity and move stage, each at 1, 4 and 16 connections, through the
# HTTP API with wrk, on a fresh SQLite database with synchronous=FULL.
# With BASE=path/to/older/cohort it runs that binary beside this checkout's
# on a database of its own, A (this checkout) and B (BASE) interleaved step by
# step, ROUNDS times, and prints each run and the median ratio A/B.
# KEEP=file keeps the raw RESULT lines; DEBUG=1 prints the first non-2xx answers.
# Usage: [BASE=bin] [ROUNDS=3] [CONNS="1 4 16"] scripts/loadtest-writes.sh [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
rounds=${ROUNDS:-3}
conns=${CONNS:-1 4 16}
command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/A" ./cmd/cohort
bins="A"
if [ -n "${BASE:-}" ]; then cp "$BASE" "$tmp/B"; bins="A B"; fi
json() { python3 -c "import sys, json; d = json.load(sys.stdin); print($1)"; }
newid() { sed -E 's/^\{"id":"([0-9]+)".*/\1/'; } # the id of a created record
declare -A port cookie process stages customers opps
p=18800
for b in $bins; do
	p=$((p + 1)); port[$b]=$p
	COHORT_ADMIN_EMAIL=admin@load.cohort.local COHORT_ADMIN_PASSWORD=load-test-password COHORT_SQLITE_SYNC=FULL COHORT_RATE_LIMIT=0 \
		"$tmp/$b" serve --db "$tmp/$b.db" --addr 127.0.0.1:$p --log-level error >"$tmp/$b.log" 2>&1 &
	until curl -fsS http://127.0.0.1:$p/readyz >/dev/null 2>&1; do sleep 0.05; done
	base=http://127.0.0.1:$p
	curl -fsS -c "$tmp/$b.jar" -H 'Content-Type: application/json' -d '{"email":"admin@load.cohort.local","password":"load-test-password"}' $base/api/v1/auth/login >/dev/null
	cookie[$b]="cohort_session=$(awk '$6=="cohort_session"{print $7}' "$tmp/$b.jar")"
	procs=$(curl -fsS -H "Cookie: ${cookie[$b]}" $base/api/v1/sales-processes)
	process[$b]=$(echo "$procs" | json 'd["items"][0]["id"]')
	stages[$b]=$(echo "$procs" | json '",".join(s["key"] for s in d["items"][0]["stages"][:2])')
	# 200 customers with one opportunity each: the targets of the other two steps.
	cs=() os=()
	for i in $(seq 200); do
		c=$(curl -fsS -H "Cookie: ${cookie[$b]}" -H 'Content-Type: application/json' -d "{\"name\":\"种子客户 $i\"}" $base/api/v1/customers | newid)
		o=$(curl -fsS -H "Cookie: ${cookie[$b]}" -H 'Content-Type: application/json' -d "{\"customer_id\":\"$c\",\"process_id\":\"${process[$b]}\",\"name\":\"种子商机 $i\",\"amount\":120000}" $base/api/v1/opportunities | newid)
		cs+=("$c") os+=("$o")
	done
	customers[$b]=$(IFS=,; echo "${cs[*]}")
	opps[$b]=$(IFS=,; echo "${os[*]}")
done
run=0
for round in $(seq "$rounds"); do
	for step in customer opportunity stage; do
		for c in $conns; do
			for b in $bins; do
				run=$((run + 1))
				echo -n "round=$round bin=$b step=$step conns=$c "
				if [ $step = stage ]; then # each seeded opportunity with its stage now
					opps[$b]=$(curl -fsS -H "Cookie: ${cookie[$b]}" "http://127.0.0.1:${port[$b]}/api/v1/opportunities?q=%E7%A7%8D%E5%AD%90%E5%95%86%E6%9C%BA&limit=200" |
						json '",".join(o["id"] + ":" + o["stage"] for o in d["items"])')
				fi
				STEP=$step TAG="r$run" COOKIE=${cookie[$b]} PROCESS=${process[$b]} STAGES=${stages[$b]} CUSTOMERS=${customers[$b]} OPPORTUNITIES=${opps[$b]} \
					wrk -t1 -c"$c" -d"${secs}s" --latency -s scripts/wrk/writes.lua "http://127.0.0.1:${port[$b]}" | grep -E "^(RESULT|non-2xx)" | sed "s/^RESULT //"
			done
		done
	done
done | tee "$tmp/results"
[ -z "${KEEP:-}" ] || cp "$tmp/results" "$KEEP"
python3 - "$tmp/results" <<'PY'
import sys, re, statistics, collections
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if not line.startswith("round="):
        continue
    f = dict(kv.split("=", 1) for kv in line.split()[1:])
    runs[(f["step"], int(f["conns"]), f["bin"])].append((float(f["rps"]), float(f["p50_ms"]), float(f["p99_ms"]), int(f["non2xx"])))
print("| step | conns | A rps (median) | A p50 ms | A p99 ms | B rps (median) | A/B |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for (step, c, b) in sorted(k for k in runs if k[2] == "A"):
    a = runs[(step, c, "A")]
    bb = runs.get((step, c, "B"))
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    ratio = ""
    if bb:
        ratio = "%.2f" % statistics.median(x[0] / y[0] for x, y in zip(a, bb))
    print("| %s | %d | %.0f | %.2f | %.2f | %s | %s |" % (step, c, med(a, 0), med(a, 1), med(a, 2), "%.0f" % med(bb, 0) if bb else "", ratio))
    if any(x[3] for x in a + (bb or [])):
        print("  (non-2xx answers in %s c=%d)" % (step, c))
PY
