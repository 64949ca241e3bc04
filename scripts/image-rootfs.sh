#!/bin/sh
# image-rootfs.sh CTX OUT: lays out the sidecar image's root filesystem in
# OUT: the static ctx binary, a static busybox with its applets (a shell and
# the usual tools for `ctx enter --keep-tools`), and the few files a scratch
# image lacks. Used by the Dockerfile and by `make image` (offline).
set -eu
ctx=$1 out=$2
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "image-rootfs: no static busybox at $busybox (install busybox-static)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/usr/local/bin" "$out/bin" "$out/etc" "$out/tmp" "$out/host" "$out/proc" "$out/sys" "$out/dev"
chmod 1777 "$out/tmp"
cp "$ctx" "$out/usr/local/bin/ctx"
cp "$busybox" "$out/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$out/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$out/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$out/etc/group"
