#!/usr/bin/env bash
# Browser tests: builds cohort, starts it on a fresh SQLite database with a
# known administrator, and runs web/e2e (Node's test runner driving Debian's
# Chromium through playwright-core) against it. Outside CI, a missing
# Chromium or Node skips with a message; in CI it fails. E2E_FILES runs some
# files only (E2E_FILES=e2e/work.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
	if [ -n "${CI:-}" ]; then echo "e2e: $* (required in CI)" >&2; exit 1; fi
	echo "e2e: skipped: $*"; exit 0
}
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || skip "no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"
command -v node >/dev/null || skip "no node"
[ -d web/e2e ] || skip "web/e2e is missing"
if [ ! -d web/node_modules/playwright-core ]; then
	echo "e2e: installing web dependencies (npm ci)"
	(cd web && npm ci --no-audit --no-fund --loglevel=error)
fi

tmp=$(mktemp -d)
bin=$tmp/cohort
go build -o "$bin" ./cmd/cohort
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 18181)
export COHORT_E2E_URL="http://127.0.0.1:$port"
export COHORT_E2E_EMAIL="admin@e2e.cohort.local"
export COHORT_E2E_PASSWORD="e2e-password-1"

COHORT_ADMIN_EMAIL=$COHORT_E2E_EMAIL COHORT_ADMIN_PASSWORD=$COHORT_E2E_PASSWORD COHORT_SQLITE_SYNC=NORMAL COHORT_SIGNUP=true \
	"$bin" serve --db "$tmp/e2e.db" --addr "127.0.0.1:$port" --log-level warn >"$tmp/server.log" 2>&1 &
server=$!
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
	curl -fsS "$COHORT_E2E_URL/readyz" >/dev/null 2>&1 && break
	kill -0 "$server" 2>/dev/null || { cat "$tmp/server.log"; echo "e2e: the server died" >&2; exit 1; }
	sleep 0.1
done
curl -fsS "$COHORT_E2E_URL/readyz" >/dev/null || { cat "$tmp/server.log"; echo "e2e: the server is not ready" >&2; exit 1; }

status=0
(cd web && node --test --test-concurrency=1 --test-reporter=tap ${E2E_FILES:-e2e/}) || status=$?
if [ "$status" != 0 ]; then
	echo "--- server log"; tail -n 50 "$tmp/server.log"
fi
exit "$status"
