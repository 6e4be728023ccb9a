#!/usr/bin/env bash
# Fetches the training data of Easel's style networks (starry-night, scream, great-wave)
# from Debian bookworm's packages, as they were trained, and checks every file against the
# SHA-256 sums below: DIR/content/ (27 photos for the content loss) and DIR/styles/ (the
# three paintings). docs/STYLES.md gives each file's origin and licence. Needs apt-get and
# dpkg-deb (Debian or Ubuntu) and Go; downloads about 165 MB of packages, into a temporary
# folder that is removed afterwards.
#
#   scripts/fetch-style-data.sh [DIR]     (default: ./style-data)
#
# Should bookworm's mirrors drop these versions, snapshot.debian.org keeps them.
set -euo pipefail
out=$(realpath -m "${1:-style-data}")
repo=$(cd "$(dirname "$0")/.." && pwd)

packages=(
	opencv-doc=4.6.0+dfsg-12
	darknet=0.0.0+git20180914.61c9d02e-2+b4
	python3-skimage=0.19.3-8
	gcompris-qt-data=3.1-2
)

# Each file of DIR: its SHA-256 and where in the packages it comes from.
files=(
	"content/skimage-astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5 usr/lib/python3/dist-packages/skimage/data/astronaut.png"
	"content/skimage-coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7 usr/lib/python3/dist-packages/skimage/data/coffee.png"
	"content/skimage-chelsea.png 596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb usr/lib/python3/dist-packages/skimage/data/chelsea.png"
	"content/skimage-rocket.jpg c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c usr/lib/python3/dist-packages/skimage/data/rocket.jpg"
	"content/skimage-motorcycle_left.png db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179 usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png"
	"content/skimage-grass.png b6b6022426b38936c43a4ac09635cd78af074e90f42ffa8227ac8b7452d39f89 usr/lib/python3/dist-packages/skimage/data/grass.png"
	"content/skimage-gravel.png c48615b451bf1e606fbd72c0aa9f8cc0f068ab7111ef7d93bb9b0f2586440c12 usr/lib/python3/dist-packages/skimage/data/gravel.png"
	"content/skimage-brick.png 7966caf324f6ba843118d98f7a07746d22f6a343430add0233eca5f6eaaa8fcf usr/lib/python3/dist-packages/skimage/data/brick.png"
	"content/darknet-dog.jpg 5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866 usr/share/darknet/data/dog.jpg"
	"content/darknet-eagle.jpg f95f57297fd51a6c5ddceb5ed6916fa759d1d65f402fee34c05b31a9608755c0 usr/share/darknet/data/eagle.jpg"
	"content/darknet-giraffe.jpg 00dc48a9b2af8a1fe4c4b79319726591f1033c7e1150f21e7577a79f3b6659f1 usr/share/darknet/data/giraffe.jpg"
	"content/darknet-horses.jpg c8f0a677a1356569e2ce71d2fa88c1030c0ae57ecf5e14170e02d9a86a20dcb4 usr/share/darknet/data/horses.jpg"
	"content/darknet-kite.jpg 87410f52f79cc256c3949b48a3548632c07c8e9943468ef8caa6250f6643be8e usr/share/darknet/data/kite.jpg"
	"content/darknet-person.jpg cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1 usr/share/darknet/data/person.jpg"
	"content/opencv-baboon.jpg 1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f usr/share/doc/opencv-doc/examples/data/baboon.jpg"
	"content/opencv-fruits.jpg 9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1 usr/share/doc/opencv-doc/examples/data/fruits.jpg"
	"content/opencv-building.jpg 742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07 usr/share/doc/opencv-doc/examples/data/building.jpg"
	"content/opencv-home.jpg 23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2 usr/share/doc/opencv-doc/examples/data/home.jpg"
	"content/opencv-messi5.jpg 1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9 usr/share/doc/opencv-doc/examples/data/messi5.jpg"
	"content/opencv-orange.jpg 152c20d2f380ac985de25e474e1a5f06ed34b932191342099b8272a63a15a079 usr/share/doc/opencv-doc/examples/data/orange.jpg"
	"content/opencv-apple.jpg e86879de3d9a807dedc742a8f464f39e6b74bbb531a1fba3583155d94997d1cd usr/share/doc/opencv-doc/examples/data/apple.jpg"
	"content/opencv-butterfly.jpg 34a99716b78ded10eae87b4880de739d3e68cc7dd1a96812bb28f469d5eeaea8 usr/share/doc/opencv-doc/examples/data/butterfly.jpg"
	"content/opencv-aero1.jpg d9a69191f6e3642ea361bc3c62e677b2f40fe6534b78da540f4155e0734b59ef usr/share/doc/opencv-doc/examples/data/aero1.jpg"
	"content/opencv-squirrel_cls.jpg 20bb6e8ae96918a36c9886b6d48e54eedeb3948591e1485c206bc1dc60c8dc8b usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg"
	"content/opencv-stuff.jpg 21cd00afbdd0727f445dd91c0a09633e6345ed5b05a3d2355453a1f3c314c6c5 usr/share/doc/opencv-doc/examples/data/stuff.jpg"
	"content/opencv-leuvenA.jpg b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f usr/share/doc/opencv-doc/examples/data/leuvenA.jpg"
	"content/opencv-smarties.png ad3f751c053fdcf432687c1bc0e56a61a9119d2bb2ae29365f8aa6534fc77417 usr/share/doc/opencv-doc/examples/data/smarties.png"
	"styles/starry_night.jpg accda7a19a90f22a4a922fdc8c230167d7abf5f80882171e2cee125c5f12481d usr/share/doc/opencv-doc/examples/data/starry_night.jpg"
	"styles/scream.jpg dcab7bae866fbb396e01ab27a9c8d2d40b3e80911dafb05a5fa18d1bac6b8d17 usr/share/darknet/data/scream.jpg"
)

