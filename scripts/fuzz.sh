#!/usr/bin/env bash
# Runs each of Easel's fuzzers for FUZZTIME (default 60s) with FUZZPARALLEL workers
# (default 2) and prints the executions each made (docs/FUZZING.md records a run).
# FUZZFRESH=1 starts each from its seeds, dropping the corpus the cache has gathered.
# A failing input is written to the package's testdata/fuzz/ (commit it as a regression
# test once fixed) and the script exits non-zero.
set -uo pipefail
cd "$(dirname "$0")/.."
time=${FUZZTIME:-60s}
par=${FUZZPARALLEL:-2}
cache=$(go env GOCACHE)/fuzz/easel
status=0
summary=""
for target in \
	models:FuzzDecode models:FuzzStateDict models:FuzzPth models:FuzzImportStateDict \
	internal/npy:FuzzReadFloat32 internal/imagefile:FuzzDecode server:FuzzServeHTTP; do
	pkg=${target%%:*}
	fn=${target#*:}
	[ "${FUZZFRESH:-}" = 1 ] && rm -rf "$cache/$pkg/$fn"
	log=$(mktemp)
	go test "./$pkg" -run '^$' -fuzz "^$fn\$" -fuzztime "$time" -parallel "$par" >"$log" 2>&1
	rc=$?
	last=$(grep '^fuzz: elapsed' "$log" | tail -1)
	execs=$(sed -n 's/.*execs: \([0-9]*\).*/\1/p' <<<"$last")
	interesting=$(sed -n 's/.*(total: \([0-9]*\)).*/\1/p' <<<"$last")
	if [ "$rc" != 0 ]; then
		status=1
		cat "$log"
		summary+=$(printf '%-32s FAILED\n' "$pkg $fn")$'\n'
	else
		summary+=$(printf '%-32s %10s execs  corpus %s\n' "$pkg $fn" "$execs" "$interesting")$'\n'
	fi
	rm -f "$log"
done
printf 'fuzzing %s each, %s workers, %s:\n%s' "$time" "$par" "$(go version | cut -d' ' -f3)" "$summary"
exit $status
