#!/bin/sh
# make install, checked as a packager and an operator would use it:
#  - into a DESTDIR with PREFIX=/usr: exactly the expected files, modes and
#    links, nothing left unsubstituted; systemd-sysusers and systemd-tmpfiles
#    applied to that root make /var/lib/sevslot 02770 root:sevslot; a second
#    install keeps an edited config; uninstall removes exactly what install
#    laid down and keeps what the operator changed;
#  - into a scratch PREFIX: programs built through pkg-config (shared and
#    static) and libsevslot(3)'s example as the page prints it, compiled and
#    run; the libvirt hook wrapper; systemd-analyze verify of the units;
#  - every man page rendered by man -l without a warning;
#  - make dist holds exactly the tracked files.
# A tool this machine lacks is one "skip:" line, never a silent pass.
#   tests/install.sh BUILD
set -eu
b=${1:?usage: install.sh BUILD}
top=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAIL: $*"; fail=$((fail + 1)); fi; }
skip() { echo "skip: $*"; }
have() { command -v "$1" >/dev/null 2>&1; }
mode() { stat -c %a "$1"; }
version=$(make -s --no-print-directory print-version)
soname=libsevslot.so.$(sed -n 's/^SOVERSION *:= *//p' Makefile)

# ------------------------------------------------ the tree, as a package sees it
dest=$tmp/dest
make -s B="$b" install DESTDIR="$dest" PREFIX=/usr >/dev/null
cat > "$tmp/want" <<EOF
etc/libvirt/hooks/qemu.d/sevslot
etc/sevslot/sevslot.conf
usr/bin/sevslot
usr/include/sevslot.h
usr/lib/libsevslot.a
usr/lib/libsevslot.so
usr/lib/libsevslot.so.$version
usr/lib/$soname
usr/lib/pkgconfig/sevslot.pc
usr/lib/systemd/system/sevslot-audit.service
usr/lib/systemd/system/sevslot-audit.timer
usr/lib/systemd/system/sevslot-inventory.service
usr/lib/systemd/system/sevslot-inventory.timer
usr/lib/sysusers.d/sevslot.conf
usr/lib/tmpfiles.d/sevslot.conf
usr/share/man/man1/sevslot.1
usr/share/man/man3/libsevslot.3
usr/share/man/man5/sevslot.conf.5
usr/share/sevslot/70-sevslot-sev.rules
EOF
(cd "$dest" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) > "$tmp/got"
LC_ALL=C sort -o "$tmp/want" "$tmp/want"
check diff -u "$tmp/want" "$tmp/got"
check test "$(mode "$dest/usr/bin/sevslot")" = 755
check test "$(mode "$dest/etc/libvirt/hooks/qemu.d/sevslot")" = 755
check test "$(mode "$dest/usr/lib/libsevslot.so.$version")" = 755
check test "$(mode "$dest/etc/sevslot/sevslot.conf")" = 644
check test "$(readlink "$dest/usr/lib/libsevslot.so")" = "$soname"
check test "$(readlink "$dest/usr/lib/$soname")" = "libsevslot.so.$version"
check test "$(readelf -d "$dest/usr/lib/libsevslot.so.$version" | sed -n 's/.*soname: \[\(.*\)\]/\1/p')" = "$soname"
check grep -qx 'prefix=/usr' "$dest/usr/lib/pkgconfig/sevslot.pc"
check grep -qx 'Requires.private: sqlite3 libcap-ng libxml-2.0 json-c' "$dest/usr/lib/pkgconfig/sevslot.pc"
check test -z "$(grep -rlI '@[A-Z]*@' "$dest" || true)"
# The hook is the two-line wrapper; the units run the installed binary.
check test "$(grep -cv '^#' "$dest/etc/libvirt/hooks/qemu.d/sevslot")" = 1
check grep -qx 'exec /usr/bin/sevslot libvirt-hook "$@"' "$dest/etc/libvirt/hooks/qemu.d/sevslot"
check grep -qx 'ExecStart=/usr/bin/sevslot audit' "$dest/usr/lib/systemd/system/sevslot-audit.service"
# The example config is all comments: installing it changes no default.
check test -z "$(grep -v '^#' "$dest/etc/sevslot/sevslot.conf")"
# Each service is hardened as the issue asks (the shared src/install/sandbox.inc).
for u in audit inventory; do
	for want in ProtectSystem=strict PrivateNetwork=yes NoNewPrivileges=yes \
		    CapabilityBoundingSet=CAP_SYS_RAWIO 'ReadWritePaths=-\{0,1\}/var/lib/sevslot'; do
		check grep -qx "$want" "$dest/usr/lib/systemd/system/sevslot-$u.service"
	done
