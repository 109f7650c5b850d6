#!/usr/bin/python3
"""make_lsstcam.py OBS_LSST_DIR: (a checkout, or its policy/ folder exported; set OBS_LSST_COMMIT then) writes lsstcam.json, ImageCore's LSSTCam focal plane, beside itself.

Made from lsst/obs_lsst (commit 0e84d755 for the committed file): policy/rafts.yaml (raft centres,
detector id offsets), policy/lsstCam/R??.yaml (vendor, CCD serials, per-CCD offsets and yaws within the
raft, per-amplifier gain / read noise / saturation), and the nominal layout of policy/cameraHeader.yaml
(42.25 mm CCD pitch in a raft; amplifier boxes as in shared/reference/isr.md section 1). Only the 189
science detectors (21 rafts x 9) are kept. Facts are taken, not code: this script reads the YAML data.
"""
import json
import os
import subprocess
import sys

import yaml

SCIENCE_RAFTS = ["R01", "R02", "R03", "R10", "R11", "R12", "R13", "R14", "R20", "R21", "R22", "R23", "R24",
                 "R30", "R31", "R32", "R33", "R34", "R41", "R42", "R43"]
SLOTS = ["S00", "S01", "S02", "S10", "S11", "S12", "S20", "S21", "S22"]
AMPS = ["C10", "C11", "C12", "C13", "C14", "C15", "C16", "C17", "C07", "C06", "C05", "C04", "C03", "C02", "C01", "C00"]
CCD_PITCH_MM = 42.25

AMP_TYPES = {
    # Boxes in the amplifier's own raw (file) coordinates: [x0, y0, width, height].
    "E2V": {"rawWidth": 576, "rawHeight": 2048, "data": [10, 0, 512, 2002], "serialPrescan": [0, 0, 10, 2002],
            "serialOverscan": [522, 0, 54, 2002], "parallelOverscan": [10, 2002, 512, 46],
            "flipTopRow": [True, True], "flipBottomRow": [False, False]},
    "ITL": {"rawWidth": 576, "rawHeight": 2048, "data": [3, 0, 509, 2000], "serialPrescan": [0, 0, 3, 2000],
            "serialOverscan": [512, 0, 64, 2000], "parallelOverscan": [3, 2000, 509, 48],
            "flipTopRow": [True, True], "flipBottomRow": [True, False]},
}


def main(checkout):
    def load(path):
        return yaml.safe_load(open(os.path.join(checkout, path)))

    rafts = load("policy/rafts.yaml")["rafts"]
    detectors = []
    for raft in SCIENCE_RAFTS:
        r = load(f"policy/lsstCam/{raft}.yaml")[raft]
        vendor = r["detectorType"]
        rx, ry = rafts[raft]["offset"][:2]
        if rafts[raft].get("yaw", 0.0) != 0.0:
            raise SystemExit(f"{raft}: science rafts are expected to have no raft yaw")
        for slot in SLOTS:
            row, col = int(slot[1]), int(slot[2])
            geom = r.get("geometryWithinRaft", {}).get(slot, {"offset": [0.0, 0.0], "yaw": 0.0})
            dx, dy = geom["offset"][:2]
            amps = []
            for name in AMPS:
                a = r["amplifiers"][slot][name]
                amps.append({"name": name, "gain": a["gain"], "readNoise": a["readNoise"],
                             "saturation": a["saturation"]})
            detectors.append({
                "id": rafts[raft]["id0"] + 3 * row + col,
                "name": f"{raft}_{slot}",
                "raft": raft,
                "slot": slot,
                "type": vendor,
                "serial": r["ccdSerials"][slot],
                "centerMm": [round(rx + (col - 1) * CCD_PITCH_MM + dx, 6), round(ry + (row - 1) * CCD_PITCH_MM + dy, 6)],
                "yawDeg": geom["yaw"],
                "amplifiers": amps,
            })
    detectors.sort(key=lambda d: d["id"])
    commit = subprocess.run(["git", "-C", checkout, "rev-parse", "--short=8", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or os.environ.get("OBS_LSST_COMMIT", "unknown")
    camera = {
        "name": "LSSTCam",
        "source": f"lsst/obs_lsst {commit}: policy/rafts.yaml, policy/lsstCam/R??.yaml, policy/cameraHeader.yaml",
        "pixelSizeMm": 0.010,
        "plateScaleArcsecPerMm": 20.005867576692737,
        "ampTypes": AMP_TYPES,
        "detectors": detectors,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsstcam.json")
    # One detector per line keeps the file small and its diffs readable.
    head = {k: v for k, v in camera.items() if k != "detectors"}
    text = json.dumps(head, indent=1)[:-2] + ',\n "detectors": [\n'
    text += ",\n".join("  " + json.dumps(d, separators=(",", ":")) for d in detectors) + "\n ]\n}\n"
    json.loads(text)
    with open(out, "w") as f:
        f.write(text)
    print(f"wrote {out}: {len(detectors)} detectors")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
