#!/usr/bin/env bash
# Prints on stdout the DSN of a PostgreSQL that answers, for
# COHORT_TEST_POSTGRES; progress goes to stderr.
#
# 1. A server on 127.0.0.1:5432 that lets user postgres into database test
#    without a password (trust auth) is used as it is.
# 2. Otherwise a throw-away cluster is started on 127.0.0.1:$COHORT_PG_PORT
#    (default 55432) with trust auth, installing PostgreSQL from the Debian
#    packages first if initdb is missing. A cluster this script started before
#    is reused while it runs.
#
#   scripts/ensure-postgres.sh          print a DSN, starting a server if needed
#   scripts/ensure-postgres.sh stop     stop the server this script started
#
# COHORT_PG_FORCE_LOCAL=1 skips step 1 (to test step 2 where 5432 answers).
set -euo pipefail

port=${COHORT_PG_PORT:-55432}
os_user=${COHORT_PG_OS_USER:-postgres}
state=${TMPDIR:-/tmp}/cohort-pg-$port.datadir # where the data folder is recorded

log() { echo "ensure-postgres: $*" >&2; }
die() { log "$*"; exit 1; }

dsn_for() { echo "postgres://postgres@127.0.0.1:$1/test?sslmode=disable"; }

# answers PORT: the server on PORT accepts user postgres into database test.
answers() {
	command -v pg_isready >/dev/null && command -v psql >/dev/null || return 1
	pg_isready -q -h 127.0.0.1 -p "$1" -t 3 || return 1
	PGCONNECT_TIMEOUT=5 psql -w -X -q -At "$(dsn_for "$1")" -c 'select 1' >/dev/null 2>&1 && return 0
	# The server lets postgres in but database test is missing: create it.
	if PGCONNECT_TIMEOUT=5 psql -w -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
		log "creating database test on port $1"
		psql -w -X -q -h 127.0.0.1 -p "$1" -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null 2>&1 || true
		PGCONNECT_TIMEOUT=5 psql -w -X -q -At "$(dsn_for "$1")" -c 'select 1' >/dev/null 2>&1
		return
	fi
	return 1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root to run: $*"
	fi
}

# as_db_user runs a command as the owner of the cluster: postgres refuses to
# run as root.
as_db_user() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
	elif command -v runuser >/dev/null; then
		runuser -u "$os_user" -- "$@"
	else
		su "$os_user" -s /bin/sh -c "$(printf '%q ' "$@")"
	fi
}

find_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
	done
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(command -v pg_ctl)"
		return 0
	fi
	return 1
}

stop() {
	[ -f "$state" ] || { log "no server started by this script on port $port"; return 0; }
	local dir bindir
	dir=$(cat "$state")
	bindir=$(find_bindir) || die "pg_ctl not found"
	if [ -f "$dir/PG_VERSION" ]; then
		log "stopping the server in $dir"
		as_db_user "$bindir/pg_ctl" -D "$dir" -m fast -w stop >&2 || true
		rm -rf "$dir"
	fi
	rm -f "$state"
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi

if [ -z "${COHORT_PG_FORCE_LOCAL:-}" ] && answers 5432; then
	log "using the server on 127.0.0.1:5432"
	dsn_for 5432
	exit 0
fi

if answers "$port"; then
	log "using the server on 127.0.0.1:$port"
	dsn_for "$port"
	exit 0
fi

if ! bindir=$(find_bindir); then
	log "installing PostgreSQL from the Debian packages"
	as_root apt-get update -qq >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
	bindir=$(find_bindir) || die "initdb not found after installing postgresql"
fi
log "using $bindir"

if [ "$(id -u)" = 0 ] && ! id "$os_user" >/dev/null 2>&1; then
	log "creating system user $os_user"
	useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$os_user"
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/cohort-pg.XXXXXX")
if [ "$(id -u)" = 0 ]; then chown "$os_user": "$dir"; fi
chmod 700 "$dir"
echo "$dir" >"$state"

log "initdb in $dir"
as_db_user "$bindir/initdb" -D "$dir" -U postgres -A trust -E UTF8 --no-locale --no-sync >"$dir.initdb.log" 2>&1 ||
	{ cat "$dir.initdb.log" >&2; die "initdb failed"; }
rm -f "$dir.initdb.log"

# A test server: no durability needed, so no fsync; the socket stays in the
# data folder so no system folder must be writable.
log "starting PostgreSQL on 127.0.0.1:$port"
if ! as_db_user "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
	-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
	start >/dev/null; then
	tail -n 30 "$dir/server.log" >&2 || true
	die "the server did not start"
fi

"$bindir/psql" -w -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c 'CREATE DATABASE test' >/dev/null
answers "$port" || die "the server on port $port does not answer"
log "ready; stop it with: scripts/ensure-postgres.sh stop"
dsn_for "$port"
