#!/usr/bin/env bash
# package.test.sh - `cmake --install` and the CPack .deb, as an administrator
# would get them: a build configured for /usr, installed into a DESTDIR and
# under another prefix (--prefix), packaged with cpack (which refuses a build
# for another prefix), linted with lintian (no error, no warning), inspected
# with dpkg-deb (control fields, layout, conffiles, md5sums, copyright and
# changelogs, a stripped executable), then installed into scratch
# roots (extracted with dpkg-deb -x, and installed by dpkg itself with --root
# and a private database) where the installed binary runs against a fixture
# root.  In the static flavour, also the build under test's ctune-static .deb
# (no dependency, lintian-clean) and .tar.gz (no staging path inside).  The
# host's dpkg database is never written: its status file is compared before
# and after.
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

release=$(sed -n '1s/^ctune ([^-]*-\([^)]*\)).*/\1/p' "$top/packaging/changelog.Debian")

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

# 2b. cmake --install --prefix P of the same build: everything under P, and
# the files that name installed paths name P's (written at install time).
pfx=$tmp/prefix
if cmake --install "$build" --prefix "$pfx" >"$tmp/prefix.log" 2>&1; then
	ok "cmake --install --prefix"
	outside=$(find "$tmp" -newer "$tmp/prefix.log" -not -path "$pfx*" -not -path "$tmp/prefix.log" \
		-not -path "$build*" 2>/dev/null | head -n 5)
	[ -z "$outside" ] && ok "--prefix: nothing written outside the prefix and the build" || bad "--prefix wrote $outside"
	fact=$pfx/etc/ansible/facts.d/conntrack.fact
	if [ -x "$fact" ] && grep -q "^bin=\${CTUNE_BIN:-$pfx/bin/ctune}\$" "$fact"; then
		ok "--prefix: P/etc/ansible/facts.d/conntrack.fact runs P/bin/ctune"
	else
		bad "--prefix: facts.d script $(grep '^bin=' "$fact" 2>&1)"
	fi
	if env -u CTUNE_BIN "$fact" >"$tmp/fact.json" 2>"$tmp/fact.err" && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "max" in d' "$tmp/fact.json"; then
		ok "--prefix: the facts.d script prints the facts object"
	else
		bad "--prefix: the facts.d script: $(head -c 200 "$tmp/fact.json") $(head -n 2 "$tmp/fact.err")"
	fi
	if [ "$(readlink -f "$pfx/share/ansible/plugins/modules/ctune")" = "$(readlink -f "$pfx/bin/ctune")" ]; then
		ok "--prefix: the Ansible modules link to P/bin/ctune"
	else
		bad "--prefix: share/ansible/plugins/modules/ctune -> $(readlink "$pfx/share/ansible/plugins/modules/ctune")"
	fi
	if grep -rq "$pfx" "$pfx/lib/systemd/system/ctune-textfile.service" &&
		! grep -rq "^ExecStart=/usr" "$pfx/lib/systemd/system/ctune-textfile.service"; then
		ok "--prefix: the systemd service runs P's helper"
	else
		bad "--prefix: $(grep ExecStart "$pfx/lib/systemd/system/ctune-textfile.service" 2>&1)"
	fi
else
	bad "cmake --install --prefix"
	tail -n 10 "$tmp/prefix.log" | sed 's/^/     /'
fi

# 2c. cpack refuses a build configured for another prefix (its executable
# would look for its lenses there); configuring is enough to see it.
other=$tmp/build-local
if cmake -S "$top" -B "$other" -DBUILD_TESTING=OFF >"$tmp/other.log" 2>&1; then
	if (cd "$other" && cpack -G DEB -B "$tmp/otherpkg") >"$tmp/othercpack.log" 2>&1; then
		bad "cpack packaged a build configured for /usr/local"
	elif grep -q 'packages are built with the prefix /usr' "$tmp/othercpack.log"; then
		ok "cpack refuses a build configured for /usr/local, and says why"
	else
		bad "cpack of a /usr/local build failed without saying why: $(tail -n 3 "$tmp/othercpack.log")"
	fi
else
	bad "configure a /usr/local build: $(tail -n 3 "$tmp/other.log")"
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
if [ "$(basename "$deb")" = "ctune_${version}-${release}_${arch}.deb" ]; then
	ok "file name ctune_${version}-${release}_${arch}.deb"
