# Tasker on Temporal. The two commands: `make run` and `make test`.
GO ?= go
ONLY ?=
FUZZTIME ?= 20000x
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test test-cluster fuzz lint bench deps build clean

## run: the embedded Temporal server + Web UI + the worker with the example templates
## (ports: make run PORT=7233 UI_PORT=8233)
run:
	$(GO) run ./cmd/worker $(if $(PORT),--port $(PORT)) $(if $(UI_PORT),--ui-port $(UI_PORT))

## build: the worker, the CLI, the standalone dev server, the bridge and the cluster node into bin/
build:
	$(GO) build -o bin/ ./cmd/worker ./cmd/tasker ./cmd/devserver ./cmd/bridge ./cmd/temporal-node

## test: the whole suite (unit + integration on one embedded Temporal server and PostgreSQL) + a short fuzz run;
## it first runs `make deps`, which takes seconds when everything is already there
test: deps build
	scripts/with-devserver.sh $(GO) test -count=1 -timeout 30m ./...
	TASKER_REPLAY_EVERY_TASK=1 scripts/with-devserver.sh $(GO) test -count=1 -run 'TestExamplesEndToEnd|TestContinueAsNew' ./workflows
	$(MAKE) fuzz

## test-cluster: the cluster topology (Temporal services as separate processes on PostgreSQL, mTLS,
## three workers and a bridge) running 500 tasks with one worker killed mid-run; CI runs it
test-cluster: deps build
	$(GO) test -tags cluster -count=1 -timeout 20m -run TestCluster ./internal/cluster/

## fuzz: the template loader's fuzz target, briefly
fuzz:
	$(GO) test ./template -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 50x

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags cluster ./internal/cluster/
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(STATICCHECK) -tags cluster ./internal/cluster/

## bench: every benchmark group (or ONLY=<group>), as BENCH lines; writes docs/benchmarks.md
bench: build
	scripts/with-devserver.sh $(GO) run ./internal/benchrun -only '$(ONLY)' -out docs/benchmarks.md

## deps: what the tests need beyond Go (run by `make test`; idempotent, seconds when warm)
deps:
	@for s in scripts/deps/[0-9]*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf bin
