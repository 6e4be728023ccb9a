GO ?= go

.PHONY: all build viewer check-build test deps vet fuzz bench bench-conv bench-stylize bench-gpu bench-train bench-browser wasm run clean

all: build

# One self-contained binary, build/easel: the command line and the server with the whole
# web app in it (the WebAssembly build and wasm_exec.js embedded by the tag embedwasm). A
# deployment is this one file; see README.md, Deployment.
build: wasm
	$(GO) build -tags embedwasm -o build/easel ./cmd/easel

# The training viewer, build/easel-view, beside build/easel (where easel train --view looks
# for it): a window, so cgo and the X11/GL headers (make deps installs them).
viewer:
	mkdir -p build
	$(GO) build -tags viewer -o build/easel-view ./cmd/easel-view

# Checks that build/easel serves the whole app with no other file beside it.
check-build: build
	bash scripts/check-build.sh build/easel

# Installs what the tests need (Vulkan loader, lavapipe, Chromium) when missing.
deps:
	bash scripts/install-deps.sh

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) vet -tags viewer ./cmd/easel-view
	GOOS=js GOARCH=wasm $(GO) vet ./wasm ./gpu/...

test: deps vet
	$(GO) test -count=1 -timeout 45m ./...
	$(MAKE) check-build

# Each fuzzer for FUZZTIME (default 60s); see docs/FUZZING.md.
fuzz:
	bash scripts/fuzz.sh

bench:
	$(GO) test -run '^$$' -bench . -benchtime 20x ./gpu/

bench-conv:
	bash scripts/bench-conv.sh

# Whole networks (TransformerNet at 256 and 512, the DCGAN generator) next to PyTorch CPU.
bench-stylize:
	bash scripts/bench-stylize.sh

# On a machine with a real GPU: the measured FP32 peak (easel bench peak), TransformerNet at
# 256/512/1024 and the DCGAN generator next to PyTorch CUDA in FP32, within 5 minutes. On a
# GPU machine without Go, copy build/easel, scripts/ and models/testdata/make_golden.py and
# run EASEL=build/easel scripts/bench-gpu.sh there (see docs/PERFORMANCE.md, On a real GPU).
bench-gpu: build
	EASEL=build/easel bash scripts/bench-gpu.sh

# Training steps (a DCGAN iteration at batch 64, TransformerNet at 256 with Adam) next to
# PyTorch CPU; slow on lavapipe (minutes per case, see docs/PERFORMANCE.md).
bench-train:
	bash scripts/bench-train.sh

# Easel's TransformerNet next to TF.js and onnxruntime-web in headless Chromium (WebGPU on
# SwiftShader here): slow, 30–35 minutes (see docs/PERFORMANCE.md). Needs Chromium, Node,
# Debian's python3-torch; the npm packages go to bench/browser/node_modules (ignored).
bench-browser:
	cd bench/browser && { test -d node_modules/onnxruntime-web || npm ci --ignore-scripts --no-audit --no-fund; }
	EASEL_BENCH_BROWSER=1 $(GO) test -count=1 -run TestBrowserBench -v -timeout 3h ./bench/browser

# The page's WebAssembly build and the toolchain's JS glue for it, as easel serve expects them.
wasm:
	mkdir -p build
	GOOS=js GOARCH=wasm $(GO) build -o build/easel.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" build/

run: build
	./build/easel serve

clean:
	$(GO) clean -testcache
