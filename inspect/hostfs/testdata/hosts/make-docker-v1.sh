#!/bin/bash
# Rebuilds the docker-v1 fixture: a hybrid cgroup v1 host with two Docker
# containers (B shares A's netns), an `ip netns add` namespace, a process
# whose pid_for_children names a pid namespace nothing lives in yet, and a
# process with a hostile name. Shapes follow /proc on Debian 12, kernel
# 6.18, Docker 20.10 cgroupfs driver (captured by hand, then trimmed).
# Docker's state: config.v2.json for A ("web-1", a compose service), B
# ("sidecar") and C ("old-job", exited, no process), trimmed from the file
# Docker 20.10.24 on Debian 12 wrote for `docker run -d --label
# com.docker.compose.project=demo ctx-test/busybox` (network settings and
# paths shortened, IDs replaced).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf docker-v1 && mkdir -p docker-v1/etc docker-v1/proc
cd docker-v1
A=aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899
B=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
C=0123456789ab99887766554433221100ffeeddccbbaa99887766554433221100
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > etc/passwd
host=(mnt:4026531832 net:4026531833 time:4026531834 cgroup:4026531835 pid:4026531836 user:4026531837 uts:4026531838 ipc:4026531839)

# proc PID PPID UID COMM CMDLINE(NUL-separated, may be empty) CGROUP NSPID KTHREAD ns-overrides...
proc() {
	local pid=$1 ppid=$2 uid=$3 comm=$4 cmdline=$5 cgroup=$6 nspid=$7 kthread=$8; shift 8
	mkdir -p "proc/$pid/ns"
	printf 'Name:\t%s\nState:\tS (sleeping)\nTgid:\t%s\nPid:\t%s\nPPid:\t%s\nUid:\t%s\t%s\t%s\t%s\nNSpid:\t%s\nKthread:\t%s\n' \
		"$comm" "$pid" "$pid" "$ppid" "$uid" "$uid" "$uid" "$uid" "$nspid" "$kthread" > "proc/$pid/status"
	printf '%s\n' "$comm" > "proc/$pid/comm"
	printf "$cmdline" > "proc/$pid/cmdline"
	printf '%s' "$cgroup" > "proc/$pid/cgroup"
	local kv
	for kv in "${host[@]}" "$@"; do
		ln -sfn "${kv%%:*}:[${kv#*:}]" "proc/$pid/ns/${kv%%:*}"
	done
	ln -sfn "pid:[$(readlink proc/$pid/ns/pid | tr -dc 0-9)]" "proc/$pid/ns/pid_for_children"
	ln -sfn "time:[$(readlink proc/$pid/ns/time | tr -dc 0-9)]" "proc/$pid/ns/time_for_children"
}
hostcg='12:memory:/\n11:pids:/\n1:name=systemd:/init.scope\n0::/init.scope\n'
proc 1 0 0 systemd '/sbin/init\0' "$(printf "$hostcg")" 1 0
proc 2 0 0 kthreadd '' "$(printf '12:memory:/\n0::/\n')" 2 1
proc 812 1 0 dockerd '/usr/sbin/dockerd\0-H\0fd://\0' "$(printf '12:memory:/system.slice/docker.service\n0::/system.slice/docker.service\n')" 812 0
acg="$(printf '12:memory:/docker/%s\n11:pids:/docker/%s\n1:name=systemd:/docker/%s\n0::/\n' $A $A $A)"
bcg="$(printf '12:memory:/docker/%s\n11:pids:/docker/%s\n1:name=systemd:/docker/%s\n0::/\n' $B $B $B)"
proc 4242 4220 0 sleep 'sleep\0003600\0' "$acg" $'4242\t1' 0 \
	mnt:4026532601 uts:4026532602 ipc:4026532603 pid:4026532604 net:4026532605 cgroup:4026532606
proc 4250 4242 65534 sh 'sh\0-c\0while true; do sleep 1; done\0' "$acg" $'4250\t7' 0 \
	mnt:4026532601 uts:4026532602 ipc:4026532603 pid:4026532604 net:4026532605 cgroup:4026532606
