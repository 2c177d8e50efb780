#!/bin/sh
# make check-bare: README's quick start, each command exactly as README writes
# it, run as root in a fresh minimal Debian 12 root (debootstrap minbase: no
# make, no compiler), in the source tree as a checkout has it. This is what a
# new user on a bare machine does. One "skip:" line where such a root cannot
# be built here (not root, no debootstrap, no mirror, no mount namespace).
#   tests/bare.sh          SEVSLOT_BARE_MIRROR overrides http://deb.debian.org/debian
set -u
mirror=${SEVSLOT_BARE_MIRROR:-http://deb.debian.org/debian}
top=$(pwd)

if [ "$(id -u)" != 0 ]; then
	echo "skip: check-bare: debootstrap and chroot need root"; exit 0
fi
if ! command -v debootstrap >/dev/null 2>&1; then
	echo "skip: check-bare: no debootstrap (package debootstrap)"; exit 0
fi
if ! unshare --mount --propagation private true 2>/dev/null; then
	echo "skip: check-bare: no mount namespace here"; exit 0
fi

# The quick start: the indented lines of README's "Quick start" section.
cmds=$(sed -n '/^## Quick start/,/^## /s/^    \(..*\)/\1/p' README.md)
if [ -z "$cmds" ]; then
	echo "check-bare: FAIL README has no quick-start commands"; exit 1
fi

work=$(mktemp -d /var/tmp/sevslot-bare.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
root=$work/root
start=$(date +%s)
if ! debootstrap --variant=minbase bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1; then
	echo "skip: check-bare: debootstrap could not build a Debian 12 root from $mirror:" \
		"$(tail -n 1 "$work/debootstrap.log")"
	exit 0
fi
echo "check-bare: minimal Debian 12 root built in $(( $(date +%s) - start )) s"
for tool in make cc gcc pkg-config; do
	if chroot "$root" /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
		echo "check-bare: FAIL the root is not bare: it has $tool"; exit 1
	fi
done

# The tree as a checkout has it: tracked files and new ones not ignored, as
# they are in the working tree (from a tarball: all but build/).
mkdir -p "$root/root/sevslot"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -co --exclude-standard | while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done |
		tar -T - -cf - | tar -C "$root/root/sevslot" -xf -
else
	tar --exclude=./build -cf - . | tar -C "$root/root/sevslot" -xf -
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

fail=0
n=0
echo "$cmds" | while IFS= read -r cmd; do
	n=$((n + 1))
	start=$(date +%s)
	unshare --mount --propagation private /bin/sh -c '
		root=$1; cmd=$2
		# A mount point of its own, as a real root is, so that tests in it
		# can make their own mount namespaces.
		mount --bind "$root" "$root" &&
		mount -t proc proc "$root/proc" && mount --rbind /sys "$root/sys" &&
		mount --rbind /dev "$root/dev" && mount -t tmpfs tmpfs "$root/tmp" || exit 90
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			/bin/sh -c "cd /root/sevslot && $cmd"' sh "$root" "$cmd" > "$work/cmd$n.log" 2>&1
	code=$?
	if [ $code = 0 ]; then
		echo "check-bare: ok   \`$cmd\` as root in a bare Debian 12: $(( $(date +%s) - start )) s"
		grep '^skip' "$work/cmd$n.log" | sed 's/^/check-bare:      in the root: /'
	else
		echo "check-bare: FAIL \`$cmd\` exited $code; its last lines:"
		grep -v '^cc \|^ar \|^\[ ' "$work/cmd$n.log" | tail -n 40
		exit 1
	fi
done || fail=1
[ $fail = 0 ] && echo "check-bare: passed" || echo "check-bare: FAILED"
exit $fail
