#!/bin/bash
# Rebuilds the cgroup-hybrid fixture: a hybrid host shaped like the test VM
# (Debian 12, kernel 6.18, Docker 20.10.24 cgroupfs driver): every v1
# controller on its own mount under /sys/fs/cgroup (cpu and cpuacct apart),
# cgroup2 at /sys/fs/cgroup/unified binding only hugetlb. One container,
# started with `docker run --memory 64m --pids-limit 50 --cpus 0.5`, after
# `dd` wrote 3 MiB to /tmp and a 2 s busy loop ran into its quota. PID 1's
# mountinfo is absent (the VM refuses it even to root), so readers fall back
# to /proc/self, a symlink to PID 4000. File contents were captured with
# `cat` from the live cgroupfs and mountinfo; only the lines shown are kept.
# Added by hand, in the shapes captured: cgroup.procs everywhere, the
# statistics of /docker, and /batch, a memory-only group (like those
# created with mkdir in the memory hierarchy alone) with a 32 MiB limit,
# and its child /batch/job1 without a limit of its own; the limit of /batch
# killed one process in each (v1 memory.oom_control oom_kill counts the
# victim's group only).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf cgroup-hybrid && mkdir -p cgroup-hybrid
cd cgroup-hybrid
ID=7f43e69b011f54ae5c4bd6f5662e002f7c968be384464616909bd6447579996e
CG=sys/fs/cgroup

# w PATH CONTENT: write CONTENT (printf format) to PATH, making parents.
w() { mkdir -p "$(dirname "$1")"; printf -- "$2" > "$1"; }

w proc/4000/mountinfo '22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
42 27 254:0 /var/lib/docker /var/lib/docker rw,relatime shared:1 - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
'
ln -s 4000 proc/self
hostcg='9:name=systemd:/\n8:pids:/\n7:blkio:/\n6:freezer:/\n5:devices:/\n4:memory:/\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n'
w proc/1/cgroup "$hostcg"
w proc/4000/cgroup "$hostcg"
ctr=''
for l in 9:name=systemd 8:pids 7:blkio 6:freezer 5:devices 4:memory 3:cpuset 2:cpuacct 1:cpu 0:; do
	ctr+="$l:/docker/$ID\\n"
done
w proc/667/cgroup "$ctr"
w proc/667/comm 'sleep\n'
w proc/667/status 'Name:\tsleep\nPid:\t667\nPPid:\t640\nUid:\t0\t0\t0\t0\nNSpid:\t667\t1\nKthread:\t0\n'
printf 'sleep\0003600\000' > proc/667/cmdline
batch=''
for l in 9:name=systemd:/ 8:pids:/ 7:blkio:/ 6:freezer:/ 5:devices:/ 4:memory:/batch/job1 3:cpuset:/ 2:cpuacct:/ 1:cpu:/ 0::/; do
	batch+="$l\\n"
done
w proc/900/cgroup "$batch"
w proc/900/comm 'python3\n'
w proc/900/status 'Name:\tpython3\nPid:\t900\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t900\nKthread:\t0\n'
printf 'python3\000job.py\000' > proc/900/cmdline

# Root of each v1 hierarchy: release_agent exists only there.
for c in cpu cpuacct cpuset memory devices freezer blkio pids systemd; do
	w $CG/$c/release_agent ''
