#!/bin/bash
# Rebuilds the podman fixture: rootful Podman 4 on pure cgroup v2 with the
# systemd cgroup manager. Container "db" runs (its conmon in a
# libpod-conmon-<id>.scope); "cache" exited. Their IDs share the prefix
# "beef0". Names come from containers/storage's
# /var/lib/containers/storage/overlay-containers/containers.json, whose
# "metadata" string is libpod's RuntimeContainerMetadata; libpod's own
# database (bolt_state.db or db.sql) is not part of the fixture, as ctx
# does not read it. The graphroot also holds db's userdata/config.json with
# Podman's annotations (io.container.manager=libpod), and the runroot its
# conmon pidfile. Written by hand after containers/storage containers.go and
# libpod (Podman 4.3, Debian 12) and trimmed. /proc shapes follow Debian 12,
# kernel 6.x.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf podman && mkdir -p podman/etc podman/proc
cd podman
# etc/passwd, the host namespaces and proc(): shared with the other v2
# fixtures.
source ../lib-v2-host.sh

DB=beef01a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e
CA=beef02a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e

proc 1 0 0 systemd '/sbin/init\0' /init.scope 1
proc 1490 1 0 conmon '/usr/bin/conmon\0--api-version\0001\0-c\0'$DB'\0-u\0'$DB'\0' "/machine.slice/libpod-conmon-$DB.scope" 1490
proc 1500 1490 999 postgres 'postgres\0' "/machine.slice/libpod-$DB.scope" $'1500\t1' net:4026532601 ipc:4026532602 uts:4026532603 mnt:4026532604 pid:4026532605 cgroup:4026532606
proc 1530 1500 999 postgres 'postgres: checkpointer \0' "/machine.slice/libpod-$DB.scope" $'1530\t27' net:4026532601 ipc:4026532602 uts:4026532603 mnt:4026532604 pid:4026532605 cgroup:4026532606

mkdir -p var/lib/containers/storage/overlay-containers/$DB/userdata run/containers/storage/overlay-containers/$DB/userdata
printf '1500' > run/containers/storage/overlay-containers/$DB/userdata/pidfile
cat > var/lib/containers/storage/overlay-containers/$DB/userdata/config.json <<JSON
{"ociVersion":"1.0.2-dev","process":{"user":{"uid":999,"gid":999},"args":["docker-entrypoint.sh","postgres"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","container=podman","HOSTNAME=${DB:0:12}"],"cwd":"/"},"root":{"path":"/var/lib/containers/storage/overlay/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0/merged"},"hostname":"${DB:0:12}","annotations":{"io.container.manager":"libpod","io.kubernetes.cri-o.Created":"2026-11-30T19:40:00.000000000Z","io.kubernetes.cri-o.TTY":"false","io.podman.annotations.autoremove":"FALSE","io.podman.annotations.init":"FALSE","io.podman.annotations.privileged":"FALSE","io.podman.annotations.publish-all":"FALSE","org.opencontainers.image.stopSignal":"2"},"linux":{"cgroupsPath":"machine.slice:libpod:$DB","namespaces":[{"type":"pid"},{"type":"network","path":"/run/netns/netns-8a1b2c3d-0000-4000-8000-000000000000"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"cgroup"}]}}
JSON
printf '[{"id":"%s","names":["db"],"image":"4b8b2d0a3e5c7f9e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0","layer":"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0","metadata":"{\\"image-name\\":\\"docker.io/library/postgres:16\\",\\"image-id\\":\\"4b8b2d0a3e5c7f9e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4f3e2d1c0\\",\\"name\\":\\"db\\",\\"created-at\\":1796067600,\\"mountlabel\\":\\"\\"}","created":"2026-11-30T19:40:00.000000000Z","flags":{"MountLabel":"","ProcessLabel":""}},{"id":"%s","names":["cache"],"image":"5c9c3e1b4f6d8a0f2e3d4c5b6a7988796a5b4c3d2e1f0a9f8e7d6c5b4a3f2e1d","layer":"1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f809","metadata":"{\\"image-name\\":\\"docker.io/library/redis:7.2\\",\\"image-id\\":\\"5c9c3e1b4f6d8a0f2e3d4c5b6a7988796a5b4c3d2e1f0a9f8e7d6c5b4a3f2e1d\\",\\"name\\":\\"cache\\",\\"created-at\\":1796067000,\\"mountlabel\\":\\"\\"}","created":"2026-11-30T19:30:00.000000000Z","flags":{"MountLabel":"","ProcessLabel":""}}]' \
	"$DB" "$CA" > var/lib/containers/storage/overlay-containers/containers.json
