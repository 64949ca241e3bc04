#!/bin/bash
# Rebuilds the cgroup-v2 fixture: a unified-only host (systemd, cgroup2 at
# /sys/fs/cgroup with nsdelegate,memory_recursiveprot) holding
#   - PID 4242, a Docker container under the systemd driver
#     (/system.slice/docker-<A>.scope) run with --memory 64m --cpus 0.5
#     --pids-limit 50: its limits are its own;
#   - PID 5100, a Kubernetes burstable container (containerd CRI, systemd
#     driver) with no limits of its own: memory and CPU are limited by its
#     pod slice, pids by kubepods.slice; it was OOM-killed once as a group;
#   - PID 4300, a zombie whose cgroup was removed (" (deleted)").
# File shapes follow kernel 6.x cgroupfs (cgroup-v2.rst); the values are
# consistent with each other (memory.current = anon + file + kernel) but
# made up, not captured.
set -euo pipefail
cd "$(dirname "$0")"
rm -rf cgroup-v2 && mkdir -p cgroup-v2
cd cgroup-v2
A=aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899
B=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
POD=kubepods-burstable-pod6b9f1c2a_3d4e_4f50_8a1b_2c3d4e5f6a7b.slice
CG=sys/fs/cgroup

# w PATH CONTENT: write CONTENT (printf format) to PATH, making parents.
w() { mkdir -p "$(dirname "$1")"; printf -- "$2" > "$1"; }

w proc/1/mountinfo '22 29 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
23 29 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
26 23 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
29 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
'
w proc/1/cgroup '0::/init.scope\n'
w proc/4242/cgroup "0::/system.slice/docker-$A.scope\n"
w proc/5100/cgroup "0::/kubepods.slice/kubepods-burstable.slice/$POD/cri-containerd-$B.scope\n"
w proc/4300/cgroup '0::/system.slice/old.scope (deleted)\n'

# The root: no memory.current, memory.max, cpu.max or pids.max.
w $CG/cgroup.controllers 'cpuset cpu io memory hugetlb pids rdma misc\n'
w $CG/cgroup.subtree_control 'cpuset cpu io memory pids\n'
w $CG/cpu.stat 'usage_usec 912345678\nuser_usec 600000000\nsystem_usec 312345678\nnice_usec 0\n'
w $CG/cpu.pressure 'some avg10=1.20 avg60=0.80 avg300=0.50 total=12345678\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $CG/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=4567\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=3210\n'
w $CG/io.pressure 'some avg10=0.10 avg60=0.05 avg300=0.01 total=987654\nfull avg10=0.05 avg60=0.02 avg300=0.00 total=765432\n'

# group PATH MEMORY.MAX CPU.MAX PIDS.MAX: a slice with only limits.
group() {
	w $CG$1/cgroup.events 'populated 1\nfrozen 0\n'
	w $CG$1/memory.max "$2\n"
	w $CG$1/cpu.max "$3\n"
	w $CG$1/pids.max "$4\n"
}
group /system.slice max 'max 100000' max
group /kubepods.slice 3758096384 'max 100000' 4096
group /kubepods.slice/kubepods-burstable.slice max 'max 100000' max
group /kubepods.slice/kubepods-burstable.slice/$POD 268435456 '200000 100000' max

# container DIR MEMORY.MAX CPU.MAX PIDS.MAX OOM_KILL OOM_GROUP_KILL: a leaf.
container() {
	local d=$CG$1
	group "$1" "$2" "$3" "$4"
	w $d/cgroup.procs '1\n'
	w $d/memory.current '6291456\n'
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
	w $d/memory.events "low 0\nhigh 0\nmax $(( $5 * 7 ))\noom $5\noom_kill $5\noom_group_kill $6\n"
	w $d/memory.events.local "low 0\nhigh 0\nmax $(( $5 * 7 ))\noom $5\noom_kill $5\noom_group_kill $6\n"
	w $d/cpu.weight '100\n'
	w $d/cpu.stat 'usage_usec 2345678\nuser_usec 2000000\nsystem_usec 345678\nnice_usec 0\nnr_periods 120\nnr_throttled 45\nthrottled_usec 3456789\nnr_bursts 0\nburst_usec 0\n'
	w $d/pids.current '3\n'
	w $d/pids.peak '7\n'
	w $d/pids.events 'max 2\n'
	w $d/cpu.pressure 'some avg10=12.50 avg60=8.25 avg300=2.00 total=4567890\nfull avg10=11.00 avg60=7.00 avg300=1.50 total=4000000\n'
	w $d/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
	w $d/io.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=321\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=123\n'
}
container /system.slice/docker-$A.scope 67108864 '50000 100000' 50 0 0
container /kubepods.slice/kubepods-burstable.slice/$POD/cri-containerd-$B.scope max 'max 100000' max 1 1
