#!/usr/bin/python3
"""Writes the sysfs fixture trees under testdata/topology/<name>/ read by CpuTopology's tests.

Each tree plays the role of /sys and holds only the files ImageCore reads:
  devices/system/cpu/online
  devices/system/cpu/cpuN/topology/{physical_package_id,core_id,core_cpus_list or thread_siblings_list}
  devices/system/cpu/cpuN/cache/indexK/{level,type,size,shared_cpu_list}
  devices/system/node/nodeN/cpulist
  fs/cgroup/cpuset.cpus.effective            (the root cgroup; absent = no restriction)

The layouts follow the kernel's numbering on these machines: on AMD and Intel two-socket servers Linux numbers
the first thread of every core first (socket 0, then socket 1) and the SMT siblings after all of them.

Run: /usr/bin/python3 testdata/topology/make_trees.py [DIR [NAME...]]   (rewrites the trees, or only those named, from
scratch under DIR, by default this script's directory, where git ignores them). The tests write each tree they read into
a temporary directory this way (tests/ImageCore.Tests/Support/TopologyTree.cs); `imagecore rehearse` looks for
testdata/topology/milan7713-2s-120 by default.
"""
import os
import shutil
import sys

OUT = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
ONLY = set(sys.argv[2:])


def cpulist(cpus):
    """Linux cpu list text ("0-7,128-135") of a collection of CPU numbers."""
    cpus = sorted(set(cpus))
    parts, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        parts.append(str(cpus[i]) if i == j else f"{cpus[i]}-{cpus[j]}")
        i = j + 1
    return ",".join(parts)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text + "\n")


def tree(name, cpus, nodes, cgroup=None, siblings_file="core_cpus_list"):
    """cpus: {cpu: dict(package, core, threads, caches=[(level, type, size, shared)])}; nodes: {id: cpus}."""
    if ONLY and name not in ONLY:
        return
    root = os.path.join(OUT, name)
    shutil.rmtree(root, ignore_errors=True)
    write(root, "devices/system/cpu/online", cpulist(cpus))
    for cpu, c in cpus.items():
        base = f"devices/system/cpu/cpu{cpu}"
        write(root, f"{base}/topology/physical_package_id", str(c["package"]))
        write(root, f"{base}/topology/core_id", str(c["core"]))
        write(root, f"{base}/topology/{siblings_file}", cpulist(c["threads"]))
        for k, (level, kind, size, shared) in enumerate(c.get("caches", [])):
            write(root, f"{base}/cache/index{k}/level", str(level))
            write(root, f"{base}/cache/index{k}/type", kind)
            write(root, f"{base}/cache/index{k}/size", size)
            write(root, f"{base}/cache/index{k}/shared_cpu_list", cpulist(shared))
    for node, node_cpus in nodes.items():
        write(root, f"devices/system/node/node{node}/cpulist", cpulist(node_cpus))
    if cgroup is not None:
        write(root, "fs/cgroup/cpuset.cpus.effective", cpulist(cgroup))


def epyc(name, cores_per_socket, smt, l3_mb, l2_kb, cgroup_cpus=None, core_ids=None):
    """Two-socket AMD EPYC (Zen 3), NPS1: one node per socket, 8 cores per CCD sharing one L3."""
    sockets = 2
    n_first = sockets * cores_per_socket            # first threads: 0 .. n_first-1
    total = n_first * (2 if smt else 1)
    cpus, nodes = {}, {s: [] for s in range(sockets)}
    for s in range(sockets):
        for c in range(cores_per_socket):
            first = s * cores_per_socket + c
            threads = [first, first + n_first] if smt else [first]
            ccd = first // 8
            l3 = [t + d for d in ([0, n_first] if smt else [0]) for t in range(ccd * 8, ccd * 8 + 8)]
            for t in threads:
                cpus[t] = dict(package=s, core=core_ids[c] if core_ids else c, threads=threads,
                               caches=[(1, "Data", "32K", threads), (1, "Instruction", "32K", threads),
                                       (2, "Unified", f"{l2_kb}K", threads), (3, "Unified", f"{l3_mb * 1024}K", l3)])
                nodes[s].append(t)
    assert len(cpus) == total
    tree(name, dict(sorted(cpus.items())), nodes, cgroup=cgroup_cpus if cgroup_cpus is not None else range(total))


# 1. AMD EPYC 7763 x 2, SMT on, NPS1: 256 CPUs; 16 L3 domains (CCDs) of 8 cores / 16 threads, 32 MB each.
epyc("epyc7763-2s-smt", cores_per_socket=64, smt=True, l3_mb=32, l2_kb=512)

# 2. An OR5-like batch node: AMD EPYC 7713 x 2 (64 cores each, 8 CCDs x 8 cores, 32 MB L3), SMT off, NPS1;
#    the job's cgroup grants 120 of the 128 CPUs (the top 4 cores of each socket are kept for the system, as
#    Slurm's core specialisation does), so L3 domains 7 (56-63) and 15 (120-127) are half outside the allowed set.
epyc("milan7713-2s-120", cores_per_socket=64, smt=False, l3_mb=32, l2_kb=512,
     cgroup_cpus=list(range(0, 60)) + list(range(64, 124)))

# 3. Intel Xeon Gold 6130 x 2 (Skylake-SP: 16 cores per socket, one 22 MB L3 per socket, 1 MB L2), SMT on:
#    64 CPUs, one node per socket, core ids with the gaps Skylake-SP leaves for fused-off cores, the older
#    thread_siblings_list name, and no cgroup file (no restriction).
XEON_CORE_IDS = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 16, 17, 18, 19]
cpus, nodes = {}, {0: [], 1: []}
for s in range(2):
    for i in range(16):
        first = s * 16 + i
        threads = [first, first + 32]
        l3 = list(range(s * 16, s * 16 + 16)) + list(range(32 + s * 16, 32 + s * 16 + 16))
        for t in threads:
            cpus[t] = dict(package=s, core=XEON_CORE_IDS[i], threads=threads,
                           caches=[(1, "Data", "32K", threads), (1, "Instruction", "32K", threads),
                                   (2, "Unified", "1024K", threads), (3, "Unified", "22528K", l3)])
            nodes[s].append(t)
tree("xeon6130-2s-smt", dict(sorted(cpus.items())), nodes, cgroup=None, siblings_file="thread_siblings_list")

# 4. A 2-vCPU VM like this project's development machines, without cache entries (as many VMs have none):
#    cores and the node are in sysfs, caches must come from CPUID; no cgroup file.
tree("vm-2vcpu", {0: dict(package=0, core=0, threads=[0]), 1: dict(package=0, core=1, threads=[1])}, {0: [0, 1]})
