#!/bin/sh
# `make install` into a scratch DESTDIR, then build a program against what was
# installed, through pkg-config, statically and dynamically, and run both.
set -eu
b=${1:?usage: install.sh BUILD}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if "$@"; then pass=$((pass + 1)); else echo "FAIL: $*"; fail=$((fail + 1)); fi; }

make -s B="$b" install DESTDIR="$tmp" PREFIX=/usr >/dev/null
root=$tmp/usr
check test -x "$root/bin/sevslot"
check test -f "$root/share/man/man1/sevslot.1"
soname=libsevslot.so.$(sed -n 's/^SOVERSION *:= *//p' Makefile)
check test "$(readlink "$root/lib/libsevslot.so")" = "$soname"
check test "$(readlink "$root/lib/$soname")" = "libsevslot.so.$(make -s --no-print-directory print-version)"
check grep -qx 'prefix=/usr' "$root/lib/pkgconfig/sevslot.pc"

cat > "$tmp/use.c" <<'C'
#include <sevslot.h>
#include <stdio.h>
#include <string.h>
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
export PKG_CONFIG_SYSROOT_DIR="$tmp" PKG_CONFIG_LIBDIR="$root/lib/pkgconfig"
# shellcheck disable=SC2046
check cc -o "$tmp/use-shared" "$tmp/use.c" $(pkg-config --cflags --libs sevslot)
version=$(make -s --no-print-directory print-version)
check test "$(LD_LIBRARY_PATH="$root/lib" "$tmp/use-shared")" = "amd-sev-es $version"
# shellcheck disable=SC2046
check cc -o "$tmp/use-static" "$tmp/use.c" $(pkg-config --cflags sevslot) \
	"$root/lib/libsevslot.a" $(pkg-config --static --libs sevslot | sed 's/-lsevslot//')
check test "$("$tmp/use-static")" = "amd-sev-es $version"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
