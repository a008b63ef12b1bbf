"""`assistant bench perturb`: the false claims it makes from a collection are made by rule
(a neighbour's name, another number of the same abstract, an inserted not/only) and are
really changed; the measurement itself is the claim check's (slow: the real embedder)."""

from __future__ import annotations

from assistant.bench.perturb import NUMBER, cases_for
from assistant.pipeline import Paper

FASTDEPTH = Paper("p1", "FastDepth: Fast Monocular Depth Estimation on Embedded Systems", (
    "Depth sensing is a critical function for robotic tasks. We propose FastDepth, an "
    "efficient and lightweight encoder-decoder network for embedded systems. The network is "
    "pruned to reduce its latency on embedded boards. FastDepth runs "
    "at 178 fps on an NVIDIA Jetson TX2 GPU. It uses 3D features and reaches 27 fps when "
    "using only the CPU."))
LITEDET = Paper("p2", "LiteDet: a lightweight object detector for drones", (
    "Drones need small detectors. We present LiteDet, a single-stage detector that reaches "
    "41.2 mAP on VisDrone."))


def test_perturbations_are_made_by_rule_and_change_the_claim():
    cases = list(cases_for(FASTDEPTH, [LITEDET]))
    kinds = {c.kind for c in cases}
    assert kinds == {"own", "neighbour", "name_swap", "number_swap", "negation", "only"}
    by_kind = {k: [c for c in cases if c.kind == k] for k in kinds}
    assert all("Depth sensing" not in c.claim for c in by_kind["own"])  # findings only
    assert all(c.sources[0].title == FASTDEPTH.title for c in by_kind["own"])
    assert all(FASTDEPTH.title not in [s.title for s in c.sources]
               for c in by_kind["neighbour"])  # the paper itself taken away
    swap = by_kind["name_swap"][0]
    assert "LiteDet" in swap.claim and "FastDepth" not in swap.claim and swap.cited == 2
    number = by_kind["number_swap"][0]
    assert number.claim != "FastDepth runs at 178 fps on an NVIDIA Jetson TX2 GPU."
    assert "27 fps on an NVIDIA" in number.claim  # 178 replaced by the CPU's 27
    assert all(" not " in c.claim for c in by_kind["negation"])
    assert all(" only " in c.claim for c in by_kind["only"])
    assert NUMBER.findall("3D and YOLOv3 at 2.6x and 1.4B, 27.5%") == ["2.6", "27.5"]