done
check test "$(grep -c '^ReadWritePaths=' "$dest/usr/lib/systemd/system/sevslot-audit.service")" = 1
check grep -qx 'OnCalendar=hourly' "$dest/usr/lib/systemd/system/sevslot-audit.timer"

cat > "$tmp/use.c" <<'C'
#include <sevslot.h>
#include <stdio.h>
int main(void)
{
	struct sevslot_ctx *ctx;

	if (sevslot_new(&ctx, NULL) < 0)
		return 1;
	printf("%s %s\n", sevslot_model_name(SEVSLOT_MODEL_SEV_ES), sevslot_version());
	sevslot_free(ctx);
	return 0;
}
C
# A program built against the tree through pkg-config, and run.
# shellcheck disable=SC2046
check cc -o "$tmp/use-dest" "$tmp/use.c" $(PKG_CONFIG_PATH="$dest/usr/lib/pkgconfig" \
	PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags --libs sevslot)
check test "$(LD_LIBRARY_PATH="$dest/usr/lib" "$tmp/use-dest")" = "amd-sev-es $version"

# sysusers and tmpfiles, applied to the installed root as a package's
# postinst would: group sevslot, and the ledger's directory 02770 root:sevslot.
if have systemd-sysusers && have systemd-tmpfiles; then
	systemd-sysusers --root="$dest" >/dev/null 2>&1
	systemd-tmpfiles --create --root="$dest" "$dest/usr/lib/tmpfiles.d/sevslot.conf" >/dev/null 2>&1 || true
	gid=$(sed -n 's/^sevslot:x:\([0-9]*\):.*/\1/p' "$dest/etc/group")
	check test -n "$gid"
	check test "$(stat -c '%a %u %g' "$dest/var/lib/sevslot" 2>&1)" = "2770 0 $gid"
	rm -rf "$dest/var" "$dest/etc/.pwd.lock" "$dest/etc/group" "$dest/etc/gshadow" "$dest/etc/passwd" "$dest/etc/shadow"
else
	skip "sysusers/tmpfiles: no systemd-sysusers or systemd-tmpfiles (package systemd)"
fi

# Installing again over an edited config keeps the operator's file.
echo "[pool.sev]" >> "$dest/etc/sevslot/sevslot.conf"
cp "$dest/etc/sevslot/sevslot.conf" "$tmp/edited"
make -s B="$b" install DESTDIR="$dest" PREFIX=/usr >/dev/null 2>"$tmp/err"
check cmp -s "$tmp/edited" "$dest/etc/sevslot/sevslot.conf"
check grep -q "kept $dest/etc/sevslot/sevslot.conf" "$tmp/err"
# Uninstall removes every file install laid down, and keeps the edited one.
make -s B="$b" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null 2>"$tmp/err"
(cd "$dest" && find . ! -type d | sed 's|^\./||') > "$tmp/left"
check test "$(cat "$tmp/left")" = "etc/sevslot/sevslot.conf"
check test ! -e "$dest/usr/share/sevslot"
rm "$dest/etc/sevslot/sevslot.conf"
make -s B="$b" install DESTDIR="$dest" PREFIX=/usr >/dev/null
make -s B="$b" uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null
check test -z "$(cd "$dest" && find . ! -type d)"
check test ! -e "$dest/etc/sevslot"

# ------------------------------------------------ a real prefix, used
root=$tmp/prefix
make -s B="$b" install PREFIX="$root" SYSCONFDIR="$root/etc" >/dev/null
export PKG_CONFIG_PATH="$root/lib/pkgconfig"
# shellcheck disable=SC2046
check cc -o "$tmp/use-shared" "$tmp/use.c" $(pkg-config --cflags --libs sevslot)
check test "$(LD_LIBRARY_PATH="$root/lib" "$tmp/use-shared")" = "amd-sev-es $version"
# Static: the .a plus what Requires.private brings (SQLite's and libcap-ng's own libs).
# shellcheck disable=SC2046
check cc -o "$tmp/use-static" "$tmp/use.c" $(pkg-config --cflags sevslot) \
	"$root/lib/libsevslot.a" $(pkg-config --static --libs sevslot | sed 's/-lsevslot//')
check test "$("$tmp/use-static")" = "amd-sev-es $version"

