#!/usr/bin/env bash
# package.test.sh - `cmake --install` and the CPack .deb, as an administrator
# would get them: a build configured for /usr, installed into a DESTDIR,
# packaged with cpack, inspected with dpkg-deb, then installed into scratch
# roots (extracted with dpkg-deb -x, and installed by dpkg itself with --root
# and a private database) where the installed binary runs against a fixture
# root.  The host's dpkg database is never written: its status file is
# compared before and after.
#
# Environment (ctest, see tests/CMakeLists.txt): CTUNE_REAL (the built
# executable, for its version), CTUNE_TESTS.  Exit 0 all passed, 1 a check
# failed, 77 skipped (reason on stderr).
set -u
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
TESTS=${CTUNE_TESTS:-$(cd "$(dirname "$0")" && pwd)}
top=$(cd "$TESTS/.." && pwd)
FIX=$TESTS/fixtures

for tool in cmake cpack dpkg-deb dpkg "$PY"; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done

scratch package
finish() {
	report
	exit
}

host_status=$(sha256sum /var/lib/dpkg/status 2>/dev/null)

# 1. A build for /usr, as a distribution builds it.
build=$tmp/build
if cmake -S "$top" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DBUILD_TESTING=OFF \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >"$tmp/build.log" 2>&1 &&
	cmake --build "$build" -j"$(nproc)" >>"$tmp/build.log" 2>&1; then
	ok "configure and build with CMAKE_INSTALL_PREFIX=/usr"
else
	bad "configure and build"
	tail -n 20 "$tmp/build.log" | sed 's/^/     /'
	finish
fi
version=$("$build/plugin/ctune" --version | awk '{print $2}')
if [ -n "${CTUNE_REAL:-}" ] && [ "$("$CTUNE_REAL" --version)" != "ctune $version" ]; then
	bad "version: the package build says $version, the tested binary $("$CTUNE_REAL" --version)"
fi

# 2. cmake --install into a DESTDIR (DESTDIR also catches absolute
# destinations such as /etc, which --prefix would not move).
dest=$tmp/dest
if DESTDIR=$dest cmake --install "$build" >"$tmp/install.log" 2>&1; then
	ok "cmake --install into DESTDIR"
else
	bad "cmake --install"
	tail -n 20 "$tmp/install.log" | sed 's/^/     /'
	finish
fi
has() { # WHAT PATH (relative to $dest)
	if [ -e "$dest/$2" ] || [ -L "$dest/$2" ]; then ok "installed: $1 ($2)"; else bad "not installed: $1 ($2)"; fi
}
if [ -x "$dest/usr/bin/ctune" ]; then ok "installed: the executable (usr/bin/ctune)"; else bad "usr/bin/ctune missing or not executable"; fi
if [ -e "$dest/usr/share/man/man1/ctune.1.gz" ] || [ -e "$dest/usr/share/man/man1/ctune.1" ]; then
	ok "installed: the man page (usr/share/man/man1)"
else
	bad "the man page is not in usr/share/man/man1"
