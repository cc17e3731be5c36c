#!/usr/bin/env bash
# cmake.test.sh - the build without the test suite: -DBUILD_TESTING=OFF
# configures and builds on a machine without check (the unit tests'
# library), which pkg-config is made not to find here: a private
# PKG_CONFIG_LIBDIR holds every .pc file of the system but check.pc.
#  1. with BUILD_TESTING=ON that configure fails and names check (so the
#     absence is real);
#  2. with BUILD_TESTING=OFF it configures, builds, registers no test, and
#     the executable runs;
#  3. cmake_minimum_required states 3.19 or later, since the build uses
#     file(GENERATE ... FILE_PERMISSIONS) and CPACK_PRE_BUILD_SCRIPTS (3.19).
# Runs in the dynamic flavour (the static one builds without check anyway).
# Environment (ctest): CTUNE_TESTS.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
[ "${CTUNE_FLAVOUR:-dynamic}" = static ] && skip "the static flavour never needs check"
command -v cmake >/dev/null 2>&1 && command -v pkg-config >/dev/null 2>&1 || skip "needs cmake and pkg-config"
pkg-config --exists check || skip "check is not installed here: nothing to hide"
scratch cmake

# A pkg-config search path with everything but check.
pcdir=$tmp/pkgconfig
mkdir "$pcdir"
for d in $(pkg-config --variable pc_path pkg-config | tr ':' ' '); do
	[ -d "$d" ] || continue
	for pc in "$d"/*.pc; do
		[ -e "$pc" ] || continue
		n=$(basename "$pc")
		[ "$n" = check.pc ] && continue
		[ -e "$pcdir/$n" ] || ln -s "$pc" "$pcdir/$n"
	done
done
if PKG_CONFIG_LIBDIR=$pcdir pkg-config --exists check; then
	bad "check is still visible through $pcdir"
	report
	exit
fi
ok "pkg-config does not see check through the private search path"

# 1. Tests on: the configure needs check.
if PKG_CONFIG_LIBDIR=$pcdir cmake -S "$top" -B "$tmp/on" -DBUILD_TESTING=ON >"$tmp/on.log" 2>&1; then
	bad "BUILD_TESTING=ON configured without check"
elif grep -q "check" "$tmp/on.log"; then
	ok "BUILD_TESTING=ON without check: the configure fails and names check"
else
	bad "BUILD_TESTING=ON failed for another reason: $(tail -n 5 "$tmp/on.log")"
fi

# 2. Tests off: configure, build, run.
off=$tmp/off
if PKG_CONFIG_LIBDIR=$pcdir cmake -S "$top" -B "$off" -DBUILD_TESTING=OFF -DCTUNE_WERROR=ON >"$tmp/off.log" 2>&1; then
	ok "BUILD_TESTING=OFF without check: configures"
	if PKG_CONFIG_LIBDIR=$pcdir cmake --build "$off" -j2 >>"$tmp/off.log" 2>&1; then
		ok "BUILD_TESTING=OFF without check: builds"
	else
		bad "BUILD_TESTING=OFF: the build fails: $(tail -n 10 "$tmp/off.log")"
	fi
	if [ -x "$off/plugin/ctune" ] && "$off/plugin/ctune" --version | grep -q '^ctune '; then
		ok "the executable runs: $("$off/plugin/ctune" --version)"
	else
		bad "no working $off/plugin/ctune"
	fi
	n=$(cd "$off" && ctest -N 2>/dev/null | sed -n 's/^Total Tests: //p')
	[ "${n:-0}" = 0 ] && ok "no test registered" || bad "BUILD_TESTING=OFF registered $n tests"
	grep -q 'CHECK_' "$off/CMakeCache.txt" && bad "the cache has CHECK_ entries: check was looked for" ||
		ok "check was not even looked for"
else
	bad "BUILD_TESTING=OFF without check: the configure fails: $(tail -n 10 "$tmp/off.log")"
fi

# 3. The stated minimum.
min=$(sed -n 's/^cmake_minimum_required(VERSION \([0-9.]*\).*/\1/p' "$top/CMakeLists.txt")
if printf '3.19\n%s\n' "$min" | sort -V -C; then
	ok "cmake_minimum_required $min (file(GENERATE ... FILE_PERMISSIONS) needs 3.19)"
else
	bad "cmake_minimum_required $min is older than the 3.19 the build needs"
fi

report
