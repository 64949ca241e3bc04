#!/bin/bash
# Rebuilds the cgroup-v2 fixture: a unified-only host (systemd driver,
# cgroup2 at /sys/fs/cgroup with nsdelegate,memory_recursiveprot) shaped
# like a Kubernetes node that also runs Docker:
#   - PID 4242, a Docker container under the systemd driver
#     (/system.slice/docker-<A>.scope) run with --memory 64m --cpus 0.5
#     --pids-limit 50: its limits are its own; throttled in 45 of 120
#     periods; 2 forks rejected at its pids limit;
#   - kubepods QoS slices: kubepods.slice (pids 4096), kubepods-burstable.slice,
#     kubepods-besteffort.slice, and a Guaranteed pod directly under
#     kubepods.slice (kubepods-pod<uid_>.slice);
#   - nested limits in the burstable pod (memory 256 MiB, 2 CPUs): PID 5100
#     (container B) has no limits of its own and was OOM-killed once, as a
#     group (memory.events.local oom_kill 1, oom_group_kill 1), by the
#     pod's limit (the pod's memory.events.local oom 1, max 14); PID 5101
#     (container C) sets 512 MiB, looser than the pod's, and a memory.high
#     of 384 MiB it went over 23 times (memory.events.local high 23);
#   - container B has no CPU quota either: the pod's 2 CPUs throttled it
#     for 1.234567 s (cpu.stat.local throttled_usec), which its own
#     cpu.stat cannot show; the pod throttled in 60 of 600 periods;
#   - the Guaranteed pod's container (PID 5200, limit 128 MiB) has a working
#     set of 94 % of it and memory pressure (some avg10 15 %);
#   - the besteffort pod's container (PID 5300) has no limits at all;
#   - swap (only these groups have memory.swap.max and .events): container C
#     has swapped 30 MiB of its 32 MiB memory.swap.max (94 %); the
#     besteffort container (swap.max max) failed 5 swap allocations with
#     the host's swap full (memory.swap.events fail 5); parents count
#     both, as the kernel does (swap.current and swap.events are
#     hierarchical);
#   - 150 dying cgroups beside 13 live ones (root cgroup.stat);
#   - PID 4300, a zombie whose cgroup was removed (" (deleted)").
# File shapes follow kernel 6.x cgroupfs (cgroup-v2.rst): the root lacks
# memory.current, memory.max, cpu.max, cpu.weight and the pids files; a
# group has a controller's files only when its parent enables it in
# cgroup.subtree_control. Values are consistent with each other
# (memory.current = anon + file + kernel, parents >= children) but made up,
# not captured.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf cgroup-v2 && mkdir -p cgroup-v2
cd cgroup-v2
A=aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899
B=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
C=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
G=1111111111111111222222222222222233333333333333334444444444444444
E=5555555555555555666666666666666677777777777777778888888888888888
POD=kubepods-burstable-pod6b9f1c2a_3d4e_4f50_8a1b_2c3d4e5f6a7b.slice
GPOD=kubepods-pod0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d.slice
EPOD=kubepods-besteffort-pod9f8e7d6c_5b4a_4392_8170_6f5e4d3c2b1a.slice
KB=/kubepods.slice/kubepods-burstable.slice
KE=/kubepods.slice/kubepods-besteffort.slice
CG=sys/fs/cgroup

# w PATH CONTENT: write CONTENT (printf format) to PATH, making parents.
w() { mkdir -p "$(dirname "$1")"; printf -- "$2" > "$1"; }

w proc/1/mountinfo '22 29 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
26 23 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
29 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
'
w proc/1/cgroup '0::/init.scope\n'
w proc/4300/cgroup '0::/system.slice/old.scope (deleted)\n'

# proc PID CGROUP COMM ARGS...: a process in CGROUP.
proc() {
	local pid=$1 cg=$2 comm=$3
	shift 3
	w proc/$pid/cgroup "0::$cg\n"
	w proc/$pid/comm "$comm\n"
	w proc/$pid/status "Name:\t$comm\nPid:\t$pid\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t$pid\t1\nKthread:\t0\n"
	local IFS=$'\x01'
	printf '%s\0' "$@" > proc/$pid/cmdline
}
proc 1 /init.scope systemd /sbin/init
proc 4242 /system.slice/docker-$A.scope nginx nginx -g 'daemon off;'
proc 5100 $KB/$POD/cri-containerd-$B.scope java java -jar app.jar
proc 5101 $KB/$POD/cri-containerd-$C.scope envoy envoy -c /etc/envoy.yaml
proc 5200 /kubepods.slice/$GPOD/cri-containerd-$G.scope redis-server redis-server
proc 5300 $KE/$EPOD/cri-containerd-$E.scope sleep sleep infinity

