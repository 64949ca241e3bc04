#!/bin/sh
# build-image.sh [TAG [CTX]]: builds the sidecar image offline from a static
# ctx binary (default bin/ctx: run `make release-native` first). No base
# image is pulled and nothing is downloaded, so it works air-gapped and in
# tests.
set -eu
tag=${1:-ctx:dev}
ctx=$(readlink -f "${2:-bin/ctx}")
cd "$(dirname "$0")/.."
[ -x "$ctx" ] || { echo "build-image: $ctx missing: run make release-native" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/image-rootfs.sh "$ctx" "$tmp/rootfs"
# docker import turns the rootfs into an image with no parent: no pull.
tar -C "$tmp/rootfs" -c . | docker import \
	--change 'ENV CTX_AUTO_HOST_ROOT=/host PATH=/usr/local/bin:/bin' \
	--change 'ENTRYPOINT ["/usr/local/bin/ctx"]' \
	--change 'CMD ["--help"]' \
	- "$tag" >/dev/null
echo "$tag"
