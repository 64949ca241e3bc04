#!/bin/bash
# Rebuilds the k8s-cri fixture: a Kubernetes node on pure cgroup v2 with
# containerd's CRI plugin and kubelet's systemd cgroup driver. Pod
# shop/web-7d9f8b6c5-x2x9q (burstable) has a sandbox and two containers,
# nginx and log-shipper, whose IDs share the prefix "abcd"; pod
# payments/api-0 (besteffort) has a sandbox and a second container named
# nginx. Each task bundle is
# /run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/{config.json,init.pid}.
# The config.json shape is the one containerd 1.6.20 (Debian 12) wrote for
# `ctr run`, captured on a test VM and trimmed to process/root/linux; the
# io.kubernetes.cri.* annotations and the "slice:cri-containerd:id"
# cgroupsPath were written by hand after containerd's pkg/cri/annotations
# and the CRI plugin's systemd cgroup handling (containerd 1.7), as
# `crictl inspect` shows them. /proc shapes follow Debian 12, kernel 6.x.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf k8s-cri && mkdir -p k8s-cri/etc k8s-cri/proc
cd k8s-cri
# etc/passwd, the host namespaces and proc(): shared with the other v2
# fixtures.
source ../lib-v2-host.sh

S1=5a1b2c3d4e5f60718293a4b5c6d7e8f905a1b2c3d4e5f60718293a4b5c6d7e8f
C1=abcd1234e5f60718293a4b5c6d7e8f90abcd1234e5f60718293a4b5c6d7e8f90
C2=abcd5678e5f60718293a4b5c6d7e8f90abcd5678e5f60718293a4b5c6d7e8f90
S2=77aa88bb99cc00dd11ee22ff33aa44bb55cc66dd77ee88ff99aa00bb11cc22dd
C3=e3e3e3e3a1a1a1a1b2b2b2b2c3c3c3c3d4d4d4d4e5e5e5e5f6f6f6f607070707
U1=6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b
U2=9e8d7c6b-5a49-4838-9271-605f4e3d2c1b
P1=web-7d9f8b6c5-x2x9q
slice1="kubepods-burstable-pod${U1//-/_}.slice"
slice2="kubepods-besteffort-pod${U2//-/_}.slice"
cg1="/kubepods.slice/kubepods-burstable.slice/$slice1"
cg2="/kubepods.slice/kubepods-besteffort.slice/$slice2"

proc 1 0 0 systemd '/sbin/init\0' /init.scope 1
proc 650 1 0 kubelet '/usr/bin/kubelet\0--config=/var/lib/kubelet/config.yaml\0--container-runtime-endpoint=unix:///run/containerd/containerd.sock\0' /system.slice/kubelet.service 650
proc 700 1 0 containerd '/usr/bin/containerd\0' /system.slice/containerd.service 700
proc 3090 1 0 containerd-shim '/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0'$S1'\0-address\0/run/containerd/containerd.sock\0' /system.slice/containerd.service 3090
proc 3280 1 0 containerd-shim '/usr/bin/containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0'$S2'\0-address\0/run/containerd/containerd.sock\0' /system.slice/containerd.service 3280
# Pod 1: net, ipc and uts are the sandbox's.
pod1=(net:4026532301 ipc:4026532302 uts:4026532303)
proc 3100 3090 65535 pause '/pause\0' "$cg1/cri-containerd-$S1.scope" $'3100\t1' "${pod1[@]}" mnt:4026532304 pid:4026532305 cgroup:4026532306
proc 3150 3090 0 nginx 'nginx: master process nginx -g daemon off;\0' "$cg1/cri-containerd-$C1.scope" $'3150\t1' "${pod1[@]}" mnt:4026532311 pid:4026532312 cgroup:4026532313
proc 3160 3150 101 nginx 'nginx: worker process\0' "$cg1/cri-containerd-$C1.scope" $'3160\t29' "${pod1[@]}" mnt:4026532311 pid:4026532312 cgroup:4026532313
proc 3200 3090 0 fluent-bit '/fluent-bit/bin/fluent-bit\0-c\0/fluent-bit/etc/fluent-bit.conf\0' "$cg1/cri-containerd-$C2.scope" $'3200\t1' "${pod1[@]}" mnt:4026532321 pid:4026532322 cgroup:4026532323
# Pod 2.
pod2=(net:4026532401 ipc:4026532402 uts:4026532403)
proc 3290 3280 65535 pause '/pause\0' "$cg2/cri-containerd-$S2.scope" $'3290\t1' "${pod2[@]}" mnt:4026532404 pid:4026532405 cgroup:4026532406
proc 3300 3280 0 nginx 'nginx: master process nginx -g daemon off;\0' "$cg2/cri-containerd-$C3.scope" $'3300\t1' "${pod2[@]}" mnt:4026532411 pid:4026532412 cgroup:4026532413