# The Great Wave: the largest fully opaque rectangle of the puzzle piece that gcompris
# stores as a WebP at this offset of its paintings bundle, 209×194 with transparent
# corners. The PNG's bytes depend on the encoder, so its pixels are checked instead.
wave_rcc=usr/share/gcompris-qt/rcc/paintings.rcc
wave_offset=1897580
wave_rect=0,43,161,151
wave_pixels=d6aaeeae3d68e720ec780b2ece911d9725f5557e726127d2d4bec0b8c61dc87e

for p in "${packages[@]}"; do
	if ! apt-cache show "$p" >/dev/null 2>&1; then
		if [ "$(id -u)" != 0 ]; then
			echo "fetch-style-data: apt knows no $p: run apt-get update as root (on Debian bookworm)" >&2
			exit 1
		fi
		apt-get update
		break
	fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download "${packages[@]}")
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$tmp/root"
done

mkdir -p "$out/content" "$out/styles"
bad=0
for f in "${files[@]}"; do
	read -r name sum from <<<"$f"
	cp "$tmp/root/$from" "$out/$name"
	if ! echo "$sum  $out/$name" | sha256sum --check --quiet; then
		bad=1
	fi
done

wave=$(cd "$repo" && go run ./scripts/webpcrop -in "$tmp/root/$wave_rcc" -offset "$wave_offset" \
	-rect "$wave_rect" -out "$out/styles/great_wave.png")
echo "$wave"
if [[ "$wave" != *"RGB pixels sha256 $wave_pixels" ]]; then
	echo "fetch-style-data: $out/styles/great_wave.png: pixels differ, want sha256 $wave_pixels" >&2
	bad=1
fi
if [ "$bad" != 0 ]; then
	echo "fetch-style-data: some files differ from those Easel's styles were trained on" >&2
	exit 1
fi
echo "fetch-style-data: $out/content: $(ls "$out/content" | wc -l) photos; $out/styles: $(ls "$out/styles" | tr '\n' ' ')"