# The root: no memory.current, memory.max, cpu.max, cpu.weight or pids files.
w $CG/cgroup.controllers 'cpuset cpu io memory hugetlb pids rdma misc\n'
w $CG/cgroup.subtree_control 'cpuset cpu io memory pids\n'
w $CG/cgroup.procs '2\n'
w $CG/cgroup.stat 'nr_descendants 13\nnr_dying_descendants 150\n'
w $CG/cpu.stat 'usage_usec 912345678\nuser_usec 600000000\nsystem_usec 312345678\nnice_usec 0\n'
w $CG/memory.stat 'anon 734003200\nfile 1610612736\nkernel 268435456\nshmem 8388608\ninactive_file 1073741824\nactive_file 536870912\n'
w $CG/io.stat '254:0 rbytes=1073741824 wbytes=536870912 rios=65536 wios=32768 dbytes=0 dios=0\n'
w $CG/cpu.pressure 'some avg10=1.20 avg60=0.80 avg300=0.50 total=12345678\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $CG/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=4567\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3210\n'
w $CG/io.pressure 'some avg10=0.10 avg60=0.05 avg300=0.01 total=987654\nfull avg10=0.05 avg60=0.02 avg300=0.00 total=765432\n'

# group PATH MEMORY.MAX CPU.MAX PIDS.MAX CURRENT ANON FILE INACTIVE_FILE:
# a cgroup with every file its parent's subtree_control gives it.
group() {
	local d=$CG$1
	w $d/cgroup.events 'populated 1\nfrozen 0\n'
	w $d/cgroup.procs ''
	w $d/cgroup.stat 'nr_descendants 0\nnr_dying_descendants 0\n'
	w $d/memory.max "$2\n"
	w $d/cpu.max "$3\n"
	w $d/pids.max "$4\n"
	w $d/memory.current "$5\n"
	w $d/memory.stat "anon $6\nfile $7\nkernel $(( $5 - $6 - $7 ))\nshmem 0\ninactive_file $8\nactive_file $(( $7 - $8 ))\n"
	w $d/memory.events 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n'
	w $d/memory.events.local 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n'
	w $d/cpu.weight '100\n'
	w $d/cpu.stat 'usage_usec 1000000\nuser_usec 700000\nsystem_usec 300000\nnice_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n'
	w $d/cpu.stat.local 'throttled_usec 0\n'
	w $d/pids.current '0\n'
	w $d/pids.events 'max 0\n'
	w $d/io.stat ''
	w $d/cpu.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
	w $d/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
	w $d/io.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
}
group /init.scope max 'max 100000' max 20971520 4194304 12582912 8388608
w $CG/init.scope/cgroup.procs '1\n'
w $CG/init.scope/pids.current '1\n'
group /system.slice max 'max 100000' max 31457280 4194304 20971520 12582912
w $CG/system.slice/pids.events 'max 2\n'
w $CG/system.slice/pids.current '3\n'
group /kubepods.slice 3758096384 'max 100000' 4096 603979776 314572800 251658240 125829120
group $KB max 'max 100000' max 268435456 134217728 109051904 41943040
group $KB/$POD 268435456 '200000 100000' max 268435456 134217728 109051904 41943040
w $CG$KB/$POD/memory.events.local 'low 0\nhigh 0\nmax 14\noom 1\noom_kill 0\noom_group_kill 0\n'
w $CG$KB/$POD/memory.events 'low 0\nhigh 0\nmax 14\noom 1\noom_kill 1\noom_group_kill 1\n'
w $CG$KB/$POD/cpu.stat 'usage_usec 1000000\nuser_usec 700000\nsystem_usec 300000\nnice_usec 0\nnr_periods 600\nnr_throttled 60\nthrottled_usec 1500000\nnr_bursts 0\nburst_usec 0\n'
group $KE max 'max 100000' max 20971520 10485760 8388608 4194304
group $KE/$EPOD max 'max 100000' max 20971520 10485760 8388608 4194304
group /kubepods.slice/$GPOD 134217728 '100000 100000' max 132120576 117440512 12582912 6291456

