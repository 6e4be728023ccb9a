GO ?= go

.PHONY: all build test deps vet bench bench-conv wasm run clean

all: build

build:
	$(GO) build ./...
	GOOS=js GOARCH=wasm $(GO) build ./gpu/...

# Installs what the tests need (Vulkan loader, lavapipe, Chromium) when missing.
deps:
	bash scripts/install-deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./wasm ./gpu/...

test: deps vet
	$(GO) test -count=1 -timeout 20m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchtime 20x ./gpu/

bench-conv:
	bash scripts/bench-conv.sh

# The page's WebAssembly build and the toolchain's JS glue for it, as easel serve expects them.
wasm:
	mkdir -p build
	GOOS=js GOARCH=wasm $(GO) build -o build/easel.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" build/

run: wasm
	$(GO) run ./cmd/easel serve

clean:
	$(GO) clean -testcache
