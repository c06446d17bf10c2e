# Zhiku developer entry points. Every target installs what it needs first.
BUILD_DIR ?= build
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
DEMO_LISTEN ?= 127.0.0.1:50151
SERVE_LISTEN ?= 127.0.0.1:50051
SERVE_DATA ?= $(HOME)/.local/share/zhiku

.PHONY: deps build test demo serve clean quality

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

demo: build
	@bash scripts/demo.sh $(BUILD_DIR) $(DEMO_LISTEN)

serve: build
	@bash scripts/serve.sh $(BUILD_DIR) $(SERVE_LISTEN) $(SERVE_DATA)

quality: build
	@bash scripts/quality-gate.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