else
	bad "file name $(basename "$deb")"
fi

# 3b. lintian (Debian 12's): no error and no warning (packaging/lintian-overrides
# names the one tag that cannot apply outside the archive); info and
# pedantic tags are printed, not counted.
if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error,warning --display-info "$deb" >"$tmp/lintian.out" 2>&1
	lrc=$?
	grep -v 'running with root privileges' "$tmp/lintian.out" | sed 's/^/     lintian: /'
	if [ "$lrc" -eq 0 ]; then
		ok "lintian --fail-on error,warning: clean ($(grep -c '^I: ' "$tmp/lintian.out") info tags)"
	else
		bad "lintian reports errors or warnings (exit $lrc)"
	fi
else
	echo "NOTE: lintian is not installed: the .deb is not linted"
fi

# 4. The control fields.
field() { dpkg-deb -f "$deb" "$1"; }
same() { # FIELD WANT
	if [ "$(field "$1")" = "$2" ]; then ok "$1: $2"; else bad "$1: '$(field "$1")', expected '$2'"; fi
}
same Package ctune
same Version "$version-$release"
same Architecture "$arch"
same Section admin
same Priority optional
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
if grep -qx /etc/ansible/facts.d/conntrack.fact "$tmp/control/conffiles"; then
	ok "the facts.d script is a conffile"
else
	bad "conffiles: $(cat "$tmp/control/conffiles" 2>&1)"
fi
if grep -Eq ' \./usr/local(/|$)' "$tmp/contents"; then
	bad "the .deb has paths under /usr/local"
else
	ok "dpkg-deb -c: nothing under /usr/local"
fi
if grep -Eq ' \./usr/etc(/|$)' "$tmp/contents"; then bad "the .deb has /usr/etc"; else ok "dpkg-deb -c: no /usr/etc"; fi
# md5sums: one line per regular file, each right (checked in section 6).
if [ -f "$tmp/control/md5sums" ] &&
	[ "$(wc -l <"$tmp/control/md5sums")" -eq "$(awk '$1 ~ /^-/' "$tmp/contents" | wc -l)" ]; then
	ok "md5sums: one line per file ($(wc -l <"$tmp/control/md5sums"))"
else
	bad "md5sums: $(wc -l <"$tmp/control/md5sums" 2>&1) lines for $(awk '$1 ~ /^-/' "$tmp/contents" | wc -l) files"
fi
# Debian's documentation: copyright (DEP-5) and both changelogs, gzip -9n.
for f in copyright changelog.gz changelog.Debian.gz; do
	grep -q " \./usr/share/doc/ctune/$f\$" "$tmp/contents" && ok "usr/share/doc/ctune/$f" || bad "no usr/share/doc/ctune/$f"
done
if head -n 1 "$dest/usr/share/doc/ctune/copyright" | grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/'; then
	ok "copyright: machine-readable (DEP-5)"
else
	bad "copyright: $(head -n 1 "$dest/usr/share/doc/ctune/copyright")"
fi
if [ "$(gzip -dc "$dest/usr/share/doc/ctune/changelog.Debian.gz" | dpkg-parsechangelog -l - -S Version 2>/dev/null)" = "$version-$release" ]; then
	ok "changelog.Debian.gz: its top entry is $version-$release"
else
	bad "changelog.Debian.gz: top entry $(gzip -dc "$dest/usr/share/doc/ctune/changelog.Debian.gz" | head -n 1)"
fi
if command -v readelf >/dev/null 2>&1; then
	mkdir -p "$tmp/x"
	dpkg-deb --fsys-tarfile "$deb" | tar -xf - -C "$tmp/x" ./usr/bin/ctune
	if readelf -S "$tmp/x/usr/bin/ctune" | grep -q '\.symtab\|\.debug_'; then
		bad "the packaged executable is not stripped"
	else
		ok "the packaged executable is stripped (no .symtab, no .debug_*)"
	fi
fi
# The facts.d script runs the packaged executable.
if grep -q '^bin=${CTUNE_BIN:-/usr/bin/ctune}$' "$dest/etc/ansible/facts.d/conntrack.fact"; then
	ok "the facts.d script runs /usr/bin/ctune"
else
	bad "the facts.d script: $(grep '^bin=' "$dest/etc/ansible/facts.d/conntrack.fact")"
