#!/usr/bin/env bash
# Checks that the binary make build writes serves the whole web app by itself: copied alone
# into an empty directory and started there, it must serve the page, its assets, the
# embedded .wasm and wasm_exec.js (byte for byte those of build/) and the model index.
set -euo pipefail
bin=$(realpath "${1:-build/easel}")
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
cp "$bin" "$dir/easel"
cd "$dir"
./easel serve --addr 127.0.0.1:0 >out.txt 2>&1 &
pid=$!
url=
for _ in $(seq 100); do
	url=$(grep -o 'http://[^ ]*/' out.txt | head -1 || true)
	[ -n "$url" ] && break
	kill -0 "$pid" 2>/dev/null || { cat out.txt; echo "check-build: easel serve exited"; exit 1; }
	sleep 0.1
done
[ -n "$url" ] || { cat out.txt; echo "check-build: easel serve printed no URL"; exit 1; }
fail=0
get() { curl -fsS -o "$2" "$url$1" || { echo "check-build: GET $1 failed"; fail=1; }; }
get "" index.html
get web/easel.js easel.js
get web/styles/starry_night.jpg starry_night.jpg
get easel.wasm easel.wasm
get wasm_exec.js wasm_exec.js
get models/index.json index.json
cmp -s easel.wasm "$repo/build/easel.wasm" || { echo "check-build: /easel.wasm differs from build/easel.wasm"; fail=1; }
cmp -s wasm_exec.js "$repo/build/wasm_exec.js" || { echo "check-build: /wasm_exec.js differs from build/wasm_exec.js"; fail=1; }
grep -q '<script src="wasm_exec.js">' index.html || { echo "check-build: / is not the page"; fail=1; }
grep -q '"url": "/models/' index.json || { echo "check-build: the model index lists no model"; fail=1; }
[ "$fail" = 0 ] || exit 1
echo "check-build: $(basename "$bin") ($(du -h "$bin" | cut -f1)) serves the whole app alone: $(ls | tr '\n' ' ')"
