# evanalyze — see README.md for what each target is for.
GO        ?= go
BENCH_OUT ?= /tmp/evanalyze-bench
BENCH_EVENTS ?= 1000000
FUZZTIME  ?= 30s
BENCH_SCALE_OUT    ?= /tmp/evanalyze-bench-scale
BENCH_SCALE_EVENTS ?= 9000
BENCH_SCALE_RUNS   ?= 3

.PHONY: all build test test-long test-public vet demo bench bench-data bench-scale fuzz e2e clean

all: build test

build:
	$(GO) build -o bin/evanalyze ./cmd/evanalyze

# The everyday test command: vet, then the tests with the race detector,
# leaving out the long cases (testing.Short: the whole-archive comparisons
# of spilling, push-down, shuffling and dedup, evgen's clone checks), which
# test-long adds. Fuzz targets run their seed and regression corpora here.
test: vet
	$(GO) test -race -short -count=1 ./...

# Every test, the long ones too: what CI runs (.ci/run).
test-long: vet
	$(GO) test -race -count=1 -timeout 30m ./...

# The tests on the public must-gathers and support bundles in
# ../shared/data/public (too large to copy into testdata): `make test` skips
# them when the data is absent, this target requires it.
PUBLIC_DATA ?= $(abspath ../shared/data/public)
test-public:
	@if [ ! -f "$(PUBLIC_DATA)/MANIFEST.tsv" ]; then \
		echo "test-public: no public data in $(PUBLIC_DATA) (no MANIFEST.tsv)."; \
		echo "  Set PUBLIC_DATA to the directory that holds it: make test-public PUBLIC_DATA=/path/to/shared/data/public"; \
		exit 1; fi
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

# Large archives for benchmarks (not committed): 1M+ event records in 4 clusters,
# each event in 4 formats plus the audit log,
# cloned from testdata/lab-basic with new names, uids and shifted times.
bench-data:
	$(GO) run ./cmd/evgen -src testdata/lab-basic -out $(BENCH_OUT) -events $(BENCH_EVENTS) -clusters 4 -seed 1

# One table of the whole CLI end to end (cmd/benchscale), into bench-scale.txt:
# wall, MB/s and peak RSS of rollouts on one events.jsonl at 1x, 4x and 16x
# BENCH_SCALE_EVENTS (16x is about 100 MB), of DuckDB's naive query on the same
# files, and of rollouts, stats, export and timeline on archives of 1 and 4
# clusters. Inputs are generated once into BENCH_SCALE_OUT and reused.
bench-scale: build
	@if [ ! -d e2e/duckdb/node_modules ] && command -v npm >/dev/null; then \
		cd e2e/duckdb && npm ci --no-audit --no-fund; fi
	$(GO) run ./cmd/benchscale -go $(GO) -bin bin/evanalyze -out $(BENCH_SCALE_OUT) \
		-events $(BENCH_SCALE_EVENTS) -runs $(BENCH_SCALE_RUNS) -table bench-scale.txt

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
	rm -rf bin bench.txt bench-scale.txt
