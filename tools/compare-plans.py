#!/usr/bin/env python3
# tools/compare-plans.py OLD NEW: a plan directory of format 1 (imagecore before the record files) against one of
# format 2 made with the same options; exits non-zero at the first difference. Format 1: clusters/STEP/NNNNN.json and
# NNNNN.graph.json; format 2: clusters/STEP.jsonl + STEP.index. Every cluster and its part of the graph, parsed, must be
# equal, and plan.json equal but for the version. (graph.json is the same format in both: compare it with cmp.)
import json, os, struct, sys
old, new = sys.argv[1], sys.argv[2]
so, sn = json.load(open(f"{old}/plan.json")), json.load(open(f"{new}/plan.json"))
assert so.pop("version") == 1 and sn.pop("version") == 2
assert so == sn, "plan.json differs"
n = 0
for step in [s["name"] for s in sn["steps"]]:
    raw = open(f"{new}/clusters/{step}.index", "rb").read()
    offsets = struct.unpack(f"<{len(raw)//8}q", raw)
    count = len(offsets) - 1
    assert count == next(s["clusters"] for s in sn["steps"] if s["name"] == step)
    assert count == len([f for f in os.listdir(f"{old}/clusters/{step}") if not f.endswith(".graph.json")])
    with open(f"{new}/clusters/{step}.jsonl", "rb") as records:
        for i in range(count):
            records.seek(offsets[i])
            cluster, graph = records.read(offsets[i + 1] - offsets[i]).decode().rstrip("\n").split("\n")
            assert json.loads(cluster) == json.load(open(f"{old}/clusters/{step}/{i:05d}.json")), f"{step} {i} cluster"
            assert json.loads(graph) == json.load(open(f"{old}/clusters/{step}/{i:05d}.graph.json")), f"{step} {i} graph"
            n += 1
print(f"{n} clusters and their graphs identical")
