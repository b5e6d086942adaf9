"""Tour section for metric learning: the synthetic city of Loc2Vec and one training batch of
its tiles (made live, in a fraction of a second), and the trained embeddings' retrieval table
and pictures read from ``bench/results`` (training takes minutes, so the tour does not train)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from oculi.report import Report

#: where ``python -m bench.embed`` leaves its lines and pictures
RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results"


def bench_rows(results: Path = RESULTS) -> dict[str, dict]:
    """The latest line of each row of ``embed.jsonl`` (empty when there is none)."""
    path = results / "embed.jsonl"
    rows: dict[str, dict] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                rows[row["row"]] = row
    return rows


def _batch_picture(quick: bool) -> np.ndarray:
    from oculi.embed.city import colorize
    from oculi.embed.data import CityTileGroups, city_for

    city = city_for(0, 512 if quick else 1024)
    ds = CityTileGroups(city, 32, 24, 24, 4, 8.0, 64.0, seed=0, augment=False)
    where = [ds.locate(i) for i in range(24)]
    order = sorted(range(24), key=lambda i: (where[i][1], i))  # places in rows
    tiles = colorize(np.stack([city.tile(*where[i][0], 32) for i in order]))
    tiles = np.pad(tiles, ((0, 0), (2, 2), (2, 2), (0, 0)), constant_values=255)
    rows = [np.concatenate(list(tiles[r * 4:(r + 1) * 4]), axis=1) for r in range(6)]
    return np.kron(np.concatenate(rows, axis=0), np.ones((2, 2, 1), np.uint8))


def section(report: Report, workdir: Path, quick: bool) -> None:
    from oculi.embed.data import city_for

    sec = report.section(
        "Metric learning and Loc2Vec",
        "Embedding networks trained with the triplet loss (batch-all, batch-hard or semi-hard "
        "mining) or the contrastive loss on P x K class-balanced batches; retrieval scored by "
        "recall@k and mAP@R. Loc2Vec: map tiles of a city oculi renders (water, parks, roads, "
        "buildings) whose nearby tiles are the positives.")
    city = city_for(0, 512 if quick else 1024)
    sec.image(city.rgb(), f"the synthetic city of seed 0 ({city.size} x {city.size} px)",
              name="embed-city", width=420)
    sec.image(_batch_picture(quick), "one Loc2Vec training batch: 6 places (rows) at least 64 px "
              "apart, 4 tiles within 8 px of each (the positives)", name="embed-batch",
              width=300)
    rows = bench_rows()
    if not rows:
        sec.text("No benchmark results yet: `python -m bench.embed` trains the embeddings and "
                 "writes the table and the pictures.")
        return
    sec.table(["run", "recall@1 %", "recall@8 %", "mAP@R %", "k-NN acc %", "train s"],
              [[name, 100 * r["val_recall_at_1"], 100 * r["val_recall_at_8"],
                100 * r["val_map_at_r"], 100 * r["val_knn_accuracy"], r["train_s"]]
               for name, r in rows.items()],
              caption="bench/embed.py: held-out test images (MNIST 5,000, Fashion-MNIST 10,000), "
                      "leave-one-out retrieval; Loc2Vec rows on a held-out city (classes = "
                      "places); one torch thread")
    loc = [(n, r) for n, r in rows.items() if "val_mix_gain" in r]
    if loc:
        sec.table(["run", "mix L1 nearest", "mix L1 random", "mix L1 best", "gain", "Spearman"],
                  [[n, r["val_mix_l1_nn"], r["val_mix_l1_random"], r["val_mix_l1_best"],
                    r["val_mix_gain"], r["val_mix_spearman"]] for n, r in loc],
                  caption="Loc2Vec: does a tile's nearest neighbour share its land-use mix? "
                          "(gain 0 = chance, 1 = the best possible)")
    from oculi.io import read_image

    for name, caption in (("mnist_batch_hard", "MNIST test digits and their nearest neighbours"),
                          ("loc2vec", "held-out city tiles and their nearest non-overlapping "
                                      "tiles")):
        path = RESULTS / f"embed_{name}_neighbours.png"
        if path.is_file():
            sec.image(read_image(path, mode="rgb"), caption, name=f"embed-{name}", width=420)
