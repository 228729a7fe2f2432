# The two commands of the README. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
ARGS ?=

.PHONY: all bootstrap bootstrap-test build run test bench bench-scaleout bench-users package clean

all: build

bootstrap:
	@./scripts/bootstrap.sh

# What the tests and benchmarks run besides the build: PostgreSQL, Redis, nginx, Caddy, Chromium, ...
bootstrap-test:
	@./scripts/bootstrap.sh --test

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: bootstrap $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/cloakroom serve $(ARGS)

test: bootstrap-test build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

bench: bootstrap-test build
	./bench/run.sh

bench-scaleout: bootstrap-test build
	BUILD_DIR=$(BUILD_DIR) ./bench/scaleout.sh > $(BUILD_DIR)/scaleout.md && python3 bench/report.py --scaleout $(BUILD_DIR)/scaleout.md

# Users in PostgreSQL vs SQLite: login latency in the same run, and the user lookup (bench/users_backends.py).
bench-users: bootstrap-test build
	BUILD_DIR=$(BUILD_DIR) python3 bench/users_backends.py

package: build
	cd $(BUILD_DIR) && cpack -G DEB

clean:
	rm -rf $(BUILD_DIR)
