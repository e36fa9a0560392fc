# The complaint-handling system. `make run` starts everything; `make test`
# runs every test. See README.md.

GO        ?= go
BIN       := bin/complaints
DEV_BIN   := bin/complaints-dev
GOFLAGS   ?=
STATICCHECK_VERSION   := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
ROLE ?= manager
SUB  ?= alice
TEAM ?= billing

.PHONY: run build build-dev test test-short fuzz lint bench bench-quick bench-go cluster chaos token deps clean mail-catcher

## run: build and start PostgreSQL, Temporal, the worker and the API in one process
run: deps build-dev
	./$(DEV_BIN) dev

## mail-catcher: an SMTP server on 127.0.0.1:1025 that shows every email at http://127.0.0.1:8025/
##   (then, in another terminal: SMTP_URL=smtp://127.0.0.1:1025 MAIL_FROM=complaints@localhost make run)
mail-catcher:
	go run ./internal/mail/mailtest/catcher

## build: build the production binary (api, worker, migrate, audit, token, health) into bin/
build:
	$(GO) build $(GOFLAGS) -o $(BIN) ./cmd/complaints

## build-dev: build the tooling binary (dev, temporal-server, bench, cluster, chaos and
## the production commands) into bin/
build-dev:
	$(GO) build $(GOFLAGS) -o $(DEV_BIN) ./cmd/complaints-dev

## deps: install what a fresh machine lacks (PostgreSQL server binaries, Prometheus and promtool)
deps:
	@scripts/ensure-deps.sh

## test: every test, unit and integration (starts its own PostgreSQL and Temporal;
## the browser tests save their screenshots under TEST_ARTIFACTS)
TEST_ARTIFACTS ?= $(CURDIR)/test-artifacts
test: deps
	TEST_ARTIFACTS=$(TEST_ARTIFACTS) $(GO) test $(GOFLAGS) -count=1 -timeout 30m ./...

## test-short: the tests that need no PostgreSQL and no Temporal (the rules, the
## decoders, the clocks, the handlers), in under a minute; the others skip, saying why
test-short:
	$(GO) test $(GOFLAGS) -short -count=1 ./...

## fuzz: a short run of the decoder/validator fuzz test (CI runs it)
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzComplaintDecoding -fuzztime 15s ./apiserver/

## lint: go vet, staticcheck and Temporal's workflowcheck
lint:
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION) ./workflows/...

## bench: the load generator (intake, whole lifecycles, 100,000 open cases,
## 1,000,000 case rows; about 30 minutes); writes bench-report.json
bench: deps build-dev
	./$(DEV_BIN) bench --out bench-report.json

## bench-quick: the same at 10,000 open cases and 100,000 rows (about 3 minutes)
bench-quick: deps build-dev
	./$(DEV_BIN) bench --quick --out bench-report.json

## bench-go: the Go benchmarks of the hot paths (SCALE_CASES sets the report benchmark's rows)
bench-go: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

## cluster: the production topology as local processes - PostgreSQL, the Temporal
## server, 2 workers and 2 API instances (APIs on 8100-8101, workers 8110-8111,
## Temporal 7300; data in .data/cluster); each process is restarted if it dies
cluster: deps build-dev
	./$(DEV_BIN) cluster

## chaos: whole cases under load while workers, an API and the Temporal server are
## killed (-9), PostgreSQL restarted and the payment provider misbehaves; checks
## nothing was lost, paid twice or stuck; writes chaos-report.json (about 3 minutes)
chaos: deps build-dev
	./$(DEV_BIN) chaos --out chaos-report.json

## token: print a staff token for the dev system (ROLE=manager SUB=alice TEAM=billing)
token:
	@$(GO) run ./cmd/complaints token --sub $(SUB) --role $(ROLE) --team $(TEAM)

clean:
	rm -rf bin
