# Parley: the two commands a new machine needs are `make run` and `make test`.
GO ?= go
# go.mod's `toolchain` line names the Go release to build with; auto fetches it.
export GOTOOLCHAIN ?= auto

.PHONY: run test build proto fuzz bench vet vulncheck

run: ## start parleyd on embedded defaults (SQLite in ./data, 127.0.0.1:8080)
	$(GO) run ./cmd/parleyd

test: ## install what the tests need, then run the whole suite
	bash scripts/test.sh

build:
	$(GO) build -o bin/ ./cmd/...

vet:
	gofmt -l . | (! grep .) && $(GO) vet ./...

vulncheck: ## govulncheck against the pinned local vulnerability database
	GO=$(GO) bash scripts/vulncheck.sh

proto: ## regenerate cluster/chatpb (needs Debian's protobuf-compiler)
	command -v protoc >/dev/null || (apt-get update -q && apt-get install -y -q protobuf-compiler)
	GOBIN=$$($(GO) env GOPATH)/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" $(GO) generate ./cluster/chatpb

fuzz: ## run every fuzz target for FUZZTIME each (default 10s)
	FUZZTIME=$${FUZZTIME:-10s} bash scripts/fuzz.sh

bench: ## the benchmarks quoted in the README
	$(GO) test -run '^$$' -bench . -benchmem ./api/wsproto/ ./actors/ ./persistence/sqlitestore/
