# Cohort's everyday commands. `make test` runs every test there is; CI runs
# .ci/run, which calls it.

SHELL := /bin/bash
GO    ?= go
DB    ?= ./cohort-data/cohort.db
# Logs of the last `make test`, read by .ci/run.
OUT   := .ci/out

.PHONY: run build test lint vet fmt-check lint-openapi test-go test-fuzz fuzz fuzz-run test-web test-e2e bench web

run:
	$(GO) run ./cmd/cohort serve --demo --db $(DB)

build:
	CGO_ENABLED=0 $(GO) build -o bin/cohort ./cmd/cohort

# Every test. Keep going past a failure with `make -k test` to see them all.
test: lint lint-openapi test-go test-fuzz test-web test-e2e

lint: fmt-check vet

fmt-check:
	@files=$$(find . -name '*.go' -not -path '*/node_modules/*' -not -path './.git/*' -print0 | xargs -0 -r gofmt -l); \
	if [ -n "$$files" ]; then echo "gofmt needed:"; echo "$$files"; exit 1; fi

vet:
	$(GO) vet ./...

# The OpenAPI document, as the binary prints it, against Redocly CLI's
# recommended rules (web/node_modules, pinned in web/package.json). Errors
# fail; the warnings left are listed in docs/API.md.
lint-openapi:
	@mkdir -p $(OUT)
	@if [ ! -x web/node_modules/.bin/redocly ]; then (cd web && npm ci --no-audit --no-fund --loglevel=error); fi
	$(GO) run ./cmd/cohort openapi > $(OUT)/openapi.json
	cd web && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint --extends=recommended ../$(OUT)/openapi.json

# The full -v log goes to $(OUT)/go-test.log; the terminal shows it without
# the RUN/PASS/SKIP chatter, then a count.
test-go:
	@mkdir -p $(OUT)
	@if [ -n "$$COHORT_TEST_POSTGRES" ]; then echo "go test -count=1 ./...  (SQLite and PostgreSQL)"; \
	else echo "go test -count=1 ./...  (SQLite only; set COHORT_TEST_POSTGRES to a DSN for PostgreSQL too)"; fi
	@set -o pipefail; status=0; \
	$(GO) test -count=1 -timeout 60m -v ./... 2>&1 | tee $(OUT)/go-test.log \
	  | awk '!/^[ \t]*(=== (RUN|PAUSE|CONT|NAME) |--- (PASS|SKIP): )/ && !/^PASS$$/ { print; fflush() }' || status=$$?; \
	pass=$$(grep -cE '^[[:space:]]*--- PASS: ' $(OUT)/go-test.log || true); \
	fail=$$(grep -cE '^[[:space:]]*--- FAIL: |^FAIL[[:space:]].*\[(build|setup) failed\]' $(OUT)/go-test.log || true); \
	skip=$$(grep -cE '^[[:space:]]*--- SKIP: ' $(OUT)/go-test.log || true); \
	echo "go test: $$pass passed, $$fail failed, $$skip skipped (log: $(OUT)/go-test.log)"; \
	exit $$status

# Go native fuzz targets of the upload and import entry points, as
# package:target:budget. `make fuzz` runs each for FUZZTIME (5 minutes; the
# corpus found goes to the Go build cache, a crasher to testdata/fuzz of its
# package). `make test` runs each for its budget, a count of executions
# (a few seconds each on a quiet machine): a duration budget races the fuzz
# coordinator's own deadline on a loaded machine and fails with "context
# deadline exceeded" having found nothing (Go issue 75804, fixed in Go 1.27).
FUZZ_TARGETS := ./internal/api:FuzzImportUpload:40x ./internal/api:FuzzAttachmentUpload:40x \
	./internal/sheet:FuzzCSVReader:5000x ./internal/sheet:FuzzXLSXReader:4000x
FUZZTIME ?= 5m

# fuzz-run runs every target for FUZZTIME, or for its own budget when
# FUZZTIME is "budget".
fuzz-run:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; rest=$${t#*:}; fn=$${rest%%:*}; budget=$${rest#*:}; \
	  ft=$(FUZZTIME); [ "$$ft" = budget ] && ft=$$budget; \
	  echo "go test -run='^$$' -fuzz='^$$fn$$' -fuzztime=$$ft $$pkg"; \
	  $(GO) test -run='^$$' -fuzz="^$$fn\$$" -fuzztime=$$ft $$pkg || exit 1; \
	done

fuzz:
	@$(MAKE) --no-print-directory fuzz-run

test-fuzz:
	@$(MAKE) --no-print-directory fuzz-run FUZZTIME=budget

# The built web UI must match its sources (web/dist is committed).
test-web:
	@if [ -f web/scripts/check-dist.mjs ]; then \
	  echo "node web/scripts/check-dist.mjs"; node web/scripts/check-dist.mjs; \
	else echo "test-web: web/scripts/check-dist.mjs not present; skipped"; fi

# Browser tests; their log goes to $(OUT)/e2e.log.
test-e2e:
	@mkdir -p $(OUT)
	@if [ -f scripts/e2e.sh ]; then \
	  set -o pipefail; echo "scripts/e2e.sh"; bash scripts/e2e.sh 2>&1 | tee $(OUT)/e2e.log; \
	else echo "test-e2e: scripts/e2e.sh not present; skipped" | tee $(OUT)/e2e.log; fi

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...
	@if [ -f scripts/loadtest.sh ]; then bash scripts/loadtest.sh; \
	else echo "bench: scripts/loadtest.sh not present; load test skipped"; fi

web:
	cd web && npm ci && npm run build
