#!/usr/bin/env bash
# fuzz/coverage.sh [TARGET...] - source coverage the fuzz corpora reach.
#
# Builds each target with clang's source-based coverage (no libFuzzer, no
# sanitizers; replay-main.c drives it) into ${CTUNE_FUZZ_BUILD:-build-fuzz}/cov,
# replays the committed corpus, the regressions and the corpus a fuzz run
# grew (build-fuzz/work/TARGET), and prints line, function and branch
# coverage of the parser's own source file (llvm-cov report).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${CTUNE_FUZZ_BUILD:-$top/build-fuzz}
out=$build/cov
mkdir -p "$out"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request argv duration table stat events netlink nl facts)
cc=${CC:-clang}
read -ra pcflags <<<"$(pkg-config --cflags augeas jansson)"
read -ra libs <<<"$(pkg-config --libs augeas jansson) -lm"
flags=(-std=gnu11 -D_GNU_SOURCE -DCTUNE_VERSION='"cov"' -O1 -g -fprofile-instr-generate -fcoverage-mapping
	-I"$top/src" -I"$top/plugin" "${pcflags[@]}")
srcs=()
for f in "$top"/src/*.c "$top"/plugin/*.c; do
	[ "$(basename "$f")" = main.c ] && [[ $f == */plugin/* ]] && continue
	srcs+=("$f")
done
declare -A file=([request]=plugin/request.c [argv]=plugin/request.c [duration]=src/duration.c
	[table]=src/table.c [stat]=src/stat.c [events]=src/events.c [netlink]=src/netlink.c
	[nl]=src/nl-callback.c)
for t in "${targets[@]}"; do
	exe=$out/cov-$t
	extra=()
	# shellcheck disable=SC2054 # one linker option, commas and all
	[ "$t" = table ] && extra=(-Wl,--wrap=read)
	lib=()
	for f in "${srcs[@]}"; do
		# fuzz-netlink.c includes src/netlink.c itself
		[ "$t" = netlink ] && [[ $f == */src/netlink.c ]] && continue
		lib+=("$f")
	done
	$cc "${flags[@]}" -o "$exe" "$here/fuzz-$t.c" "$here/replay-main.c" "${lib[@]}" "${libs[@]}" "${extra[@]}" 2>"$out/$t.build.log" ||
		{ echo "$t: build failed (see $out/$t.build.log)"; continue; }
	dirs=()
	for d in "$here/corpus/$t" "$here/regressions/$t" "$build/work/$t"; do [ -d "$d" ] && dirs+=("$d"); done
	rm -f "$out/$t".*.profraw
	LLVM_PROFILE_FILE="$out/$t.%p.profraw" "$exe" "${dirs[@]}" >"$out/$t.replay.log" 2>&1 || true
	llvm-profdata merge -sparse "$out/$t".*.profraw -o "$out/$t.profdata"
	echo "== $t ($(tail -1 "$out/$t.replay.log"))"
	llvm-cov report "$exe" -instr-profile="$out/$t.profdata" "$top/${file[$t]}" | tail -1 |
		awk -v f="${file[$t]}" '{ printf "%s: regions %s, functions %s, lines %s, branches %s\n", f, $4, $7, $10, $13 }'
done
