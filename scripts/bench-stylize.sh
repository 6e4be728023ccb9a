#!/usr/bin/env bash
# Times the whole networks in one run: Easel's TransformerNet (`easel bench stylize`, on the
# Vulkan adapter: lavapipe on a machine without a GPU) at 256×256 and 512×512 and the DCGAN
# generator on a batch of 64 (`easel bench sample`), and PyTorch's CPU forward passes of the
# same networks (scripts/torch_stylize_bench.py), alternating rounds so that both see the
# same machine, and prints them side by side with the ratio. Other work on the machine slows
# single rounds: each figure is the median over rounds of the per-round median, next to
# the best round.
#
#   ROUNDS=3 RUNS=10 TORCH_THREADS=2 SIZES="256 512" SAMPLE=64 scripts/bench-stylize.sh
#
# PyTorch comes from Debian's python3-torch (apt-get install python3-torch), run by
# /usr/bin/python3 (PYTHON overrides); without it only Easel's figures are printed.
# SAMPLE=0 leaves the generator out, SIZES="" the TransformerNet.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
runs=${RUNS:-10}
threads=${TORCH_THREADS:-2}
sizes=${SIZES-256 512}
sample=${SAMPLE:-64}
py=${PYTHON:-/usr/bin/python3}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/easel" ./cmd/easel
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
touch "$out/easel.txt" "$out/torch.txt"
for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	for s in $sizes; do
		"$out/easel" bench stylize --size "$s" --runs "$runs" > "$out/one.txt" 2>&1 || { cat "$out/one.txt" >&2; exit 1; }
		grep -m1 '^adapter:' "$out/one.txt" > "$out/adapter.txt"
		echo "stylize-$s $(grep '^time:' "$out/one.txt") $(grep '^work:' "$out/one.txt")" >> "$out/easel.txt"
	done
	gen=()
	if [ "$sample" -gt 0 ]; then
		"$out/easel" bench sample --n "$sample" --runs "$runs" > "$out/one.txt" 2>&1 || { cat "$out/one.txt" >&2; exit 1; }
		grep -m1 '^adapter:' "$out/one.txt" > "$out/adapter.txt"
		echo "sample-$sample $(grep '^time:' "$out/one.txt") $(grep '^work:' "$out/one.txt")" >> "$out/easel.txt"
		# PyTorch times a generator of the widths of the model easel ran (its model: line).
		for k in nz ngf nc; do
			gen+=("--$k" "$(grep -m1 '^model:' "$out/one.txt" | grep -o "$k=[0-9]*" | cut -d= -f2)")
		done
	fi
	if [ -n "$torch" ]; then
		"$py" scripts/torch_stylize_bench.py --threads "$threads" --repeats "$runs" --sizes "${sizes// /,}" \
			--sample "$sample" "${gen[@]}" >> "$out/torch.txt"
	fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/head.txt"

python3 - "$out" <<'PY'
import re
import statistics
import sys

out = sys.argv[1]
print(open(f"{out}/head.txt").read(), end="")
print(open(f"{out}/adapter.txt").read(), end="")
easel, torch, gflop = {}, {}, {}
for line in open(f"{out}/easel.txt"):
    m = re.match(r"(\S+) time:\s+median ([\d.]+) ms .*; min ([\d.]+) ms.* work:\s+([\d.]+) GFLOP", line)
    if m:
        easel.setdefault(m[1], []).append((float(m[2]), float(m[3])))
        gflop[m[1]] = float(m[4])
threads = None
for line in open(f"{out}/torch.txt"):
    _, case, med, best, gf, threads = line.split()
    torch.setdefault(case, []).append((float(med), float(best)))
if threads:
    print(f"PyTorch {threads} threads, eval, no_grad")
print()
fmt = "{:<12} {:>10} {:>9} {:>9} {:>10} {:>9} {:>9} {:>8}"
print(fmt.format("case", "Easel ms", "best", "GFLOP/s", "Torch ms", "best", "GFLOP/s", "ratio"))
for case, runs in easel.items():
    med = statistics.median(m for m, _ in runs)
    best = min(b for _, b in runs)
    gf = gflop[case]
    t = torch.get(case)
    if t:
        tmed = statistics.median(m for m, _ in t)
        tbest = min(b for _, b in t)
        print(fmt.format(case, f"{med:.1f}", f"{best:.1f}", f"{gf / med * 1e3:.1f}",
                         f"{tmed:.1f}", f"{tbest:.1f}", f"{gf / tmed * 1e3:.1f}", f"{med / tmed:.2f}x"))
    else:
        print(fmt.format(case, f"{med:.1f}", f"{best:.1f}", f"{gf / med * 1e3:.1f}", "-", "-", "-", "-"))
print()
print(f"ms: median over {len(next(iter(easel.values())))} rounds of each round's median run; best: the fastest run.")
print("GFLOP/s: the network's 2·multiply-adds of its convolutions over the median. ratio: Easel's time / PyTorch's.")
PY