done
w $CG/memory/memory.usage_in_bytes '1295171584\n'
w $CG/memory/memory.limit_in_bytes '9223372036854771712\n'
w $CG/memory/memory.max_usage_in_bytes '2620719104\n'
w $CG/memory/memory.oom_control 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n'
w $CG/memory/memory.stat 'cache 10629120\nrss 6512640\nshmem 9170944\ninactive_file 286720\nhierarchical_memory_limit 9223372036854771712\ntotal_cache 731930624\ntotal_rss 564387840\ntotal_shmem 9170944\ntotal_swap 0\ntotal_inactive_file 220356608\ntotal_active_file 502403072\n'
w $CG/cpu/cpu.cfs_quota_us '-1\n'
w $CG/cpu/cpu.cfs_period_us '100000\n'
w $CG/cpu/cpu.shares '1024\n'
w $CG/cpu/cpu.stat 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n'
w $CG/cpuacct/cpuacct.usage '313547538244\n'
w $CG/unified/cgroup.controllers 'hugetlb\n'
w $CG/unified/cpu.stat 'usage_usec 305448491\nuser_usec 156807323\nsystem_usec 148641167\nnice_usec 0\n'
w $CG/unified/cpu.pressure 'some avg10=32.90 avg60=21.41 avg300=9.73 total=66140850\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $CG/unified/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $CG/unified/io.pressure 'some avg10=0.12 avg60=0.07 avg300=0.06 total=2613005\nfull avg10=0.00 avg60=0.00 avg300=0.02 total=2102999\n'

# Members: the host's processes sit at the root of every hierarchy.
for c in cpu cpuacct cpuset memory devices freezer blkio pids systemd unified; do
	w $CG/$c/cgroup.procs '1\n4000\n900\n'
	w $CG/$c/docker/cgroup.procs ''
	w $CG/$c/docker/$ID/cgroup.procs '667\n'
done
w $CG/memory/cgroup.procs '1\n4000\n'

# /docker: no limits of its own; its usage is the container's and a little.
w $CG/memory/docker/memory.usage_in_bytes '4341760\n'
w $CG/memory/docker/memory.oom_control 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n'
w $CG/memory/docker/memory.stat 'cache 0\nrss 0\nshmem 0\ninactive_file 0\nhierarchical_memory_limit 9223372036854771712\ntotal_cache 3334144\ntotal_rss 237568\ntotal_shmem 0\ntotal_swap 0\ntotal_inactive_file 3145728\ntotal_active_file 188416\n'
w $CG/cpu/docker/cpu.stat 'nr_periods 0\nnr_throttled 0\nthrottled_time 0\nnr_bursts 0\nburst_time 0\n'
w $CG/cpuacct/docker/cpuacct.usage '1090410173\n'
w $CG/pids/docker/pids.current '2\n'
w $CG/pids/docker/pids.events 'max 0\n'
w $CG/unified/docker/cpu.stat 'usage_usec 1090410\nuser_usec 1047132\nsystem_usec 43278\nnice_usec 0\n'
w $CG/unified/docker/cpu.pressure 'some avg10=4.52 avg60=0.81 avg300=0.17 total=672798\nfull avg10=4.52 avg60=0.81 avg300=0.17 total=659466\n'
w $CG/unified/docker/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $CG/unified/docker/io.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=102\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=102\n'

# The container's other controllers, as Docker 20.10 sets them up.
S=$CG/cpuset/docker/$ID
w $S/cpuset.cpus '0-1\n'
w $S/cpuset.mems '0\n'
w $S/cpuset.effective_cpus '0-1\n'
w $S/cpuset.effective_mems '0\n'
F=$CG/freezer/docker/$ID
w $F/freezer.state 'THAWED\n'
w $F/freezer.self_freezing '0\n'
w $F/freezer.parent_freezing '0\n'
w $CG/devices/docker/$ID/devices.list 'c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\nc 136:* rwm\nc 10:200 rwm\n'
BL=$CG/blkio/docker/$ID
w $BL/blkio.throttle.io_service_bytes_recursive '254:0 Read 1048576\n254:0 Write 3149824\n254:0 Sync 4198400\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 4198400\nTotal 4198400\n'
w $BL/blkio.throttle.io_serviced_recursive '254:0 Read 16\n254:0 Write 769\n254:0 Sync 785\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 785\nTotal 785\n'
w $BL/blkio.throttle.read_bps_device ''
w $BL/blkio.throttle.write_bps_device '254:0 10485760\n'
w $BL/blkio.throttle.read_iops_device ''
w $BL/blkio.throttle.write_iops_device ''