proc 4300 4280 0 sleep 'sleep\0003600\0' "$bcg" $'4300\t1' 0 \
	mnt:4026532701 uts:4026532702 ipc:4026532703 pid:4026532704 net:4026532605 cgroup:4026532706
proc 5000 1 0 "$(printf 'evil\033[31m\nx')" "$(printf 'evil\\033[31m\\nname\\0--flag\\0')" "$(printf "$hostcg")" 5000 0
proc 6000 1 0 unshare 'unshare\0--pid\0sh\0' "$(printf "$hostcg")" 6000 0
ln -sfn 'pid:[4026532800]' proc/6000/ns/pid_for_children
# PID 1's mount namespace holds two namespace bind mounts.
cat > proc/1/mountinfo <<'MI'
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
25 22 0:23 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
610 26 0:4 net:[4026532900] /run/netns/blue rw shared:258 - nsfs nsfs rw
611 26 0:4 net:[4026532605] /run/docker/netns/1f2e3d4c5b6a rw shared:259 - nsfs nsfs rw
MI
cat > proc/4242/mountinfo <<'MI'
900 800 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/ABC,upperdir=/var/lib/docker/overlay2/x/diff,workdir=/var/lib/docker/overlay2/x/work
MI
cp proc/4242/mountinfo proc/4300/mountinfo

# docker_config ID NAME IMAGE IMAGE-ID RUNNING PID LABELS(JSON object)
docker_config() {
	local id=$1 name=$2 image=$3 imageid=$4 running=$5 pid=$6 labels=$7
	mkdir -p "var/lib/docker/containers/$id"
	cat > "var/lib/docker/containers/$id/config.v2.json" <<JSON
{"StreamConfig":{},"State":{"Running":$running,"Paused":false,"Restarting":false,"OOMKilled":false,"RemovalInProgress":false,"Dead":false,"Pid":$pid,"ExitCode":0,"Error":"","StartedAt":"2026-11-30T20:05:00.456216947Z","FinishedAt":"0001-01-01T00:00:00Z","Health":null},"ID":"$id","Created":"2026-11-30T20:05:00.296738197Z","Managed":false,"Path":"sleep","Args":["3600"],"Config":{"Hostname":"${id:0:12}","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sleep","3600"],"Image":"$image","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":$labels},"Image":"$imageid","NetworkSettings":{"Bridge":"","SandboxID":"1f2e3d4c5b6a","HairpinMode":false,"Networks":{},"Service":null,"Ports":{},"SandboxKey":"/var/run/docker/netns/1f2e3d4c5b6a"},"LogPath":"/var/lib/docker/containers/$id/$id-json.log","Name":"/$name","Driver":"overlay2","OS":"linux","MountLabel":"","ProcessLabel":"","RestartCount":0,"HasBeenStartedBefore":true,"HasBeenManuallyStopped":false,"MountPoints":{},"SecretReferences":null,"ConfigReferences":null,"AppArmorProfile":"docker-default","HostnamePath":"/var/lib/docker/containers/$id/hostname","HostsPath":"/var/lib/docker/containers/$id/hosts","ShmPath":"","ResolvConfPath":"/var/lib/docker/containers/$id/resolv.conf","SeccompProfile":"","NoNewPrivileges":false,"LocalLogCacheMeta":{"HaveNotifyEnabled":false}}
JSON
}
docker_config $A web-1 nginx:1.25 sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6 true 4242 \
	'{"com.docker.compose.project":"shop","com.docker.compose.service":"web","com.docker.compose.container-number":"1"}'
docker_config $B sidecar ctx-test/busybox:latest sha256:6dce980ac88f9ee2d10bf049b44fa48e30d390845078c8d28338155b58a8f599 true 4300 '{}'
docker_config $C old-job ctx-test/busybox:latest sha256:6dce980ac88f9ee2d10bf049b44fa48e30d390845078c8d28338155b58a8f599 false 0 '{}'