# container DIR MEMORY.MAX CPU.MAX PIDS.MAX OOM_KILL OOM_GROUP_KILL PID: a
# leaf with the statistics of a running container. Limit hits (max) count
# only where the limit is: a container without one has none of its own.
container() {
	local d=$CG$1 hits=0
	[ "$2" = max ] || hits=$(( $5 * 7 ))
	group "$1" "$2" "$3" "$4" 6291456 1228800 4505600 3883008
	w $d/cgroup.procs "$7\n"
	w $d/memory.peak '9437184\n'
	w $d/memory.swap.current '0\n'
	w $d/memory.stat 'anon 1228800
file 4505600
kernel 557056
kernel_stack 32768
pagetables 69632
sec_pagetables 0
percpu 1456
sock 0
vmalloc 0
shmem 12288
zswap 0
zswapped 0
file_mapped 2838528
file_dirty 0
file_writeback 0
swapcached 0
anon_thp 0
file_thp 0
shmem_thp 0
inactive_anon 1241088
active_anon 0
inactive_file 3883008
active_file 622592
unevictable 0
slab_reclaimable 266656
slab_unreclaimable 150152
slab 416808
workingset_refault_anon 0
workingset_refault_file 0
pgfault 3150
pgmajfault 16
'
	w $d/memory.events "low 0\nhigh 0\nmax $hits\noom $(( $5 - $6 ))\noom_kill $5\noom_group_kill $6\n"
	w $d/memory.events.local "low 0\nhigh 0\nmax $hits\noom $(( $5 - $6 ))\noom_kill $5\noom_group_kill $6\n"
	w $d/cpu.stat 'usage_usec 2345678\nuser_usec 2000000\nsystem_usec 345678\nnice_usec 0\nnr_periods 120\nnr_throttled 45\nthrottled_usec 3456789\nnr_bursts 0\nburst_usec 0\n'
	w $d/pids.current '3\n'
	w $d/pids.peak '7\n'
	w $d/pids.events 'max 2\n'
	w $d/io.stat '254:0 rbytes=1048576 wbytes=4194304 rios=256 wios=1024 dbytes=0 dios=0\n'
	w $d/cpu.pressure 'some avg10=12.50 avg60=8.25 avg300=2.00 total=4567890\nfull avg10=11.00 avg60=7.00 avg300=1.50 total=4000000\n'
	w $d/io.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=321\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=123\n'
}
container /system.slice/docker-$A.scope 67108864 '50000 100000' 50 0 0 4242
w $CG/system.slice/docker-$A.scope/io.max '254:0 rbps=10485760 wbps=max riops=max wiops=1000\n'
w $CG/system.slice/docker-$A.scope/io.weight 'default 100\n254:0 200\n'
container $KB/$POD/cri-containerd-$B.scope max 'max 100000' max 1 1 5100
for f in cpu.stat pids.events; do
	w $CG$KB/$POD/cri-containerd-$B.scope/$f "$(sed 's/^nr_throttled .*/nr_throttled 0/; s/^throttled_usec .*/throttled_usec 0/; s/^max .*/max 0/' $CG/system.slice/docker-$A.scope/$f | sed 's/$/\\n/' | tr -d '\n')"
done
# B: throttled by the pod's quota, not its own (it has none).
w $CG$KB/$POD/cri-containerd-$B.scope/cpu.stat.local 'throttled_usec 1234567\n'
container $KB/$POD/cri-containerd-$C.scope 536870912 'max 100000' max 0 0 5101
for f in cpu.stat pids.events; do
	cp $CG$KB/$POD/cri-containerd-$B.scope/$f $CG$KB/$POD/cri-containerd-$C.scope/$f
done
# C: over its memory.high (384 MiB, as Kubernetes MemoryQoS sets it) 23 times.
C1=$CG$KB/$POD/cri-containerd-$C.scope
w $C1/memory.high '402653184\n'
w $C1/memory.events 'low 0\nhigh 23\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n'
w $C1/memory.events.local 'low 0\nhigh 23\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n'
container /kubepods.slice/$GPOD/cri-containerd-$G.scope 134217728 '100000 100000' max 0 0 5200
G1=$CG/kubepods.slice/$GPOD/cri-containerd-$G.scope
# 126 MiB in use, little of it inactive file cache: a working set of 94 %.
w $G1/memory.current '132120576\n'
w $G1/memory.stat 'anon 117440512\nfile 12582912\nkernel 2097152\nshmem 4194304\ninactive_file 6291456\nactive_file 6291456\n'
w $G1/memory.pressure 'some avg10=15.00 avg60=6.00 avg300=1.20 total=9876543\nfull avg10=2.00 avg60=0.50 avg300=0.10 total=123456\n'
w $G1/cpu.stat 'usage_usec 8765432\nuser_usec 8000000\nsystem_usec 765432\nnice_usec 0\nnr_periods 300\nnr_throttled 6\nthrottled_usec 12000\nnr_bursts 0\nburst_usec 0\n'
cp $CG$KB/$POD/cri-containerd-$B.scope/pids.events $G1/pids.events
container $KE/$EPOD/cri-containerd-$E.scope max 'max 100000' max 0 0 5300
E1=$CG$KE/$EPOD/cri-containerd-$E.scope
# swap GROUP CURRENT MAX FAIL: the memory.swap.* files of GROUP.
swap() {
	w $CG$1/memory.swap.current "$2\n"
	w $CG$1/memory.swap.max "$3\n"
	w $CG$1/memory.swap.events "high 0\nmax 0\nfail $4\n"
}
swap $KB/$POD/cri-containerd-$C.scope 31457280 33554432 0
swap $KB/$POD 31457280 max 0
swap $KB 31457280 max 0
swap $KE/$EPOD/cri-containerd-$E.scope 8388608 max 5
swap $KE/$EPOD 8388608 max 5
swap $KE 8388608 max 5
swap /kubepods.slice 39845888 max 5
w $E1/cpu.stat 'usage_usec 1234\nuser_usec 1000\nsystem_usec 234\nnice_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n'
cp $G1/pids.events $E1/pids.events
