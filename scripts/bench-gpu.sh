#!/usr/bin/env bash
# The GPU benchmark (make bench-gpu): on this machine's Vulkan GPU, Easel's measured FP32
# peak (`easel bench peak`: WGSL FMA chains), its TransformerNet at 256², 512² and 1024²
# (`easel bench stylize`) and its DCGAN generator on a batch of 64 (`easel bench sample`),
# one training step each of pytorch/examples dcgan at batch 64 and of fast_neural_style at
# 4 crops of 256² (`easel bench train`: the backward kernels, the weight gradients too),
# next to PyTorch CUDA on the same card in true FP32 (TF32 off, as WGSL computes:
# scripts/torch_stylize_bench.py --device cuda), then a table: each network's time,
# GFLOP/s, share of the measured peak, floor (its FLOPs over the peak) and Easel's time over
# the floor and over PyTorch's. Goals at 1024²: within 3× of the floor, faster than PyTorch.
# Sized to finish within 5 minutes on a GPU.
#
# It needs only a built easel and the Vulkan loader (plus python3 for the table, and a CUDA
# build of PyTorch for its columns); no Go toolchain, no browser. On a machine without Go,
# copy build/easel (make build, or go build -o build/easel ./cmd/easel), scripts/ and
# models/testdata/make_golden.py, keeping their places, and run scripts/bench-gpu.sh there.
#
#   EASEL=build/easel SIZES="256 512 1024" SAMPLE=64 TRAIN="dcgan style" RUNS=10 WARMUP=3 \
#     MATMUL=8192 PYTHON=python3 OUT_DIR=results scripts/bench-gpu.sh
#
# EASEL: the binary (default build/easel; built with go only when missing and go exists).
# SIZES="" leaves TransformerNet out, SAMPLE=0 the generator, TRAIN="" the training steps
# (Easel's only: PyTorch's training benchmark runs on the CPU), MATMUL=0 PyTorch's matrix
# product. PEAK_ARGS: flags for easel bench peak (e.g. "--groups 1024" on a CPU driver).
# PYTHON runs PyTorch; without a CUDA build its columns are left out. OUT_DIR: where the
# report (bench-gpu.txt) and every command's raw output are written as well.
# A quick check on lavapipe (a CPU Vulkan driver), under a minute:
#   SIZES=256 SAMPLE=0 TRAIN="" RUNS=2 WARMUP=1 PEAK_ARGS="--groups 1024" scripts/bench-gpu.sh
set -euo pipefail
# EASEL and OUT_DIR given relative to where the script was started from.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -n "${EASEL:-}" ] && EASEL=$(abs "$EASEL")
[ -n "${OUT_DIR:-}" ] && OUT_DIR=$(abs "$OUT_DIR")
cd "$(dirname "$0")/.."
easel=${EASEL:-build/easel}
sizes=${SIZES-256 512 1024}
sample=${SAMPLE:-64}
train=${TRAIN-dcgan style}
runs=${RUNS:-10}
warmup=${WARMUP:-3}
matmul=${MATMUL:-8192}
peak_args=${PEAK_ARGS:-}
py=${PYTHON:-python3}
out_dir=${OUT_DIR:-}
began=$(date +%s)

if [ ! -x "$easel" ]; then
	if ! command -v go >/dev/null; then
		echo "bench-gpu: no easel binary at $easel and no go to build one: set EASEL to a built easel" >&2
		exit 1
	fi
	echo "bench-gpu: building $easel" >&2
	mkdir -p "$(dirname "$easel")"
	go build -o "$easel" ./cmd/easel
fi

