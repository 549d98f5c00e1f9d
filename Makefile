# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go
PKG := ./...

.PHONY: run test generate bench fmt vet check build load

# run: start the wizard on the embedded default (SQLite under ./data/); prints the URL to open.
run:
	$(GO) run ./cmd/enrollplan serve

# test: the whole suite. PostgreSQL and browser tests skip loudly unless
# ENROLLPLAN_TEST_POSTGRES_URL / ENROLLPLAN_E2E=1 are set (.ci/run sets them).
test:
	$(GO) test -count=1 $(PKG)

# generate: regenerate templ components (templ is pinned as a Go tool in go.mod).
generate:
	$(GO) tool templ generate

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./internal/plan/

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/enrollplan ./cmd/enrollplan

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet $(PKG)

# load: wrk load test of plan saves and share-page reads, as ratios against a
# bare net/http server (not run by CI; installs wrk with apt-get if missing).
load:
	bash .ci/load.sh
