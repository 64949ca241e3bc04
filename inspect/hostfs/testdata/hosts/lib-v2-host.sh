# lib-v2-host.sh is sourced by the make-*.sh scripts of the pure cgroup v2
# fixtures (crio, podman, k8s-cri) from inside the fixture directory: it
# writes etc/passwd and defines the host's namespaces and proc().
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > etc/passwd
host=(mnt:4026531832 net:4026531833 time:4026531834 cgroup:4026531835 pid:4026531836 user:4026531837 uts:4026531838 ipc:4026531839)

# proc PID PPID UID COMM CMDLINE(printf format, NUL-separated) CGROUP-V2-PATH NSPID ns-overrides...
# Pure cgroup v2: /proc/PID/cgroup is the one line "0::PATH".
proc() {
	local pid=$1 ppid=$2 uid=$3 comm=$4 cmdline=$5 cgroup=$6 nspid=$7; shift 7
	mkdir -p "proc/$pid/ns"
	printf 'Name:\t%s\nState:\tS (sleeping)\nTgid:\t%s\nPid:\t%s\nPPid:\t%s\nUid:\t%s\t%s\t%s\t%s\nNSpid:\t%s\nKthread:\t0\n' \
		"$comm" "$pid" "$pid" "$ppid" "$uid" "$uid" "$uid" "$uid" "$nspid" > "proc/$pid/status"
	printf '%s\n' "$comm" > "proc/$pid/comm"
	printf "$cmdline" > "proc/$pid/cmdline"
	printf '0::%s\n' "$cgroup" > "proc/$pid/cgroup"
	local kv
	for kv in "${host[@]}" "$@"; do
		ln -sfn "${kv%%:*}:[${kv#*:}]" "proc/$pid/ns/${kv%%:*}"
	done
	ln -sfn "pid:[$(readlink proc/$pid/ns/pid | tr -dc 0-9)]" "proc/$pid/ns/pid_for_children"
	ln -sfn "time:[$(readlink proc/$pid/ns/time | tr -dc 0-9)]" "proc/$pid/ns/time_for_children"
}