# bundle ID SLICE INIT-PID NETNS-PID ARGS(JSON) ANNOTATIONS(JSON members)
bundle() {
	local id=$1 slice=$2 pid=$3 nspid=$4 args=$5 ann=$6
	local dir=run/containerd/io.containerd.runtime.v2.task/k8s.io/$id
	mkdir -p "$dir"
	printf '%s' "$pid" > "$dir/init.pid"
	local nsjson='{"type":"pid"},{"type":"ipc","path":"/proc/'$nspid'/ns/ipc"},{"type":"uts","path":"/proc/'$nspid'/ns/uts"},{"type":"mount"},{"type":"network","path":"/proc/'$nspid'/ns/net"},{"type":"cgroup"}'
	if [ "$pid" = "$nspid" ]; then
		nsjson='{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network","path":"/var/run/netns/cni-'${id:0:8}'-0000-0000-0000-000000000000"},{"type":"cgroup"}'
	fi
	cat > "$dir/config.json" <<JSON
{"ociVersion":"1.0.2-dev","process":{"user":{"uid":0,"gid":0,"additionalGids":[0]},"args":$args,"env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/","capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FSETID","CAP_FOWNER","CAP_MKNOD","CAP_NET_RAW","CAP_SETGID","CAP_SETUID","CAP_SETFCAP","CAP_SETPCAP","CAP_NET_BIND_SERVICE","CAP_SYS_CHROOT","CAP_KILL","CAP_AUDIT_WRITE"]},"noNewPrivileges":false,"oomScoreAdj":-997},"root":{"path":"rootfs"},"annotations":{$ann},"linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}],"cpu":{"shares":2,"period":100000}},"cgroupsPath":"$slice:cri-containerd:$id","namespaces":[$nsjson],"maskedPaths":["/proc/acpi","/proc/kcore","/sys/firmware"],"readonlyPaths":["/proc/bus","/proc/sys","/proc/sysrq-trigger"]}}
JSON
}
sandbox_ann() { # ID NAME NAMESPACE UID
	printf '"io.kubernetes.cri.container-type":"sandbox","io.kubernetes.cri.sandbox-id":"%s","io.kubernetes.cri.sandbox-log-directory":"/var/log/pods/%s_%s_%s","io.kubernetes.cri.sandbox-name":"%s","io.kubernetes.cri.sandbox-namespace":"%s","io.kubernetes.cri.sandbox-uid":"%s"' \
		"$1" "$3" "$2" "$4" "$2" "$3" "$4"
}
container_ann() { # NAME IMAGE SANDBOX-ID POD NAMESPACE UID
	printf '"io.kubernetes.cri.container-name":"%s","io.kubernetes.cri.container-type":"container","io.kubernetes.cri.image-name":"%s","io.kubernetes.cri.sandbox-id":"%s","io.kubernetes.cri.sandbox-name":"%s","io.kubernetes.cri.sandbox-namespace":"%s","io.kubernetes.cri.sandbox-uid":"%s"' \
		"$1" "$2" "$3" "$4" "$5" "$6"
}
bundle $S1 $slice1 3100 3100 '["/pause"]' "$(sandbox_ann $S1 $P1 shop $U1)"
bundle $C1 $slice1 3150 3100 '["/docker-entrypoint.sh","nginx","-g","daemon off;"]' "$(container_ann nginx docker.io/library/nginx:1.25 $S1 $P1 shop $U1)"
bundle $C2 $slice1 3200 3100 '["/fluent-bit/bin/fluent-bit","-c","/fluent-bit/etc/fluent-bit.conf"]' "$(container_ann log-shipper cr.fluentbit.io/fluent/fluent-bit:2.2 $S1 $P1 shop $U1)"
bundle $S2 $slice2 3290 3290 '["/pause"]' "$(sandbox_ann $S2 api-0 payments $U2)"
bundle $C3 $slice2 3300 3290 '["/docker-entrypoint.sh","nginx","-g","daemon off;"]' "$(container_ann nginx docker.io/library/nginx:1.25 $S2 api-0 payments $U2)"
