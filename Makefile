# evanalyze — see README.md for what each target is for.
GO        ?= go
BENCH_OUT ?= /tmp/evanalyze-bench
BENCH_EVENTS ?= 1000000
FUZZTIME  ?= 30s

.PHONY: all build test test-public vet demo bench bench-data fuzz e2e clean

all: build test

build:
	$(GO) build -o bin/evanalyze ./cmd/evanalyze

# The test command CI runs (.ci/run): vet, then every test with the race
# detector. Fuzz targets run their seed and regression corpora here.
test: vet
	$(GO) test -race -count=1 ./...

# The tests on the public must-gathers and support bundles in
# ../shared/data/public (too large to copy into testdata): `make test` skips
# them when the data is absent, this target requires it.
PUBLIC_DATA ?= $(abspath ../shared/data/public)
test-public:
	EVANALYZE_PUBLIC_DATA=$(PUBLIC_DATA) EVANALYZE_REQUIRE_PUBLIC_DATA=1 $(GO) test -count=1 -run '^TestPublic' -v ./cmd/evanalyze

vet:
	$(GO) vet ./...

# The main job on the bundled sample: the rollouts of lab-basic.
demo:
	$(GO) run ./cmd/evanalyze rollouts testdata/lab-basic

# End-to-end: backfill into a real Jaeger v2 on loopback (builds it once,
# about 5 minutes; see e2e/run-jaeger.sh).
e2e:
	bash e2e/run-jaeger.sh

# Benchmarks: decoding (MB/s, events/s) on testdata, and the whole load on
# the generated archive when `make bench-data` has made it.
bench:
	EVANALYZE_BENCH_DATA=$(BENCH_OUT) $(GO) test -run '^$$' -bench . -benchmem -count 6 ./... | tee bench.txt

# Large archives for benchmarks (not committed): 1M+ events in 4 clusters,
# cloned from testdata/lab-basic with new names, uids and shifted times.
bench-data:
	$(GO) run ./cmd/evgen -src testdata/lab-basic -out $(BENCH_OUT) -events $(BENCH_EVENTS) -clusters 4 -seed 1

# Run each fuzz target for FUZZTIME; new crashers land in testdata/fuzz.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(FUZZTIME) ./internal/load/jsonscan
	$(GO) test -run '^$$' -fuzz '^FuzzFramer$$' -fuzztime $(FUZZTIME) ./internal/load/jsonscan
	$(GO) test -run '^$$' -fuzz '^FuzzHash$$' -fuzztime $(FUZZTIME) ./internal/load/jsonscan
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/load/k8sjson
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./internal/load/audit
	$(GO) test -run '^$$' -fuzz '^FuzzConvert$$' -fuzztime $(FUZZTIME) ./internal/load/yamlrec
	$(GO) test -run '^$$' -fuzz '^FuzzUUID$$' -fuzztime $(FUZZTIME) ./internal/load/pqfile
	$(GO) test -run '^$$' -fuzz '^FuzzRolloutJSON$$' -fuzztime $(FUZZTIME) ./internal/report/rollouts

clean:
	rm -rf bin bench.txt
