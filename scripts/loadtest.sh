#!/usr/bin/env bash
# Load test of a real cohort server with wrk (Debian's package) on this
# machine: an authenticated GET of one small record at 64 connections, a
# durable single-row write, and start-to-ready time, on SQLite and, when
# COHORT_TEST_POSTGRES is set, on PostgreSQL. Prints one RESULT line each.
# Usage: scripts/loadtest.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "loadtest: wrk is not installed (apt-get install wrk)"; exit 0; }
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/cohort" ./cmd/cohort
email=admin@load.cohort.local
pw=load-test-password

run_engine() { # run_engine NAME DSN
	local name=$1 dsn=$2 port=18765
	export COHORT_ADMIN_EMAIL=$email COHORT_ADMIN_PASSWORD=$pw
	# First start creates and migrates the database; the second measures
	# start-to-ready on an existing database.
	COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$dsn" --addr 127.0.0.1:$port --log-level error >"$tmp/$name.log" 2>&1 &
	local pid=$!
	until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.05; done
	kill $pid; wait $pid 2>/dev/null || true
	local t0=$(date +%s%N)
	COHORT_RATE_LIMIT=0 "$tmp/cohort" serve --db "$dsn" --addr 127.0.0.1:$port --log-level error >"$tmp/$name.log" 2>&1 &
	pid=$!
	until curl -fsS http://127.0.0.1:$port/readyz >/dev/null 2>&1; do sleep 0.005; done
	local t1=$(date +%s%N)
	echo "RESULT engine=$name step=start_to_ready ms=$(( (t1 - t0) / 1000000 ))"
	curl -fsS -c "$tmp/jar" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"$pw\"}" http://127.0.0.1:$port/api/v1/auth/login >"$tmp/me.json"
	local cookie="cohort_session=$(awk '$6=="cohort_session"{print $7}' "$tmp/jar")"
	local uid=$(sed -E 's/.*"user":\{"id":"([0-9]+)".*/\1/' "$tmp/me.json")
	echo -n "RESULT engine=$name step=get_user_c64 "
	wrk -t2 -c64 -d"${secs}s" --latency -H "Cookie: $cookie" -s scripts/wrk/report.lua "http://127.0.0.1:$port/api/v1/users/$uid" | grep '^RESULT' | sed 's/^RESULT //'
	local parent=$(curl -fsS -b "$tmp/jar" http://127.0.0.1:$port/api/v1/departments | sed -E 's/^\{"items":\[\{"id":"([0-9]+)".*/\1/')
	echo -n "RESULT engine=$name step=create_department_c16 "
	COOKIE=$cookie PARENT=$parent wrk -t2 -c16 -d"${secs}s" --latency -s scripts/wrk/write.lua "http://127.0.0.1:$port" | grep '^RESULT' | sed 's/^RESULT //'
	kill $pid; wait $pid 2>/dev/null || true
}

run_engine sqlite "$tmp/load.db"
if [ -n "${COHORT_TEST_POSTGRES:-}" ]; then
	schema=cohort_load_$$
	psql "$COHORT_TEST_POSTGRES" -qc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema"
	sep='?'; case $COHORT_TEST_POSTGRES in *\?*) sep='&';; esac
	run_engine postgres "${COHORT_TEST_POSTGRES}${sep}search_path=$schema"
	psql "$COHORT_TEST_POSTGRES" -qc "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
fi
