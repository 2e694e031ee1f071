# Vigil's entry points. Each target installs what is missing first (scripts/install-deps).
#   make demo   build and start the server on ./vigil-data
#   make test   build (release + ASan/UBSan) and run every test
#   make bench  build and run the side-by-side benchmarks in bench/
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CMAKE_COMMON = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
# Let ccache hit across clones in different folders (CI builds a fresh clone elsewhere).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := true

.PHONY: deps build build-asan test unit-asan demo bench clean

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Debug -DVIGIL_SANITIZE=ON

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# Every test of the release build (unit + integration), then the unit tests under ASan+UBSan.
test: build build-asan
	cd $(BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 600
	cd $(ASAN_BUILD) && ctest -j $(JOBS) --output-on-failure --timeout 900 -L unit

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
	rm -rf $(BUILD) $(ASAN_BUILD)
