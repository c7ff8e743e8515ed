# agenttest developer and CI entry points. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
AGENTTEST := $(GO) run ./cmd/agenttest
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
# How long each fuzz target runs under `make fuzz`: with two fuzzing
# workers, 5m is 10 CPU-minutes per target.
FUZZTIME ?= 5m
TEST_TIMEOUT ?= 20m

.DEFAULT_GOAL := help
.PHONY: help setup lint test e2e report bench bench-ratio bench-ratio-next bench-peer fuzz soak faults

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  \1\t\2/' | expand -t 14

setup: ## provide a browser (Debian chromium and its headless shell when none), the Playwright driver and the npm packages of fixtures/node, the built Next.js app fixtures/nextapp; idempotent, fast when done
	@bash .ci/setup-browser.sh
	@$(AGENTTEST) install
	@bash .ci/setup-node.sh
	@bash .ci/setup-nextapp.sh

lint: ## gofmt -l must be empty, go mod tidy must change nothing, go vet, staticcheck
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt -l: these files need gofmt -w:"; echo "$$unformatted"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum (above): run go mod tidy and commit"; exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

test: setup lint ## setup, lint, then every test with -race
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

e2e: setup ## setup, then the end-to-end tests, verbose
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -v ./e2e/...

report: setup ## the e2e tests under -json and -artifacts, then test-output/report.html; exits as the tests did
	@mkdir -p test-output
	@$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) -json -artifacts -outputdir=test-output ./e2e/... > test-output/e2e.json; status=$$?; \
		$(AGENTTEST) report --json test-output/e2e.json --title "agenttest e2e" test-output && exit $$status

bench: ## benchmarks of the agenttest package
	$(GO) test -run '^$$' -bench . -benchmem ./agenttest/

bench-ratio: setup ## BenchmarkSignIn vs BenchmarkBareNavigation in one run: medians, their ratio, and where the time goes
	@GO=$(GO) bash .ci/bench-ratio.sh

bench-ratio-next: setup ## a sign-in into the Next.js app (clerk-js in the page) vs a bare navigation to it: medians and their ratio
	@GO=$(GO) bash .ci/bench-ratio-next.sh

bench-peer: setup ## the Go specs vs the Node peer (@playwright/test + @clerk/testing, npm ci'd here only) on one stack, 1/2/4 workers, then 200 sign-ins 8-way; prints times and ratios
	@GO=$(GO) bash .ci/bench-peer.sh

fuzz: ## run each fuzz target for FUZZTIME (default 5m: 10 CPU-minutes with two workers)
	@FUZZTIME=$(FUZZTIME) GO=$(GO) bash .ci/fuzz.sh

soak: setup ## RUNS (50) consecutive e2e runs, then -count=COUNT (30) against a standalone emulator + app; not in CI
	@GO=$(GO) bash .ci/soak.sh

faults: setup ## the fault matrix: sign-ins under 429 storms, 5xx, resets, 3-35 s stalls, app-side failures, the Backend API down; not in CI
	AGENTTEST_FAULT_MATRIX=1 $(GO) test -race -count=1 -timeout 30m -run '^TestFaultMatrix$$' -v ./agenttest/