# /batch and /batch/job1 exist only in the memory hierarchy.
for b in batch batch/job1; do
	w $CG/memory/$b/memory.usage_in_bytes '33345536\n'
	w $CG/memory/$b/memory.limit_in_bytes '9223372036854771712\n'
	w $CG/memory/$b/memory.stat 'cache 0\nrss 33345536\nshmem 0\ninactive_file 0\ntotal_cache 0\ntotal_rss 33345536\ntotal_shmem 0\ntotal_swap 0\ntotal_inactive_file 0\ntotal_active_file 0\n'
	w $CG/memory/$b/cgroup.procs ''
done
w $CG/memory/batch/memory.limit_in_bytes '33554432\n'
w $CG/memory/batch/memory.oom_control 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n'
w $CG/memory/batch/job1/memory.oom_control 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n'
w $CG/memory/batch/job1/cgroup.procs '900\n'

w $CG/memory/docker/memory.limit_in_bytes '9223372036854771712\n'
w $CG/cpu/docker/cpu.cfs_quota_us '-1\n'
w $CG/cpu/docker/cpu.cfs_period_us '100000\n'
w $CG/pids/docker/pids.max 'max\n'
w $CG/unified/docker/cgroup.events 'populated 1\nfrozen 0\n'

# The container.
M=$CG/memory/docker/$ID
w $M/memory.usage_in_bytes '4157440\n'
w $M/memory.limit_in_bytes '67108864\n'
w $M/memory.max_usage_in_bytes '5443584\n'
w $M/memory.oom_control 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n'
w $M/memory.stat 'cache 3334144
rss 53248
rss_huge 0
shmem 0
mapped_file 131072
dirty 3158016
writeback 0
workingset_refault_anon 0
workingset_refault_file 59
swap 0
swapcached 0
pgpgin 1525
pgpgout 1463
pgfault 1911
pgmajfault 4
inactive_anon 49152
active_anon 4096
inactive_file 3145728
active_file 188416
unevictable 0
hierarchical_memory_limit 67108864
hierarchical_memsw_limit 134217728
total_cache 3334144
total_rss 53248
total_rss_huge 0
total_shmem 0
total_mapped_file 131072
total_dirty 3158016
total_writeback 0
total_workingset_refault_anon 0
total_workingset_refault_file 59
total_swap 0
total_swapcached 0
total_pgpgin 1525
total_pgpgout 1463
total_pgfault 1911
total_pgmajfault 4
total_inactive_anon 49152
total_active_anon 4096
total_inactive_file 3145728
total_active_file 188416
total_unevictable 0
'
C=$CG/cpu/docker/$ID
w $C/cpu.cfs_quota_us '50000\n'
w $C/cpu.cfs_period_us '100000\n'
w $C/cpu.shares '1024\n'
w $C/cpu.stat 'nr_periods 24\nnr_throttled 18\nthrottled_time 508951556\nnr_bursts 0\nburst_time 0\n'
A=$CG/cpuacct/docker/$ID
w $A/cpuacct.usage '1060410173\n'
P=$CG/pids/docker/$ID
w $P/pids.current '2\n'
w $P/pids.max '50\n'
w $P/pids.events 'max 0\n'
w $P/pids.peak '8\n'
U=$CG/unified/docker/$ID
w $U/cgroup.events 'populated 1\nfrozen 0\n'
w $U/cpu.stat 'usage_usec 1060410\nuser_usec 1037132\nsystem_usec 23278\nnice_usec 0\n'
w $U/cpu.pressure 'some avg10=4.52 avg60=0.81 avg300=0.17 total=672798\nfull avg10=4.52 avg60=0.81 avg300=0.17 total=659466\n'
w $U/memory.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n'
w $U/io.pressure 'some avg10=0.00 avg60=0.00 avg300=0.00 total=102\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=102\n'
