# Tasker on Temporal. The two commands: `make run` and `make test`.
GO ?= go
ONLY ?=
FUZZTIME ?= 20000x
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test fuzz lint bench deps build clean

## run: the embedded Temporal server + Web UI + the worker with the example templates, and the REST API and console on 127.0.0.1:8234 opened for local development (reads and writes without a token)
run:
	$(GO) run ./cmd/worker --http-open

## build: the worker, the CLI, the standalone dev server and the bridge into bin/
build:
	$(GO) build -o bin/ ./cmd/worker ./cmd/tasker ./cmd/tasker-http ./cmd/devserver ./cmd/bridge

## test: the whole suite (unit + integration on one embedded Temporal server and PostgreSQL) + a short fuzz run
test: build
	scripts/with-devserver.sh $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) fuzz

## fuzz: the template loader's fuzz target, briefly
fuzz:
	$(GO) test ./template -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 50x

## lint: gofmt, go vet and staticcheck
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

## bench: every benchmark group (or ONLY=<group>), as BENCH lines; writes docs/benchmarks.md
bench: build
	scripts/with-devserver.sh $(GO) run ./internal/benchrun -only '$(ONLY)' -out docs/benchmarks.md

## deps: what the tests need beyond Go (run by .ci/run; idempotent)
deps:
	@for s in scripts/deps/*.sh; do [ -e "$$s" ] || continue; echo "== $$s"; bash "$$s" || exit 1; done

clean:
	rm -rf bin