fi
for s in "$top"/schemas/*.json; do
	n=$(basename "$s")
	if cmp -s "$s" "$dest/usr/share/ctune/schemas/$n"; then ok "installed: schema $n"; else bad "schema $n missing or different"; fi
done
has "the facts contract" usr/share/doc/ctune/facts.md
# Lenses (test files left out), and the Ansible and Salt glue, whatever they
# hold by now: every lens and every glue file is installed somewhere.
for l in "$top"/lenses/*.aug; do
	[ -e "$l" ] || continue
	case $(basename "$l") in test_*) continue ;; esac
	has "lens $(basename "$l")" "usr/share/ctune/lenses/$(basename "$l")"
done
for glue in ansible salt; do
	[ -d "$top/plugin/$glue" ] || continue
	while IFS= read -r f; do
		n=$(basename "$f")
		if find "$dest" -name "$n" | grep -q .; then
			ok "installed: plugin/$glue/${f#"$top/plugin/$glue/"}"
		else
			bad "not installed: plugin/$glue/${f#"$top/plugin/$glue/"}"
		fi
	done < <(find "$top/plugin/$glue" -type f \( -name '*.py' -o -name '*.yml' -o -name '*.yaml' -o -name '*.sls' \) \
		-not -path '*/tests/*' -not -path '*/__pycache__/*' -not -name 'test_*')
done
if find "$dest" -path "$dest/usr/local*" | grep -q .; then
	bad "something went to /usr/local with prefix /usr"
else
	ok "nothing under /usr/local"
fi

# 3. The .deb.
if (cd "$build" && cpack -G DEB -B "$tmp/pkg") >"$tmp/cpack.log" 2>&1; then
	ok "cpack -G DEB"
else
	bad "cpack -G DEB"
	tail -n 20 "$tmp/cpack.log" | sed 's/^/     /'
	finish
fi
mapfile -t debs < <(find "$tmp/pkg" -maxdepth 1 -name '*.deb')
if [ "${#debs[@]}" -ne 1 ]; then
	bad "cpack made ${#debs[@]} .deb files"
	finish
fi
deb=${debs[0]}
arch=$(dpkg --print-architecture)
if [ "$(basename "$deb")" = "ctune_${version}_${arch}.deb" ]; then
	ok "file name ctune_${version}_${arch}.deb"
else
	bad "file name $(basename "$deb")"
fi

# 4. The control fields.
field() { dpkg-deb -f "$deb" "$1"; }
same() { # FIELD WANT
	if [ "$(field "$1")" = "$2" ]; then ok "$1: $2"; else bad "$1: '$(field "$1")', expected '$2'"; fi
}
same Package ctune
same Version "$version"
same Architecture "$arch"
if field Maintainer | grep -Eq '^.+ <[^ ]+@[^ ]+>$'; then ok "Maintainer: $(field Maintainer)"; else bad "Maintainer: '$(field Maintainer)'"; fi
if [ -n "$(field Description)" ] && [ "$(field Description | wc -l)" -gt 2 ]; then
	ok "Description: a summary and a long description"
else
	bad "Description: $(field Description)"
fi
depends=$(field Depends)
echo "     Depends: $depends"
# libjansson is linked in statically; libaugeas is dlopen()ed for `set`, so
# no NEEDED entry names it and Depends must (checked below).  ctnetlink goes
# through ctune's own netlink layer (src/nl.h): no libmnl0, no
# libnetfilter-conntrack3.
for p in libc6 libaugeas0 augeas-lenses; do
	if printf '%s\n' "$depends" | tr ',' '\n' | grep -Eq "^ *$p( |$)"; then ok "Depends on $p"; else bad "Depends lacks $p"; fi
done
for p in libmnl0 libnetfilter-conntrack3; do
	if printf '%s\n' "$depends" | tr ',' '\n' | grep -Eq "^ *$p( |$)"; then
		bad "Depends names $p, which the binary no longer links"
	else
		ok "Depends does not name $p"
	fi
done
if readelf -d "$dest/usr/bin/ctune" 2>/dev/null | grep -q 'NEEDED.*libaugeas'; then
	bad "the binary links libaugeas: every process start pays for libxml2 and ICU"
else
	ok "the binary does not link libaugeas (loaded by set only)"
fi
# Every shared library the binary needs comes from a package it depends on.
if command -v readelf >/dev/null 2>&1; then
	while IFS= read -r so; do
		path=$(ldconfig -p | awk -v so="$so" '$1 == so { print $NF; exit }')
		pkg=$( (dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
			dpkg -S "/usr$path" 2>/dev/null) | head -n 1 | cut -d: -f1)
		if [ -z "$pkg" ]; then
			bad "NEEDED $so: no package owns $path"
		elif printf '%s\n' "$depends" | tr ',' '\n' | grep -Eq "^ *$pkg( |$)"; then
			ok "NEEDED $so: from $pkg, a dependency"
		else
			bad "NEEDED $so comes from $pkg, which Depends lacks"
		fi
	done < <(readelf -d "$dest/usr/bin/ctune" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
fi

# 5. The contents: what cmake --install put in DESTDIR, owned by root, with
# sane modes.
dpkg-deb -c "$deb" >"$tmp/contents"
awk '{ print $6 }' "$tmp/contents" | sed 's|^\./||; s|/$||' | grep -v '^$' | sort >"$tmp/deb.list"
(cd "$dest" && find . -mindepth 1 | sed 's|^\./||' | sort) >"$tmp/dest.list"
if diff -u "$tmp/dest.list" "$tmp/deb.list" >"$tmp/list.diff"; then
	ok "the .deb holds exactly what cmake --install installs ($(wc -l <"$tmp/deb.list") paths)"
else
	bad "the .deb and cmake --install differ"
	head -n 20 "$tmp/list.diff" | sed 's/^/     /'
fi
if grep -Eq '^-rwxr-xr-x root/root .* \./usr/bin/ctune$' "$tmp/contents"; then
	ok "usr/bin/ctune is -rwxr-xr-x root/root"
else
	bad "usr/bin/ctune: $(grep 'usr/bin/ctune$' "$tmp/contents")"
fi
if awk '$2 != "root/root"' "$tmp/contents" | grep -q .; then
	bad "files not owned by root/root"
else
	ok "every path owned by root/root"
fi
if awk '$1 !~ /^l/ && $1 ~ /^.....w|^........w/' "$tmp/contents" | grep -q .; then
	bad "group- or world-writable paths"
else
	ok "nothing group- or world-writable"
fi
mkdir -p "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
missing=""
while IFS= read -r f; do
	grep -qx "$f" "$tmp/control/conffiles" 2>/dev/null || missing="$missing $f"
done < <(awk '$1 !~ /^d/ { print $6 }' "$tmp/contents" | grep '^\./etc/' | sed 's|^\.||')
if [ -z "$missing" ]; then ok "every file under /etc is a conffile"; else bad "not conffiles:$missing"; fi

# 6. Extracted into a scratch root: the installed binary runs.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
bin=$root/usr/bin/ctune
if [ "$("$bin" --version)" = "ctune $version" ]; then ok "installed ctune --version: ctune $version"; else bad "installed ctune --version: $("$bin" --version)"; fi
if "$bin" --help | grep -q -- '--format json|human|prometheus'; then ok "installed ctune --help"; else bad "installed ctune --help"; fi
mkdir -p "$tmp/fx"
cp -R -P "$FIX/centos7" "$tmp/fx/centos7"
find "$tmp/fx" -type d -exec chmod 0755 {} +
find "$tmp/fx" -type f -exec chmod 0644 {} +
if "$bin" facts --root "$tmp/fx/centos7" --table --format json >"$tmp/facts.json" 2>"$tmp/facts.err" &&
	diffs=$("$PY" "$FIX/compare.py" "$FIX/centos7/expected.json" "$tmp/facts.json"); then
	ok "installed ctune facts --root centos7 --table equals expected.json"
else
	bad "installed ctune facts --root centos7"
	printf '%s\n' "${diffs:-}" | head -n 10 | sed 's/^/     /'
	head -n 5 "$tmp/facts.err" | sed 's/^/     /'
fi
if "$bin" facts --root "$tmp/fx/centos7" --format human | grep -Eq '^  entries +780 of max 1210856'; then
	ok "installed ctune facts --format human"
else
	bad "installed ctune facts --format human"
fi
if "$bin" facts --root "$tmp/fx/centos7" --format prometheus | grep -q '^ctune_conntrack_entries_limit 1210856$'; then
	ok "installed ctune facts --format prometheus"
else
	bad "installed ctune facts --format prometheus"
fi
# set persists through Augeas, which the binary loads only then (dlopen).
cp -R -P "$FIX/centos7" "$tmp/fx/set"
if "$bin" set --root "$tmp/fx/set" --no-live tcp_timeout_established=43200 >"$tmp/set.json" 2>"$tmp/set.err" &&
	grep -Eq '^ *net\.netfilter\.nf_conntrack_tcp_timeout_established *= *43200 *$' "$tmp/fx/set/etc/sysctl.conf"; then
	ok "installed ctune set persists (Augeas loaded on demand)"
else
	bad "installed ctune set: $(head -c 300 "$tmp/set.json") $(head -n 3 "$tmp/set.err")"
fi
if command -v man >/dev/null 2>&1; then
	page=$(find "$root/usr/share/man/man1" -name 'ctune.1*' | head -n 1)
	if MANWIDTH=80 man -l "$page" 2>"$tmp/man.err" | grep -q 'inspect and tune the Linux netfilter'; then
		ok "installed man page renders (man -l)"
	else
		bad "installed man page does not render"
		head -n 5 "$tmp/man.err" | sed 's/^/     /'
	fi
else
	echo "skip man page rendering: man is not installed"
fi

# 7. Installed by dpkg itself into a scratch root with its own database.
droot=$tmp/dpkgroot
mkdir -p "$droot/var/lib/dpkg/info" "$droot/var/lib/dpkg/updates" "$droot/var/lib/dpkg/triggers"
: >"$droot/var/lib/dpkg/status"
dpkgr() { dpkg --root="$droot" --log="$tmp/dpkg.log" "$@"; }
if dpkgr --force-depends --force-script-chrootless -i "$deb" >"$tmp/dpkg.out" 2>&1; then
	ok "dpkg --root -i: installs (dependencies forced: the scratch database knows no packages)"
else
	bad "dpkg --root -i"
	tail -n 10 "$tmp/dpkg.out" | sed 's/^/     /'
fi
if [ "$(dpkg-query --root="$droot" -W -f='${Status} ${Version}' ctune 2>/dev/null)" = "install ok installed $version" ]; then
	ok "dpkg-query --root: ctune $version installed"
else
	bad "dpkg-query --root: $(dpkg-query --root="$droot" -W -f='${Status} ${Version}' ctune 2>&1)"
fi
if [ -x "$droot/usr/bin/ctune" ] && "$droot/usr/bin/ctune" facts --root "$tmp/fx/centos7" --format json |
	grep -q '"max": 1210856'; then
	ok "dpkg-installed ctune runs facts --root"
else
	bad "dpkg-installed ctune does not run"
fi
if dpkgr -r ctune >"$tmp/dpkg.out" 2>&1 && [ ! -e "$droot/usr/bin/ctune" ]; then
	ok "dpkg --root -r: removes it"
else
	bad "dpkg --root -r"
	tail -n 5 "$tmp/dpkg.out" | sed 's/^/     /'
fi

# 8. Its dependencies resolve on this Debian (a simulation: nothing changes).
if command -v apt-get >/dev/null 2>&1; then
	if apt-get -s -o Debug::NoLocking=1 install "$deb" >"$tmp/apt.out" 2>&1 && grep -q '^Inst ctune ' "$tmp/apt.out"; then
		ok "apt-get -s install: dependencies resolve on this system"
	else
		bad "apt-get -s install"
		tail -n 10 "$tmp/apt.out" | sed 's/^/     /'
	fi
fi

if [ "$(sha256sum /var/lib/dpkg/status 2>/dev/null)" = "$host_status" ]; then
	ok "the host's dpkg database is unchanged"
else
	bad "the host's dpkg status file changed"
fi

finish
