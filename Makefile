# Vigil's entry points. Each target installs what is missing first (scripts/install-deps).
#   make demo   build and start the server on ./vigil-data
#   make test   build (release + ASan/UBSan) and run every test
#   make bench  build and run the side-by-side benchmarks in bench/
#   make fuzz   build the libFuzzer targets (clang) and fuzz each for FUZZ_SECONDS (default 300)
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 300
CMAKE_COMMON = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
# Let ccache hit across clones in different folders (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps build build-asan build-fuzz test unit-asan demo bench fuzz clean

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON

$(FUZZ_BUILD)/build.ninja:
	cmake -S . -B $(FUZZ_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVIGIL_FUZZ=ON \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

build-fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz

# Every test of the release build (unit + integration), then the unit tests under ASan+UBSan,
# then each fuzz target briefly (its seeds, then 20 s of fuzzing).
test: build build-asan build-fuzz
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 600
	cd $(ASAN_BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 900 -L unit
	cd $(FUZZ_BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 300 -L fuzz

# Each fuzz target for FUZZ_SECONDS, keeping what it finds in $(FUZZ_BUILD)/fuzz/corpus/<name>
# across runs (the committed seeds in fuzz/corpus stay as they are). A crash leaves its input
# in $(FUZZ_BUILD)/fuzz/ (crash-*) and fails the target.
fuzz: build-fuzz
	@for t in $$(cd $(FUZZ_BUILD)/fuzz && ls *_fuzz); do \
	  echo "== $$t: $(FUZZ_SECONDS) s"; \
	  (cd $(FUZZ_BUILD)/fuzz && ./$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 corpus/$$t $(CURDIR)/fuzz/corpus/$$t) || exit 1; \
	done

demo: build
	@scripts/demo $(BUILD)/vigil

bench: deps
	@scripts/install-deps --bench
	cmake -S . -B $(BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)
	bench/tsdb/run.sh $(BUILD)
	bench/lb/run.sh $(BUILD)
	bench/alarms/run.sh $(BUILD)
	bench/logs/run.sh $(BUILD)
	bench/deploy/run.sh $(BUILD)
	bench/dashboard/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
