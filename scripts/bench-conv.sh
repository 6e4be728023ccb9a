#!/usr/bin/env bash
# Times every Conv2D kernel variant of dev/conv2d (BenchmarkConv2D in gpu/conv_bench_test.go,
# natively on the Vulkan adapter, lavapipe on a machine without a GPU) and PyTorch's CPU
# conv2d on the same shapes in one run, alternating rounds so that both see the same
# machine, and prints them side by side. Other work on the machine slows single rounds:
# each figure is the median over rounds of the per-round median, next to the best round.
#
#   ROUNDS=5 BENCHTIME=10x TORCH_THREADS=2 scripts/bench-conv.sh
#
# PyTorch comes from Debian's python3-torch (apt-get install python3-torch), run by
# /usr/bin/python3 (PYTHON overrides); without it only Easel's figures are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
benchtime=${BENCHTIME:-10x}
threads=${TORCH_THREADS:-2}
py=${PYTHON:-/usr/bin/python3}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go test -c -o "$out/gpu.test" ./gpu/
torch=yes
if ! "$py" -c 'import torch' 2>/dev/null; then
	echo "note: $py cannot import torch (apt-get install python3-torch); PyTorch is left out" >&2
	torch=
fi

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/head.txt"
for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	"$out/gpu.test" -test.run '^$' -test.bench '^BenchmarkConv2D$' -test.benchtime "$benchtime" >> "$out/go.txt" 2>&1 ||
		{ cat "$out/go.txt" >&2; exit 1; }
	if [ -n "$torch" ]; then
		"$py" scripts/torch_conv_bench.py --threads "$threads" >> "$out/torch.txt"
	fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/head.txt"
touch "$out/torch.txt"

python3 - "$out" <<'PY'
import re
import statistics
import sys

out = sys.argv[1]
print(open(f"{out}/head.txt").read(), end="")
easel, torch = {}, {}
for line in open(f"{out}/go.txt"):
    if "gpu tests run on adapter:" in line and "adapter" not in easel:
        print("adapter:", line.split("adapter:", 1)[1].strip())
        easel["adapter"] = True
    m = re.match(r"BenchmarkConv2D/(\S+)/v(\d+)-\d+\s+\d+\s+\d+ ns/op\s+([\d.]+) GFLOP/s\s+([\d.]+) best-GFLOP/s", line)
    if m:
        easel.setdefault((m[1], int(m[2])), []).append((float(m[3]), float(m[4])))
for line in open(f"{out}/torch.txt"):
    _, shape, med, best, th = line.split()
    torch.setdefault(shape, []).append((float(med), float(best)))
    torch["threads"] = th
if "threads" in torch:
    print(f"PyTorch CPU conv2d: torch.set_num_threads({torch['threads']}), reflect padding included")
print()
shapes = []
for k in easel:
    if isinstance(k, tuple) and k[0] not in shapes:
        shapes.append(k[0])
fmt = "{:<20} {:<8} {:>10} {:>10} {:>12}"
print(fmt.format("shape", "kernel", "GFLOP/s", "best", "PyTorch/this"))
for s in shapes:
    t = torch.get(s)
    tmed = statistics.median(m for m, _ in t) if t else None
    for k in sorted(k for k in easel if isinstance(k, tuple) and k[0] == s):
        runs = easel[k]
        med = statistics.median(m for m, _ in runs)
        best = max(b for _, b in runs)
        ratio = f"{tmed / med:.1f}x" if tmed else "-"
        print(fmt.format(s, f"v{k[1]}", f"{med:.2f}", f"{best:.2f}", ratio))
    if t:
        print(fmt.format(s, "PyTorch", f"{tmed:.2f}", f"{max(b for _, b in t):.2f}", "1.0x"))
print()
print(f"GFLOP/s: median over {len(next(iter(v for k, v in easel.items() if isinstance(k, tuple))))} rounds of each round's median")
print("submit+wait (Easel) or call (PyTorch); best: the fastest single one. FLOPs = 2·N·Co·Ho·Wo·Ci·kH·kW.")
PY
