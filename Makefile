# The two commands a fresh machine needs are `make run` and `make test`.
GO ?= go
PKG := ./...

.PHONY: run test fuzz generate bench fmt vet check build load

# run: start the wizard on the embedded default (SQLite under ./data/); prints the URL to open.
run:
	@echo "make run: the first build compiles the Microsoft Graph SDK: 12-15 minutes and 4+ GiB of memory on 2 cores; later builds are cached."
	$(GO) run ./cmd/enrollplan serve

# test: the whole suite. PostgreSQL and browser tests skip unless
# ENROLLPLAN_TEST_POSTGRES_URL / ENROLLPLAN_E2E=1 are set (.ci/run sets them);
# .ci/testsum prints go test's usual lines, then every skipped test and why,
# and exits with go test's status.
test:
	GO=$(GO) $(GO) run ./.ci/testsum -count=1 $(PKG)

# fuzz: every go test -fuzz target for FUZZTIME each (default 10s), one after
# another; says how long each ran. A failing input is kept under the
# package's testdata/fuzz/ and then replays in `make test`.
FUZZTIME ?= 10s
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz.sh

# generate: regenerate templ components (templ is pinned as a Go tool in go.mod).
generate:
	$(GO) tool templ generate

# bench: the engine and its encodings, the store's saves (group commit) and
# the share page, compute and save handlers; BENCHMARKS.md has the numbers.
BENCHCOUNT ?= 5
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./internal/plan/ ./internal/store/sqlite/ ./web/

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/enrollplan ./cmd/enrollplan

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet $(PKG)

# load: wrk on loopback (compute, share page cold and warm, each format, save,
# a wizard step), as ratios to a bare net/http handler measured in the same
# run (not run by CI; installs wrk with apt-get if missing). BENCHMARKS.md.
load:
	bash .ci/load.sh