fi

# 6. Extracted into a scratch root: the installed binary runs.
root=$tmp/root
dpkg-deb -x "$deb" "$root"
bin=$root/usr/bin/ctune
if (cd "$root" && md5sum --quiet -c "$tmp/control/md5sums") >"$tmp/md5.out" 2>&1; then
	ok "md5sums match the extracted files"
else
	bad "md5sums: $(head -n 3 "$tmp/md5.out")"
fi
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
if [ "$(dpkg-query --root="$droot" -W -f='${Status} ${Version}' ctune 2>/dev/null)" = "install ok installed $version-$release" ]; then
	ok "dpkg-query --root: ctune $version-$release installed"
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

# 9. The static flavour's .deb (ctune-static), made from the build under
# test: the tested executable, no dependency, in ctune's place; lintian-clean.
if [ "${CTUNE_FLAVOUR:-}" = static ] && [ -n "${CTUNE_BUILD:-}" ]; then
	if (cd "$CTUNE_BUILD" && cpack -G "DEB;TGZ" -B "$tmp/static-pkg") >"$tmp/static-cpack.log" 2>&1 &&
		sdeb=$(ls "$tmp"/static-pkg/ctune-static_*.deb 2>/dev/null) && [ -n "$sdeb" ]; then
		ok "static flavour: cpack -G DEB makes $(basename "$sdeb")"
		[ -z "$(dpkg-deb -f "$sdeb" Depends)" ] && ok "ctune-static depends on nothing" ||
			bad "ctune-static Depends: $(dpkg-deb -f "$sdeb" Depends)"
		[ "$(dpkg-deb -f "$sdeb" Provides) $(dpkg-deb -f "$sdeb" Conflicts) $(dpkg-deb -f "$sdeb" Replaces)" = "ctune ctune ctune" ] &&
			ok "ctune-static provides, conflicts with and replaces ctune" || bad "ctune-static relations"
		mkdir -p "$tmp/sx"
		dpkg-deb -x "$sdeb" "$tmp/sx"
		cmp -s "$tmp/sx/usr/bin/ctune" "$CTUNE_REAL" && ok "ctune-static carries the tested executable" ||
			bad "ctune-static's usr/bin/ctune is not the tested executable"
		[ -f "$tmp/sx/usr/share/doc/ctune-static/copyright" ] && [ -f "$tmp/sx/usr/share/doc/ctune-static/LGPL-2.1" ] &&
			ok "ctune-static: copyright and the LGPL-2.1 text in usr/share/doc/ctune-static" || bad "ctune-static: no copyright or LGPL text"
		# The .tar.gz is a tree to unpack at /: staged with DESTDIR, so what
		# names installed paths names /usr's, never the staging directory.
		mkdir -p "$tmp/stgz"
		tar -xzf "$tmp"/static-pkg/ctune-*-static-x86_64.tar.gz -C "$tmp/stgz"
		fact=$(find "$tmp/stgz" -path '*/etc/ansible/facts.d/conntrack.fact' -not -path '*/usr/etc/*')
		if [ -n "$fact" ] && grep -q '^bin=${CTUNE_BIN:-/usr/bin/ctune}$' "$fact" &&
			! grep -rlq '_CPack_Packages' "$tmp/stgz"; then
			ok "static .tar.gz: etc/ansible/facts.d/conntrack.fact runs /usr/bin/ctune; no staging path inside"
		else
			bad "static .tar.gz: facts.d script '${fact:-missing}' $(grep -rl '_CPack_Packages' "$tmp/stgz" | head -n 3)"
		fi
		if command -v lintian >/dev/null 2>&1; then
			if lintian --fail-on error,warning "$sdeb" >"$tmp/slintian.out" 2>&1; then
				ok "ctune-static: lintian --fail-on error,warning: clean"
			else
				bad "ctune-static: lintian: $(grep -v 'root privileges' "$tmp/slintian.out" | head -n 10)"
			fi
		fi
	else
		bad "static flavour: cpack -G DEB: $(tail -n 5 "$tmp/static-cpack.log")"
	fi
fi

if [ "$(sha256sum /var/lib/dpkg/status 2>/dev/null)" = "$host_status" ]; then
	ok "the host's dpkg database is unchanged"
else
	bad "the host's dpkg status file changed"
fi

finish
