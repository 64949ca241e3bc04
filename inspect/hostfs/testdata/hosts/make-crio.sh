#!/bin/bash
# Rebuilds the crio fixture: a Kubernetes node on pure cgroup v2 with CRI-O
# and the systemd cgroup driver. Pod default/redis-0 (besteffort) has a
# sandbox and a running container "redis", each beside its conmon (in a
# crio-conmon-<id>.scope), and an exited init container "init-db" whose
# state remains. CRI-O keeps each container's OCI config at
# /run/containers/storage/overlay-containers/<id>/userdata/config.json
# (with conmon's pidfile beside it) and lists it in containers/storage's
# /var/lib/containers/storage/overlay-containers/containers.json. These
# files were written by hand after CRI-O 1.28 (cri-o/cri-o pkg/annotations,
# internal/storage) and containers/storage's containers.go, as `crictl
# inspect` and a CRI-O node show them, trimmed to the fields that name
# things. /proc shapes follow Debian 12, kernel 6.x.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf crio && mkdir -p crio/etc crio/proc
cd crio
# etc/passwd, the host namespaces and proc(): shared with the other v2
# fixtures.
source ../lib-v2-host.sh

SB=c0ffee00112233445566778899aabbccddeeff00112233445566778899aabbcc
RD=4d2c1b0a99887766554433221100ffeeddccbbaa99887766554433221100ffee
IN=4d2c1b0a0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a0908070605040
UID1=1b2c3d4e-0000-4111-8222-333344445555
slice="kubepods-besteffort-pod${UID1//-/_}.slice"
cg="/kubepods.slice/kubepods-besteffort.slice/$slice"

proc 1 0 0 systemd '/sbin/init\0' /init.scope 1
proc 600 1 0 crio '/usr/bin/crio\0' /system.slice/crio.service 600
proc 2090 1 0 conmon '/usr/bin/conmon\0-c\0'$SB'\0' "$cg/crio-conmon-$SB.scope" 2090
proc 2100 2090 65535 pause '/pause\0' "$cg/crio-$SB.scope" $'2100\t1' net:4026532501 ipc:4026532502 uts:4026532503 pid:4026532504
proc 2140 1 0 conmon '/usr/bin/conmon\0-c\0'$RD'\0' "$cg/crio-conmon-$RD.scope" 2140
proc 2150 2140 999 redis-server 'redis-server *:6379\0' "$cg/crio-$RD.scope" $'2150\t1' net:4026532501 ipc:4026532502 uts:4026532503 mnt:4026532511 pid:4026532512 cgroup:4026532513

# userdata ID POD-CONTAINER-NAME TYPE IMAGE ATTEMPT PID(empty: exited)
userdata() {
	local id=$1 cname=$2 typ=$3 image=$4 attempt=$5 pid=$6
	local dir=run/containers/storage/overlay-containers/$id/userdata
	mkdir -p "$dir"
	[ -n "$pid" ] && printf '%s' "$pid" > "$dir/pidfile"
	local full="k8s_${cname}_redis-0_default_${UID1}_$attempt"
	cat > "$dir/config.json" <<JSON
{"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0},"args":["/entrypoint"],"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOSTNAME=redis-0"],"cwd":"/","noNewPrivileges":false,"oomScoreAdj":1000},"root":{"path":"/var/lib/containers/storage/overlay/$id/merged"},"hostname":"redis-0","annotations":{"io.container.manager":"cri-o","io.kubernetes.container.hash":"1a2b3c4d","io.kubernetes.container.name":"$cname","io.kubernetes.container.restartCount":"$attempt","io.kubernetes.cri-o.Annotations":"{\"io.kubernetes.container.hash\":\"1a2b3c4d\"}","io.kubernetes.cri-o.ContainerID":"$id","io.kubernetes.cri-o.ContainerName":"$full","io.kubernetes.cri-o.ContainerType":"$typ","io.kubernetes.cri-o.Created":"2026-11-30T19:50:00.000000000Z","io.kubernetes.cri-o.Image":"sha256:7e89539dd8bd8b1d4e0e2bf4e5f1f8a0c7b5d4a3f2e1d0c9b8a7f6e5d4c3b2a1","io.kubernetes.cri-o.ImageName":"$image","io.kubernetes.cri-o.Labels":"{\"io.kubernetes.container.name\":\"$cname\",\"io.kubernetes.pod.name\":\"redis-0\",\"io.kubernetes.pod.namespace\":\"default\",\"io.kubernetes.pod.uid\":\"$UID1\"}","io.kubernetes.cri-o.LogPath":"/var/log/pods/default_redis-0_$UID1/$cname/$attempt.log","io.kubernetes.cri-o.Name":"$full","io.kubernetes.cri-o.SandboxID":"$SB","io.kubernetes.cri-o.SandboxName":"k8s_redis-0_default_${UID1}_0","io.kubernetes.cri-o.TTY":"false","io.kubernetes.pod.name":"redis-0","io.kubernetes.pod.namespace":"default","io.kubernetes.pod.terminationGracePeriod":"30","io.kubernetes.pod.uid":"$UID1","kubernetes.io/config.source":"api"},"linux":{"cgroupsPath":"$slice:crio:$id","namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/3f8b2c1d-0000-4000-8000-000000000000"},{"type":"ipc","path":"/var/run/ipcns/3f8b2c1d-0000-4000-8000-000000000000"},{"type":"uts","path":"/var/run/utsns/3f8b2c1d-0000-4000-8000-000000000000"},{"type":"mount"}]}}
JSON
}
userdata $SB POD sandbox registry.k8s.io/pause:3.9 0 2100
userdata $RD redis container docker.io/library/redis:7.2 0 2150
userdata $IN init-db container docker.io/library/redis:7.2 0 ''
mkdir -p var/lib/containers/storage/overlay-containers
storage_entry() { # ID NAME IMAGE-NAME
	printf '{"id":"%s","names":["%s"],"image":"7e89539dd8bd8b1d4e0e2bf4e5f1f8a0c7b5d4a3f2e1d0c9b8a7f6e5d4c3b2a1","layer":"%s","metadata":"{\\"pod-name\\":\\"k8s_redis-0_default_%s_0\\",\\"pod-id\\":\\"%s\\",\\"image-name\\":\\"%s\\",\\"image-id\\":\\"7e89539dd8bd\\",\\"name\\":\\"%s\\",\\"created-at\\":1796068200,\\"mountlabel\\":\\"\\"}","created":"2026-11-30T19:50:00.000000000Z","flags":{"MountLabel":"","ProcessLabel":""}}' \
		"$1" "$2" "$(printf %s "$1" | rev)" "$UID1" "$SB" "$3" "$2"
}
printf '[%s,%s,%s]' \
	"$(storage_entry $SB "k8s_POD_redis-0_default_${UID1}_0" registry.k8s.io/pause:3.9)" \
	"$(storage_entry $RD "k8s_redis_redis-0_default_${UID1}_0" docker.io/library/redis:7.2)" \
	"$(storage_entry $IN "k8s_init-db_redis-0_default_${UID1}_0" docker.io/library/redis:7.2)" \
	> var/lib/containers/storage/overlay-containers/containers.json
