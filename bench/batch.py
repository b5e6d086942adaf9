"""``oculi batch classify`` on a local Ray cluster vs ``oculi classify`` in one process.

The hymenoptera images (``shared/data/hymenoptera``, train + val: 398 files) classified with
the default zoo model (EfficientNet-Lite0, top 5, 16 images a forward pass):

* ``classify_files`` in one process — what ``oculi classify`` runs (torch's default threads),
  after a warm-up call on two images (imports; every timed run still builds its model);
* ``run_batch(..., local=True)`` — ``oculi batch classify --local``: the same, plus one record
  file per image and the index;
* ``run_batch`` on a local Ray cluster of this machine's CPUs with the default pool (one actor,
  one CPU kept free for Ray Data's other tasks) and with ``--workers`` actors sharing the rest.
  Ray's time is given twice: the job alone (cluster already up) and with the cluster's start.

Every run goes once a round, in this order, for ``--repeat`` rounds (medians); the cluster
starts once and stays up, idle, during the in-process runs.

First the kill check (:func:`kill_and_resume`): ``oculi batch classify`` in a process of its own,
killed half-way, rerun: nothing finished is redone, no partial file is left, and the
predictions are the in-process ones.

Checks, before any number is printed: every Ray run gives the in-process predictions (same top-5
class indices, probabilities within 1e-5) and fails on the same files. Images per second and the
ratio to the in-process loop; one JSON line goes to ``bench/results/batch.jsonl``.

Run (CPU-heavy: under the shared lock): ``.venv/bin/python -m bench.batch [--workers 2]``
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench._common import SHARED_DATA, print_table, record


def _ray_predictions(out: Path, rows: list[dict[str, str]]) -> dict[str, list[dict]]:
    return {r["input"]: json.loads((out / r["result"]).read_text())["result"]["predictions"]
            for r in rows if r["status"] in ("done", "skipped")}


def _same(want: dict, got: dict[str, list[dict]]) -> None:
    if want.keys() != got.keys():
        raise SystemExit(f"different inputs classified: {sorted(want.keys() ^ got.keys())[:3]}")
    for path, preds in want.items():
        if [p.index for p in preds] != [p["index"] for p in got[path]] or max(
                abs(p.probability - q["probability"]) for p, q in zip(
                    preds, got[path], strict=True)) > 1e-5:
            raise SystemExit(f"{path}: predictions differ: {preds} vs {got[path]}")


def kill_and_resume(folder: Path, work: Path, want: dict, batch_size: int) -> dict:
    """``oculi batch classify`` on its own local Ray cluster, SIGKILLed (driver, cluster and
    actors: its whole process group) once about half the records exist; then rerun. Checks that
    the rerun redoes no finished record, leaves no partial file and ends with the in-process
    predictions for every input."""
    import os
    import signal
    import subprocess

    from oculi.batch import run_batch

    out = work / "killed"
    cmd = [sys.executable, "-m", "oculi.cli.main", "batch", "classify", str(folder), "-o",
           str(out), "--batch-size", str(batch_size)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    half, deadline = len(want) // 2, time.monotonic() + 600
    while proc.poll() is None and time.monotonic() < deadline and \
            sum(1 for _ in out.rglob("*.json")) < half:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(5)  # let Ray notice its driver is gone and stop the actors
    done = {p: p.stat().st_mtime_ns for p in out.rglob("*.json") if p.name != "index.json"}
    temp = [p for p in out.rglob("*") if ".oculi-tmp-" in p.name]
    if not 0 < len(done) < len(want) or (out / "index.jsonl").exists():
        raise SystemExit(f"kill check: the run was not stopped half-way ({len(done)} records)")
    report = run_batch("classify", folder, out, batch_size=batch_size)
    redone = [p for p, m in done.items() if p.stat().st_mtime_ns != m]
    left = [p for p in out.rglob("*") if ".oculi-tmp-" in p.name]
    if redone or left or report.count("skipped") != len(done):
        raise SystemExit(f"kill check: {len(redone)} redone, {len(left)} partial files left")
    _same(want, _ray_predictions(out, report.rows))
    return {"records_at_kill": len(done), "partial_files_at_kill": len(temp),
            "rerun_done": report.count("done"), "rerun_skipped": report.count("skipped"),
            "redone": 0, "partial_files_after": 0, "same_predictions": True}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2, help="actors of the second Ray run")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (every run once a round, "
                    "medians reported)")
    ap.add_argument("--folder", type=Path, default=SHARED_DATA / "hymenoptera",
                    help="the images (default: the hymenoptera set)")
    args = ap.parse_args()
    folder = args.folder
    if not folder.is_dir():
        print(f"skip: {folder} not found (set OCULI_SHARED_DATA)")
        return
    from oculi.batch import collect_inputs, connected, local_cpus, run_batch
    from oculi.classify import DEFAULT_MODEL, classify_files

    _, paths = collect_inputs(folder)
    n = len(paths)
    work = Path(tempfile.mkdtemp(prefix="oculi-bench-batch-"))
    times: dict[str, list[float]] = {}
    classify_files(paths[:2], allow_download=False)  # warm-up: imports, weights in cache
    want, failures = classify_files(paths, batch_size=args.batch_size, allow_download=False)
    good = len(want)

    def in_process() -> float:
        t0 = time.perf_counter()
        got, bad = classify_files(paths, batch_size=args.batch_size, allow_download=False)
        sec = time.perf_counter() - t0
        if bad != failures:
            raise SystemExit(f"in-process: failures differ: {bad}")
        _same(want, {k: [p.as_dict() for p in v] for k, v in got.items()})
        return sec

    def batch(label: str, **kw: object) -> float:
        out = work / label.replace(" ", "_").replace(",", "")
        t0 = time.perf_counter()
        report = run_batch("classify", folder, out, batch_size=args.batch_size, **kw)
        sec = time.perf_counter() - t0
        if report.failures != failures:
            raise SystemExit(f"{label}: failures differ: {report.failures}")
        _same(want, _ray_predictions(out, report.rows))
        shutil.rmtree(out)
        return sec

    runs = {"oculi classify, one process": in_process,
            "oculi batch --local": lambda: batch("local", local=True),
            "oculi batch, Ray, default pool (1 actor)": lambda: batch("pool"),
            f"oculi batch, Ray, --workers {args.workers}": lambda: batch(
                "workers", workers=args.workers)}
    try:
        killed = kill_and_resume(folder, work, want, args.batch_size)
        t0 = time.perf_counter()
        with connected(None):
            start = time.perf_counter() - t0
            for _ in range(args.repeat):
                for label, fn in runs.items():
                    times.setdefault(label, []).append(fn())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {label: statistics.median(v) for label, v in times.items()}
    base = med["oculi classify, one process"]
    med["Ray default pool + the cluster's start"] = start + med[
        "oculi batch, Ray, default pool (1 actor)"]
    rows = [[label, sec, good / sec, base / sec] for label, sec in med.items()]
    print(f"{n} inputs ({good} classified, {len(failures)} unreadable), {DEFAULT_MODEL}, "
          f"{local_cpus()} CPUs, medians of {args.repeat}; predictions identical in every run")
    print_table(["run", "seconds", "images/s", "speed vs in-process"], rows)
    print(f"killed at {killed['records_at_kill']} records ({killed['partial_files_at_kill']} "
          f"partial files), rerun: {killed['rerun_skipped']} skipped, {killed['rerun_done']} "
          "done, nothing redone, no partial file, same predictions")
    record("batch", {"folder": folder.name, "inputs": n, "classified": good,
                     "failed": len(failures), "model": DEFAULT_MODEL,
                     "batch_size": args.batch_size, "repeat": args.repeat,
                     "cpus": local_cpus(), "same_predictions": True,
                     "cluster_start_s": round(start, 2), "kill_and_resume": killed,
                     "runs": {r[0]: {"seconds": round(r[1], 2), "images_per_s": round(r[2], 2),
                                     "ratio_vs_in_process": round(r[3], 3)} for r in rows}})


if __name__ == "__main__":
    sys.exit(main())
