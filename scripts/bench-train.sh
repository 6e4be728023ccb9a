#!/usr/bin/env bash
# Times training steps in one run: Easel's (`easel bench train dcgan`, `gan`,
# `transformer-net`, `style` and `gatys`, on the Vulkan adapter: lavapipe on a machine
# without a GPU) and PyTorch's CPU implementation of the same steps
# (scripts/torch_train_bench.py), alternating rounds so that both see the same machine, and
# prints them side by side with the ratio, in wall time and in CPU time (the process's,
# every thread: what other load on the machine changes little). Each figure is the median over rounds of the per-round
# median, next to the best step.
#
#   ROUNDS=1 RUNS=3 WARMUP=1 TORCH_THREADS=2 BATCH=64 NGF=64 NDF=64 SIZE=256 MODEL=standard \
#     STYLE_BATCH=4 CASES="dcgan transformer dcgan-faces cgan infogan wgan style gatys" \
#     scripts/bench-train.sh
#
# Cases: dcgan is pytorch/examples dcgan at BATCH, NZ, NGF, NDF (`easel bench train dcgan`);
# transformer is TransformerNet at SIZE, MODEL, without a loss network. style is a
# fast_neural_style training step (`easel bench train style`): TransformerNet (MODEL) on
# STYLE_BATCH crops of SIZE², VGG16 to relu4_3 (random weights) on its output and on the
# crops, content loss at relu2_2, Gram-matrix style loss at relu1_2, relu2_2, relu3_3,
# relu4_3, backward, Adam. gatys is one Adam iteration of style transfer by optimisation on
# a 1×3×SIZE² image (`easel bench train gatys`): VGG16 to relu4_3 forward and backward,
# content relu4_2, style relu1_1, relu2_1, relu3_1, relu4_1, relu4_3. The others are the GAN
# networks Easel ships, at their own settings (`easel bench train gan --kind K`; PyTorch:
# the loops of models/testdata/make_gan_kinds.py and dcgan/main.py):
#   dcgan-faces  dcgan, 64×64 RGB, nz 100, ngf = ndf = 32, batch 32
#   cgan         cgan, 32×32 gray, nz 100, 10 classes, ngf = ndf = 32, batch 64
#   infogan      infogan, 32×32 gray, nz 62, a 10-way code and 2 continuous codes
#                (information weights 1 and 0.1), ngf = ndf = 32, batch 64
#   wgan         wgan, 64×64 RGB, nz 100, ngf = ndf = 32, batch 64, N_CRITIC (5) critic steps
# GAN_BATCH and GAN_WIDTH override the batch and ngf = ndf of these four (a quick check:
# GAN_BATCH=4 GAN_WIDTH=4 RUNS=1 WARMUP=1).
#
# A DCGAN iteration at dcgan's sizes is about 160 GFLOP, a WGAN iteration at its about 130,
# a style step at 256² with batch 4 (standard TransformerNet) about 730, a Gatys iteration
# at 256² about 110: on lavapipe each takes tens of seconds, and the first one of a run
# (pipeline compilation) minutes; keep RUNS small.
# PyTorch comes from Debian's python3-torch (apt-get install python3-torch), run by
# /usr/bin/python3 (PYTHON overrides); without it only Easel's figures are printed.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-1}
runs=${RUNS:-3}
warmup=${WARMUP:-1}
threads=${TORCH_THREADS:-2}
batch=${BATCH:-64}
nz=${NZ:-100}
ngf=${NGF:-64}
ndf=${NDF:-64}
size=${SIZE:-256}
model=${MODEL:-standard}
sbatch=${STYLE_BATCH:-4}
cases=${CASES-dcgan transformer dcgan-faces cgan infogan wgan style gatys}
gbatch=${GAN_BATCH:-}
gwidth=${GAN_WIDTH:-32}
ncritic=${N_CRITIC:-5}
py=${PYTHON:-/usr/bin/python3}

