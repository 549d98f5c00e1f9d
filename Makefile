# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go
PKG := ./...

.PHONY: run test generate bench fmt vet check build

# run: compute the plan of the mixed-fleet example (the web wizard arrives with `serve`).
run:
	$(GO) run ./cmd/enrollplan plan --answers examples/mixed-fleet.json --format md

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