raw=$(mktemp -d)
# On exit, also after a failure, OUT_DIR gets whatever was measured.
finish() {
	if [ -n "$out_dir" ]; then
		mkdir -p "$out_dir" && cp "$raw"/*.txt "$raw"/*.err "$out_dir"/ 2>/dev/null || true
		echo "bench-gpu: report and raw outputs in $out_dir (bench-gpu.txt)" >&2
	fi
	rm -rf "$raw"
}
trap finish EXIT

# step NAME COMMAND...: runs one benchmark into $raw/NAME.txt, saying so on stderr.
step() {
	local name=$1
	shift
	echo "bench-gpu: $name: $*" >&2
	local t0=$SECONDS
	if ! "$@" >"$raw/$name.txt" 2>"$raw/$name.err"; then
		cat "$raw/$name.txt" "$raw/$name.err" >&2
		echo "bench-gpu: $name failed" >&2
		exit 1
	fi
	echo "bench-gpu: $name took $((SECONDS - t0)) s" >&2
}

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(uname -n), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "easel: $easel"
} >"$raw/head.txt"
if command -v nvidia-smi >/dev/null; then
	nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit \
		--format=csv,noheader >"$raw/nvidia-smi.txt" 2>&1 || true
fi

# shellcheck disable=SC2086 # PEAK_ARGS is a list of flags
step peak "$easel" bench peak $peak_args
for s in $sizes; do
	step "stylize-$s" "$easel" bench stylize --size "$s" --runs "$runs" --warmup "$warmup"
done
gen=()
if [ "$sample" -gt 0 ]; then
	step "sample-$sample" "$easel" bench sample --n "$sample" --runs "$runs" --warmup "$warmup"
	# PyTorch times a generator of the widths of the model easel ran (its model: line).
	for k in nz ngf nc; do
		gen+=("--$k" "$(grep -m1 '^model:' "$raw/sample-$sample.txt" | grep -o "$k=[0-9]*" | cut -d= -f2)")
	done
fi

# Training steps: fewer runs, each is a whole iteration.
for k in $train; do
	case $k in
	dcgan) step train-dcgan "$easel" bench train dcgan --batch 64 --runs 3 --warmup 1 ;;
	style) step train-style "$easel" bench train style --size 256 --batch 4 --runs 3 --warmup 1 ;;
	*)
		echo "bench-gpu: TRAIN: unknown case $k, want dcgan or style" >&2
		exit 1
		;;
	esac
done

if "$py" -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
	sizes_csv=$(echo $sizes | tr ' ' ',')
	# A failure here leaves Easel's figures standing: PyTorch's columns stay empty.
	( step torch "$py" scripts/torch_stylize_bench.py --device cuda --repeats "$runs" --warmup "$warmup" \
		--sizes "$sizes_csv" --sample "$sample" --matmul "$matmul" "${gen[@]}" ) ||
		echo "PyTorch CUDA failed (its output is in torch.err); PyTorch is left out" >"$raw/torch.txt"
else
	echo "no CUDA PyTorch: $py cannot import torch with CUDA available (PYTHON picks another python); PyTorch is left out" >"$raw/torch.txt"
	echo "bench-gpu: $(cat "$raw/torch.txt")" >&2
fi
echo "took: $(($(date +%s) - began)) s in all" >>"$raw/head.txt"

python3 - "$raw" "$sizes" "$sample" "$train" <<'PY' | tee "$raw/bench-gpu.txt"
import os
import re
import sys

raw, sizes, sample, train = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), sys.argv[4].split()


def read(name):
    p = os.path.join(raw, name)
    return open(p).read() if os.path.exists(p) else ""


def field(text, key):
    m = re.search(rf"^{key}:\s*(.*)$", text, re.M)
    return m[1] if m else None


def num(s, pattern):
    m = re.search(pattern, s or "")
    return float(m[1]) if m else None


print(read("head.txt"), end="")
smi = read("nvidia-smi.txt").strip()
if smi:
    print(f"nvidia-smi: {smi} (name, driver, SM clock now, max SM clock, power limit)")
peak_txt = read("peak.txt")
print(f"adapter: {field(peak_txt, 'adapter')}")
peak = num(field(peak_txt, "peak"), r"([\d.]+) GFLOP/s")
print(f"measured FP32 peak (easel bench peak, fastest run): {peak:.1f} GFLOP/s; {field(peak_txt, 'kernel')}")

torch_txt = read("torch.txt")
torch, device = {}, {}
for line in torch_txt.splitlines():
    f = line.split()
    if len(f) == 6 and f[0] == "torch":
        torch[f[1]] = (float(f[2]), float(f[3]), float(f[4]))
    elif line.startswith("# "):
        print(f"pytorch {line[2:]}")
if not torch:
    print(torch_txt.strip())
for case, (med, best, gf) in torch.items():
    if case.startswith("matmul-"):
        rate = gf / best * 1e3
        print(f"PyTorch FP32 {case} (TF32 off), fastest run: {rate:.1f} GFLOP/s, {rate / peak * 100:.0f} % of the WGSL peak")

# The spec-sheet peak where the FP32 lanes per SM of the card's architecture are known:
# SMs × lanes × 2 × the maximum SM clock.
lanes_per_sm = {(7, 0): 64, (7, 5): 64, (8, 0): 64, (8, 6): 128, (8, 9): 128, (9, 0): 128}
m = re.search(r"(\d+) SMs, compute capability (\d+)\.(\d+)", torch_txt)
clock = None
if smi:
    fields = [x.strip() for x in smi.splitlines()[0].split(",")]
    clock = num(fields[3], r"(\d+) MHz") if len(fields) >= 5 else None
if m and clock and (int(m[2]), int(m[3])) in lanes_per_sm:
    sms, lanes = int(m[1]), lanes_per_sm[(int(m[2]), int(m[3]))]
    spec = sms * lanes * 2 * clock / 1e3
    print(f"spec FP32 peak: {spec:.0f} GFLOP/s ({sms} SMs × {lanes} FP32 lanes × 2 × {clock:.0f} MHz); "
          f"the measured peak is {peak / spec * 100:.0f} % of it")

cases = [(f"stylize-{s}", f"TransformerNet {s}²") for s in sizes]
if sample > 0:
    cases.append((f"sample-{sample}", f"DCGAN G, batch {sample}"))
train_labels = {"dcgan": "DCGAN train, batch 64", "style": "style train, 4×256²"}
cases += [(f"train-{k}", train_labels[k]) for k in train]
print()
fmt = "{:<22} {:>9} {:>8} {:>7} {:>9} {:>12} {:>10} {:>14}"
print(fmt.format("network", "Easel ms", "GFLOP/s", "% peak", "floor ms", "Easel/floor", "PyTorch ms", "Easel/PyTorch"))
cold, goal = [], None
for case, label in cases:
    t = read(f"{case}.txt")
    ms = num(field(t, "time"), r"median ([\d.]+) ms")
    gflop = num(field(t, "work"), r"([\d.]+) GFLOP")
    rate = gflop / ms * 1e3
    floor = gflop / peak * 1e3
    tp = torch.get(case)
    tms = f"{tp[0]:.2f}" if tp else "-"
    ratio = f"{ms / tp[0]:.2f}×" if tp else "-"
    print(fmt.format(label, f"{ms:.2f}", f"{rate:.0f}", f"{rate / peak * 100:.1f}", f"{floor:.2f}",
                     f"{ms / floor:.2f}×", tms, ratio))
    setup = field(t, "setup") or ""
    cold.append((label, num(setup, r"compiles ([\d.]+) ms"), num(setup, r"first run ([\d.]+) ms")))
    if case == "stylize-1024":
        goal = (ms / floor, ms / tp[0] if tp else None)
print()
print("Easel ms: median run (one submit and the wait for the output's readback; for training, a whole step:")
print("forward, backward, Adam, the losses read back); PyTorch ms: median call,")
print("synchronized, no copy to the host. GFLOP/s: the network's 2·multiply-adds of its convolutions over Easel's")
print("time. floor: those FLOPs over the measured peak. Easel/floor, Easel/PyTorch: Easel's time over theirs.")
for label, c, f in cold:
    if c is not None and f is not None:
        print(f"cold start, {label}: plan and shader compiles {c:.0f} ms, first run {f:.0f} ms")
if goal:
    floor_ok = "met" if goal[0] <= 3 else "not met"
    print(f"goal at 1024²: within 3× of the floor: {goal[0]:.2f}× ({floor_ok})", end="")
    if goal[1] is not None:
        torch_ok = "met" if goal[1] < 1 else "not met"
        print(f"; faster than PyTorch CUDA FP32: {goal[1]:.2f}× its time ({torch_ok})")
    else:
        print("; faster than PyTorch CUDA FP32: no PyTorch figure")
PY