# libsevslot(3)'s example, as the rendered page prints it: compiled, then run
# on the recorded Milan host to print what the page says it prints.
if have man; then
	MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$root/share/man/man3/libsevslot.3" 2>/dev/null |
		awk '/^              #include/ { on = 1 }
		     on && $0 != "" && substr($0, 1, 14) != "              " { exit }
		     on { print substr($0, 15) }' > "$tmp/example.c"
	# shellcheck disable=SC2046
	check cc -std=c11 -Wall -Wextra -pedantic -Werror -o "$tmp/example" "$tmp/example.c" \
		$(pkg-config --cflags --libs sevslot)
	printf 'pool sev: 502 slots\npool sev_es: 7 slots\nexample-1 holds slot 0 of pool sev (new)\n' \
		> "$tmp/example.want"
	LD_LIBRARY_PATH="$root/lib" "$tmp/example" "$top/tests/fixtures/hosts/epyc-7313-milan" \
		"$tmp/example.db" > "$tmp/example.out" 2>&1 || true
	check diff -u "$tmp/example.want" "$tmp/example.out"
else
	skip "libsevslot(3) example: no man (package man-db)"
fi

# The hook wrapper: libvirt's four arguments and the domain on stdin reach
# `sevslot libvirt-hook` unchanged, and nothing else is said.
hook=$root/etc/libvirt/hooks/qemu.d/sevslot
printf '<domain type="kvm"><name>plain</name><uuid>6f3d5a8e-1c2b-4d3e-9f00-aabbccddeeff</uuid></domain>\n' \
	> "$tmp/plain.xml"
if "$root/bin/sevslot" libvirt-hook --help >/dev/null 2>&1; then
	rc=0
	SEVSLOT_LEDGER=$tmp/hook.db "$hook" plain prepare begin - < "$tmp/plain.xml" > "$tmp/hook.out" || rc=$?
	check test $rc = 0
	check test ! -s "$tmp/hook.out"
	check test ! -e "$tmp/hook.db"   # a domain without <launchSecurity> never opens the ledger
else
	skip "libvirt hook run: this sevslot has no libvirt-hook command yet"
fi
mv "$root/bin/sevslot" "$root/bin/sevslot.real"
printf '#!/bin/sh\nprintf "%%s|" "$@"; echo; cat\n' > "$root/bin/sevslot"
chmod 755 "$root/bin/sevslot"
check test "$("$hook" plain prepare begin - < "$tmp/plain.xml" | head -1)" = "libvirt-hook|plain|prepare|begin|-|"
check test "$("$hook" plain prepare begin - < "$tmp/plain.xml" | tail -1)" = "$(cat "$tmp/plain.xml")"
mv "$root/bin/sevslot.real" "$root/bin/sevslot"

# systemd-analyze verify: syntax, ExecStart= executable, every Documentation=
# man page found. The units of this prefix run $root/bin/sevslot, which exists.
units=$root/lib/systemd/system
if have systemd-analyze; then
	if (cd "$units" && MANPATH="$root/share/man" SYSTEMD_UNIT_PATH="$units:" \
		systemd-analyze verify sevslot-audit.service sevslot-audit.timer \
		sevslot-inventory.service sevslot-inventory.timer) > "$tmp/verify" 2>&1; then
		check test ! -s "$tmp/verify"
	else
		echo "FAIL: systemd-analyze verify:"; cat "$tmp/verify"; fail=$((fail + 1))
	fi
else
	skip "systemd-analyze verify: no systemd-analyze (package systemd)"
fi
# The commands of the units, in an approximation of their sandbox.
tests/units.sh "$root" "$b" || fail=$((fail + 1))

# ------------------------------------------------ man pages
if have man; then
	for page in man/*.[1-8]; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" > "$tmp/page" 2> "$tmp/warn" || true
		check test -s "$tmp/page"
		if [ -s "$tmp/warn" ]; then
			echo "FAIL: $page renders with warnings:"; cat "$tmp/warn"; fail=$((fail + 1))
		fi
	done
else
	skip "man pages: no man (package man-db)"
fi

# ------------------------------------------------ make dist
if git rev-parse --git-dir >/dev/null 2>&1; then
	make -s B="$tmp/dist" dist >/dev/null 2>&1
	tar -tzf "$tmp/dist/sevslot-$version.tar.gz" | sed -n "s|^sevslot-$version/||p" |
		grep -v '/$' | grep -v '^$' | LC_ALL=C sort > "$tmp/dist.got"
	git ls-tree -r --name-only HEAD | LC_ALL=C sort > "$tmp/dist.want"
	check diff -u "$tmp/dist.want" "$tmp/dist.got"
else
	skip "make dist: not a git checkout"
fi

echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
