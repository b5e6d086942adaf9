"""Tour section for Panoptic FPN: the merge on a drawn example (milliseconds) and the CamVid
table of Panoptic FPN against the semantic + connected-components baseline, read from
``bench/results/panoptic.jsonl`` (training takes minutes, so the tour does not train)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.panoptic`` appends its line
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_line(results: Path = RESULTS) -> dict | None:
    """The last line of ``panoptic.jsonl`` in ``results`` (None when there is none)."""
    from oculi.report.results import last_line

    return last_line("panoptic", results)


def merge_example(size: int = 96) -> tuple[np.ndarray, np.ndarray]:
    """A drawn stuff map (sky over road, -1 = "things") and three scored car masks, the last
    mostly under the first; returns the stuff map and the merged panoptic map."""
    from oculi.segment.panoptic_merge import merge_panoptic

    yy, xx = np.mgrid[:size, :size]
    stuff = np.where(yy < size // 2, 0, 3)
    masks = np.stack([(abs(yy - 60) < 10) & (abs(xx - 30) < 16),
                      (abs(yy - 62) < 9) & (abs(xx - 70) < 14),
                      (abs(yy - 58) < 10) & (abs(xx - 36) < 14)])
    stuff = np.where(masks.any(0), -1, stuff)
    return stuff, merge_panoptic(stuff, masks, [0.95, 0.9, 0.7], [8, 8, 8])


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.segment.instances import colorize_instances

    sec = report.section(
        "Panoptic FPN: things and stuff from one FPN",
        "Panoptic FPN (Kirillov et al. 2019) puts Mask R-CNN's instance branch and a semantic "
        "FPN head (stuff classes + one 'things' class) on the same FPN and merges them: "
        "instances by decreasing score, one more than half under higher-scored ones dropped, "
        "stuff filling the rest, small stuff regions void. Below: three car masks (scores 0.95, "
        "0.9, 0.7; the third mostly under the first, so dropped) merged with a sky/road map.")
    stuff, merged = merge_example()
    ids = np.unique(merged, return_inverse=True)[1].reshape(merged.shape) + 1
    sec.image(np.kron(np.concatenate([colorize_instances(stuff + 2), colorize_instances(ids)],
                                     axis=1), np.ones((2, 2, 1), np.uint8)),
              "semantic output (black: 'things') | the merged panoptic map", name="panoptic-merge",
              width=384)
    line = bench_line()
    if line is None:
        sec.text("No benchmark results yet: `python -m bench.panoptic all` trains both models on "
                 "CamVid and appends the table's line.")
        return
    archs = [a for a in ("panoptic_fpn", "semantic_cc") if a in line]
    rows = [[a, line[a]["epochs"], line[a]["budget_used_s"], line[a]["pq"], line[a]["sq"],
             line[a]["rq"], line[a]["things"]["pq"], line[a]["stuff"]["pq"],
             line[a]["ms_per_image"]] for a in archs]
    sec.text(f"CamVid, {line['val_images']} val frames, PQ/SQ/RQ with things = Pole, "
             "SignSymbol, Car, Pedestrian, Bicyclist (instances: connected components of the "
             "labels), after the same training time on a loaded 2-core CPU, one thread "
             f"(bench/results/panoptic.jsonl, {line['time'][:10]}); ms/image measured side by "
             "side in one process.")
    sec.table(["model", "epochs", "train s", "PQ", "SQ", "RQ", "PQ things", "PQ stuff",
               "ms/image"], rows)
    names = list(line[archs[0]]["per_class"])
    def pq(a: str, n: str) -> float | str:
        v = line[a]["per_class"][n]["pq"]
        return "n/a" if v is None else v  # no segment on either side

    sec.table(["class", *[f"PQ {a}" for a in archs]],
              [[n, *[pq(a, n) for a in archs]] for n in names])
