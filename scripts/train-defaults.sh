#!/usr/bin/env bash
# Trains Easel's embedded default models from scratch, as they were made, and writes them
# (f16) into models/defaults. Each step is resumable: rerunning the script continues the
# runs in $RUNS from their last checkpoints. On a 2-core machine with lavapipe the whole
# pipeline takes a few hours (docs/GANS.md and docs/STYLES.md give each model's time); on a
# GPU, minutes. The style networks train on the data of scripts/fetch-style-data.sh, in
# $STYLE_DATA (default style-data, fetched there if missing).
#
#   RUNS=runs STYLE_DATA=style-data scripts/train-defaults.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-runs}
mkdir -p "$runs"
easel=${EASEL:-build/easel-train}
go build -o "$easel" ./cmd/easel

# train KIND NAME STEPS FLAGS...: a run folder RUNS/NAME, continued if it exists.
train() {
	local kind=$1 name=$2 steps=$3
	shift 3
	if [ -f "$runs/$name/checkpoint.msgpack" ]; then
		"$easel" train "$kind" --resume "$runs/$name" --steps "$steps" --out "$runs/$name.msgpack"
	else
		"$easel" train "$kind" --run "$runs/$name" --steps "$steps" --out "$runs/$name.msgpack" \
			--sample-every 250 --checkpoint-every 250 "$@"
	fi
}

train cgan cgan-mnist 2000 --data mnist --ngf 32 --ndf 32 --batch 64 --seed 1
train infogan infogan-mnist 1500 --data mnist --ngf 32 --ndf 32 --batch 64 --seed 1
train dcgan dcgan-faces 2500 --data faces --ngf 32 --ndf 32 --batch 32 --real-label 0.9 \
	--instance-noise 0.15 --noise-steps 1500 --seed 1
"$easel" train classifier --data mnist --size 32 --width 32 --batch 64 --steps 1500 --seed 1 \
	--out "$runs/classifier-mnist.msgpack"
"$easel" train classifier --data faces --size 64 --width 16 --batch 64 --steps 800 --seed 1 \
	--out "$runs/classifier-faces.msgpack"
"$easel" directions --model "$runs/dcgan-faces.msgpack" --classifier "$runs/classifier-faces.msgpack" \
	--n 4096 --seed 1 --out "$runs/dcgan-faces-directions.msgpack"

for name in cgan-mnist infogan-mnist dcgan-faces dcgan-faces-directions classifier-mnist classifier-faces; do
	"$easel" convert --model "$runs/$name.msgpack" --name "$name" --dtype f16 --out "models/defaults/$name.msgpack"
done

# ---- Style networks (docs/STYLES.md) ----
# The paintings and photos of scripts/fetch-style-data.sh, in $STYLE_DATA (fetched there if
# missing); one light TransformerNet per painting, run folder RUNS/FILE, converted to f16
# under its embedded name.
style_data=${STYLE_DATA:-style-data}
[ -d "$style_data/content" ] || scripts/fetch-style-data.sh "$style_data"

content_credit="Content photos: 27 images of Debian bookworm's python3-skimage (BSD-3-Clause; CC0/public-domain images), darknet (GPL-3.0+ or MIT or WTFPL) and opencv-doc (Apache-2.0 AND BSD-3-Clause), fetched by scripts/fetch-style-data.sh (docs/STYLES.md)."

# train_style FILE NAME STYLE_SIZE CREDIT [STAB_STEPS]: trains on styles/FILE.* (STYLE_SIZE
# px on the longer side), continuing RUNS/FILE if it exists, and writes
# models/defaults/NAME.msgpack with the style image's and the photos' sources and licences
# in its description. With STAB_STEPS, the f16 network is then fine-tuned for STAB_STEPS
# steps with the noise-stability term (run folder RUNS/FILE-stab), which cuts webcam
# flicker (docs/PERCEPTUAL.md, Flicker), and that is what is written.
train_style() {
	local file=$1 name=$2 style_size=$3 credit=$4 stab_steps=${5:-0} steps=550
	local run=$runs/$file out=$runs/$file/$file.msgpack
	local style
	style=$(ls "$style_data"/styles/"$file".*)
	if [ ! -f "$out" ]; then
		if [ -f "$run/checkpoint.msgpack" ]; then
			"$easel" train style --resume "$run" --steps "$steps" --out "$out"
		else
			"$easel" train style --run "$run" --steps "$steps" --out "$out" \
				--style "$style" --style-size "$style_size" --content "$style_data/content" \
				--size 128 --batch 2 --lr 4e-3 --content-weight 15 --style-weight 2 \
				--checkpoint-every 25 --sample-every 25
		fi
	fi
	if [ "$stab_steps" -gt 0 ]; then
		local base=$runs/$file/$name-f16.msgpack stab=$runs/$file-stab stab_out=$runs/$file-stab/$file-stab.msgpack
		"$easel" convert --model "$out" --name "$name" --dtype f16 --out "$base"
		if [ ! -f "$stab_out" ]; then
			if [ -f "$stab/checkpoint.msgpack" ]; then
				"$easel" train style --resume "$stab" --steps "$stab_steps" --out "$stab_out"
			else
				"$easel" train style --run "$stab" --steps "$stab_steps" --out "$stab_out" --init "$base" \
					--style "$style" --style-size "$style_size" --content "$style_data/content" \
					--size 128 --batch 2 --lr 1e-3 --content-weight 15 --style-weight 2 \
					--stability 0.1 --stability-noise 2.5 --checkpoint-every 25 --sample-every 25
			fi
		fi
		credit="$credit Fine-tuned from a network trained for $steps steps at lr 4e-3 from PyTorch's initialisation (seed 1)."
		out=$stab_out
	fi
	"$easel" convert --model "$out" --name "$name" --dtype f16 --out "models/defaults/$name.msgpack" \
		--credit "Style image: $credit $content_credit"
}

train_style starry_night starry-night 256 "The Starry Night, Vincent van Gogh, 1889, public domain; starry_night.jpg of Debian's opencv-doc 4.6.0+dfsg-12." 150
train_style scream scream 256 "The Scream, Edvard Munch, 1893, public domain; scream.jpg of Debian's darknet 0.0.0+git20180914.61c9d02e-2+b4."
train_style great_wave great-wave 161 "The Great Wave off Kanagawa, Katsushika Hokusai, c. 1831, public domain; a 161×108 crop of the puzzle piece in Debian's gcompris-qt-data 3.1-2 (paintings activity)." 100