case "$model" in
standard) widths=(--c1 32 --c2 64 --c3 128 --blocks 5) ;;
light) widths=(--c1 16 --c2 32 --c3 64 --blocks 3) ;;
*) echo "MODEL=$model: want standard or light" >&2; exit 2 ;;
esac

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
touch "$out/easel.txt" "$out/torch.txt" "$out/memory.txt"
for r in $(seq "$rounds"); do
	for c in $cases; do
		echo "round $r/$rounds: $c" >&2
		case "$c" in
		dcgan)
			name="train-dcgan-$batch"
			args=(dcgan --batch "$batch" --nz "$nz" --ngf "$ngf" --ndf "$ndf")
			targs=(--cases dcgan --batch "$batch" --nz "$nz" --ngf "$ngf" --ndf "$ndf")
			;;
		transformer)
			name="train-transformer-$size"
			args=(transformer-net --size "$size" --model "$model")
			targs=(--cases transformer --size "$size" "${widths[@]}")
			;;
		style)
			name="train-style-$size"
			args=(style --size "$size" --batch "$sbatch" --net "$model")
			targs=(--cases style --size "$size" --style-batch "$sbatch" "${widths[@]}")
			;;
		gatys)
			name="gatys-$size"
			args=(gatys --size "$size")
			targs=(--cases gatys --size "$size")
			;;
		dcgan-faces | cgan | infogan | wgan)
			# kind, batch, side, channels, nz and the kind's own flags of the shipped network.
			case "$c" in
			dcgan-faces) kind=dcgan b=32 side=64 nc=3 gnz=100 extra=() ;;
			cgan) kind=cgan b=64 side=32 nc=1 gnz=100 extra=(--classes 10) ;;
			infogan) kind=infogan b=64 side=32 nc=1 gnz=62 extra=(--cat 10 --cont 2) ;;
			wgan) kind=wgan b=64 side=64 nc=3 gnz=100 extra=(--n-critic "$ncritic") ;;
			esac
			b=${gbatch:-$b}
			name="train-$c-$b"
			shape=(--batch "$b" --nc "$nc" --nz "$gnz" --ngf "$gwidth" --ndf "$gwidth")
			args=(gan --kind "$kind" --size "$side" "${shape[@]}" "${extra[@]}")
			if [ "$kind" = dcgan ]; then
				targs=(--cases dcgan "${shape[@]}")
			else
				targs=(--cases "$kind" --gan-size "$side" "${shape[@]}" "${extra[@]}")
			fi
			;;
		*) echo "unknown case $c: want dcgan, transformer, dcgan-faces, cgan, infogan, wgan, style or gatys" >&2; exit 2 ;;
		esac
		"$out/easel" bench train "${args[@]}" --runs "$runs" --warmup "$warmup" > "$out/one.txt" 2>&1 || { cat "$out/one.txt" >&2; exit 1; }
		cat "$out/one.txt" >&2
		grep -m1 '^adapter:' "$out/one.txt" > "$out/adapter.txt"
		echo "$name $(grep '^time:' "$out/one.txt") $(grep '^cpu:' "$out/one.txt") $(grep '^work:' "$out/one.txt")" >> "$out/easel.txt"
		echo "$name $(grep '^memory:' "$out/one.txt")" >> "$out/memory.txt"
		if [ -n "$torch" ]; then
			"$py" scripts/torch_train_bench.py --threads "$threads" --repeats "$runs" --warmup "$warmup" --label "$name" "${targs[@]}" | tee -a "$out/torch.txt" >&2
		fi
	done
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
    m = re.match(r"(\S+) time:\s+median ([\d.]+) ms .*; min ([\d.]+) ms.*cpu:\s+median ([\d.]+) ms.* work:\s+([\d.]+) GFLOP", line)
    if m:
        easel.setdefault(m[1], []).append((float(m[2]), float(m[3]), float(m[4])))
        gflop[m[1]] = float(m[5])
threads = None
tgflop = {}
for line in open(f"{out}/torch.txt"):
    _, case, med, best, gf, threads, cpu = line.split()
    torch.setdefault(case, []).append((float(med), float(best), float(cpu)))
    tgflop[case] = float(gf)
if threads:
    print(f"PyTorch {threads} threads, training mode")
print()
print("per round (median ms / best ms / CPU ms of one step):")
for case, runs in easel.items():
    for i, (m, b, c) in enumerate(runs):
        line = f"  {case:<24} round {i + 1}: Easel {m:.0f} / {b:.0f} / {c:.0f}"
        t = torch.get(case)
        if t and i < len(t):
            line += f"   PyTorch {t[i][0]:.0f} / {t[i][1]:.0f} / {t[i][2]:.0f}"
        print(line)
print()
fmt = "{:<24} {:>9} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}"
print(fmt.format("case", "Easel ms", "best", "cpu-ms", "steps/s", "GFLOP/s",
                 "Torch ms", "best", "cpu-ms", "steps/s", "GFLOP/s", "ratio", "best"))
for case, runs in easel.items():
    med = statistics.median(m for m, _, _ in runs)
    best = min(b for _, b, _ in runs)
    cpu = statistics.median(c for _, _, c in runs)
    gf = gflop[case]
    t = torch.get(case)
    ours = [f"{med:.0f}", f"{best:.0f}", f"{cpu:.0f}", f"{1e3 / med:.3g}", f"{gf / best * 1e3:.1f}"]
    if t:
        tmed = statistics.median(m for m, _, _ in t)
        tbest = min(b for _, b, _ in t)
        tcpu = statistics.median(c for _, _, c in t)
        print(fmt.format(case, *ours, f"{tmed:.0f}", f"{tbest:.0f}", f"{tcpu:.0f}", f"{1e3 / tmed:.3g}",
                         f"{gf / tbest * 1e3:.1f}", f"{med / tmed:.2f}x", f"{best / tbest:.2f}x"))
        if abs(tgflop[case] - gf) > 0.01 * gf + 0.002:
            print(f"  note: PyTorch's forward hooks count {tgflop[case]:.3f} GFLOP, Easel {gf:.3f}: not the same networks")
    else:
        print(fmt.format(case, *ours, "-", "-", "-", "-", "-", "-", "-"))
print()
memory = {}
for line in open(f"{out}/memory.txt"):
    case, rest = line.split(" ", 1)
    memory[case] = rest.strip()
for case, m in memory.items():
    print(f"{case} {m}")
print()
print(f"ms: median over {len(next(iter(easel.values())))} rounds of each round's median step; best: the fastest step of all;")
print("cpu-ms: CPU time per step, every thread (PyTorch's OpenMP threads spin while they wait, so")
print("under load its CPU time grows too). GFLOP/s: the step's nominal work (3x the 2·multiply-adds")
print("of the convolutions of each differentiated forward pass, the fixed VGG's included; 1x of")
print("WGAN's critic-step fakes and of the style step's VGG on the crops) over the best step;")
print("steps/s: 1000 / the median ms. ratio: Easel's time / PyTorch's, of the")
print("medians and of the best steps (other load only adds time: the best steps are the closest")
print("to a quiet machine).")
PY
