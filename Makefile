# Thin wrapper around CMake. `make` builds; `make run` serves the demo;
# `make test` runs every test; `make bench` measures and writes docs/benchmarks.md;
# `make fuzz` fuzzes the text scorers, FUZZ_TIME seconds per target.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_TIME ?= 300
JOBS ?= 2
DATA_DIR ?= var
MAKEFLAGS += --no-print-directory

.PHONY: all build run test test-unit test-integration test-browser test-asan bench fuzz clean bootstrap

all: build

bootstrap:
	@scripts/bootstrap

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

run: bootstrap build
	@$(BUILD)/hark demo --data-dir $(DATA_DIR)
	@echo
	@exec $(BUILD)/hark serve --data-dir $(DATA_DIR)

test: bootstrap build
	@scripts/test

bench: bootstrap build
	@bench/run.sh

fuzz: bootstrap
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIME=$(FUZZ_TIME) JOBS=$(JOBS) tests/fuzz/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
