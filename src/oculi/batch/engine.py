"""``run_batch``: a topic's per-image work over a folder or a list file, on Ray or in-process.

Every input gets ``OUT/<stem>.json`` (its record, written last and atomically, so it marks the
input done) and the job's pictures ``OUT/<stem><ending>``; at the end ``OUT/index.jsonl`` and
``OUT/index.parquet`` (when pyarrow is installed) list every input in input order. Inputs whose
``<stem>.json`` exists are skipped, so a run that was killed resumes where it stopped; a kill
mid-write leaves only a temporary file, removed by the next run. Unreadable inputs are recorded
as failures and the rest go on.

On Ray (:mod:`oculi.batch._ray`) each actor of a pool loads the job once and runs chunks of
inputs through :func:`process_items`; in-process the same function runs on the same chunks, so
both write the same files.
"""

from __future__ import annotations

import inspect
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oculi.batch.inputs import collect_inputs, result_stems
from oculi.batch.jobs import JobOutput, Runner, jobs
from oculi.core.atomic import remove_stale_temp_files, write_json_atomic, write_jsonl_atomic
from oculi.core.checks import check_positive
from oculi.core.errors import MissingDependencyError, ParameterError

#: the index's columns, in order
INDEX_COLUMNS = ("input", "result", "status", "summary", "error", "node")
_INDEX = "index"


@dataclass
class BatchReport:
    """What :func:`run_batch` did.

    Attributes:
        out: the output folder.
        rows: one index row per input, in input order (:data:`INDEX_COLUMNS`); ``status`` is
            ``done`` (this run), ``skipped`` (done by an earlier run) or ``failed``.
        engine: ``ray`` or ``in-process``.
        seconds: wall time of the work (inputs to index), in seconds.
        workers: actors (Ray) or 1 (in-process).
    """

    out: Path
    rows: list[dict[str, str]] = field(default_factory=list)
    engine: str = "in-process"
    seconds: float = 0.0
    workers: int = 1

    @property
    def failures(self) -> dict[str, str]:
        """Input -> reason for the inputs that failed."""
        return {r["input"]: r["error"] for r in self.rows if r["status"] == "failed"}

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.rows)


def check_options(job: str, options: dict[str, Any]) -> None:
    """Raise :class:`ParameterError` for an option job ``job`` does not take (before any work).

    Raises:
        UnknownNameError: no such job.
    """
    factory = jobs.get(job)
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        takes = ", ".join(inspect.signature(factory).parameters)
        raise ParameterError(f"{job} options: {exc}; it takes {takes}") from None


def result_path(out: Path, stem: str) -> Path:
    """The record file of the input with result stem ``stem`` (its done marker)."""
    return out / f"{stem}.json"


def write_output(out: Path, stem: str, job: str, path: str, output: JobOutput) -> str:
    """Write one input's pictures, then its record (atomically); return the record's name."""
    from oculi.io import write_image

    files = []
    for ending, picture in output.pictures.items():
        write_image(out / f"{stem}{ending}", picture)
        files.append(f"{Path(stem).name}{ending}")
    target = result_path(out, stem)
    write_json_atomic(target, {"input": path, "job": job, "summary": output.summary,
                               "files": files, "result": output.record})
    return target.relative_to(out).as_posix()


def process_items(runner: Runner, job: str, items: Sequence[tuple[str, str]], out: Path,
                  node: str) -> list[dict[str, str]]:
    """Run ``runner`` on the inputs of ``items`` (``(path, stem)`` pairs), write each result and
    return their index rows: the one step of both the Ray actors and the in-process loop."""
    res = runner([p for p, _ in items])
    rows = []
    for path, stem in items:
        row = dict.fromkeys(INDEX_COLUMNS, "") | {"input": path, "node": node}
        if path in res.results:
            output = res.results[path]
            row |= {"result": write_output(out, stem, job, path, output), "status": "done",
                    "summary": output.summary}
        else:
            row |= {"status": "failed", "error": res.failures.get(path, "no result")}
        rows.append(row)
    return rows


def _remove_partial_files(out: Path) -> None:
    """Remove the temporary files a killed run left under ``out``."""
    if out.is_dir():
        for folder, _, _ in os.walk(out):
            remove_stale_temp_files(folder)


def _earlier_row(out: Path, path: str, stem: str) -> dict[str, str] | None:
    """The index row of an input an earlier run finished, or None if its record is missing or
    unreadable (then it is done again)."""
    target = result_path(out, stem)
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return dict.fromkeys(INDEX_COLUMNS, "") | {
        "input": path, "result": target.relative_to(out).as_posix(), "status": "skipped",
        "summary": str(record.get("summary", ""))}


def write_index(out: Path, rows: list[dict[str, str]]) -> list[Path]:
    """Write ``index.jsonl`` and, with pyarrow, ``index.parquet`` atomically; return them."""
    from oculi.core.atomic import atomic_path

    written = [write_jsonl_atomic(out / f"{_INDEX}.jsonl", rows)]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    table = pa.table({c: [r[c] for r in rows] for c in INDEX_COLUMNS})
    with atomic_path(out / f"{_INDEX}.parquet") as tmp:
        pq.write_table(table, tmp)
    written.append(out / f"{_INDEX}.parquet")
    return written


def ray_available() -> bool:
    """Whether Ray (with Ray Data) can be imported."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None and \
        importlib.util.find_spec("ray.data") is not None


def run_batch(job: str, source: str | os.PathLike[str], out: str | os.PathLike[str], *,
              options: dict[str, Any] | None = None, address: str | None = None,
              local: bool = False, workers: int | None = None, batch_size: int = 16,
              on_rows: Callable[[list[dict[str, str]]], None] | None = None) -> BatchReport:
    """Run job ``job`` on every input of ``source``, writing results under ``out``.

    Args:
        job: a :data:`oculi.batch.jobs` name (``classify``, ``detect``, ``convert`` ...).
        source: a folder (image files, recursively) or a list file (one path a line).
        out: the output folder (created); see the module doc for what goes there.
        options: the job's keywords (``{"model": "resnet18", "top": 3}``).
        address: a Ray cluster: ``"auto"`` (the one this machine belongs to) or
            ``"ray://host:10001"``; None starts a local cluster on this machine's CPUs.
        local: run in-process, without Ray (also the fallback when Ray is not installed and
            no ``address`` is given).
        workers: Ray actors (None: :func:`oculi.batch.plan_actor_pool`'s choice).
        batch_size: inputs per chunk (one runner call; classify's forward pass).
        on_rows: called with the index rows of each finished chunk (progress).

    Returns:
        A :class:`BatchReport` (its ``failures`` list the inputs that failed).

    Raises:
        UnknownNameError: unknown job. ParameterError: an option the job does not take.
        DataError: no inputs. MissingDependencyError: ``address`` without Ray installed.
    """
    options = dict(options or {})
    check_options(job, options)
    job = jobs.entry(job).name
    check_positive(batch_size, "batch_size")
    use_ray = not local and (address is not None or ray_available())
    if use_ray and not ray_available():
        raise MissingDependencyError("--address needs Ray: pip install 'oculi[distributed]' "
                                     "(or drop --address to run in-process)")
    root, paths = collect_inputs(source)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    _remove_partial_files(target)
    t0 = time.perf_counter()
    rows: dict[str, dict[str, str]] = {}
    todo = []
    for p, stem in result_stems(root, paths).items():
        earlier = _earlier_row(target, str(p), stem)
        if earlier is None:
            todo.append((str(p), stem))
        else:
            rows[str(p)] = earlier

    def collect(new: list[dict[str, str]]) -> None:
        rows.update((r["input"], r) for r in new)
        if on_rows is not None:
            on_rows(new)

    report = BatchReport(target, engine="ray" if use_ray else "in-process")
    if todo and use_ray:
        from oculi.batch._ray import run_on_ray

        report.workers = run_on_ray(job, options, todo, target, address=address,
                                    workers=workers, batch_size=batch_size, collect=collect)
    elif todo:
        runner = jobs.create(job, **options)
        for i in range(0, len(todo), batch_size):
            collect(process_items(runner, job, todo[i:i + batch_size], target, "local"))
    missing = dict.fromkeys(INDEX_COLUMNS, "") | {"status": "failed", "error": "not processed"}
    report.rows = [rows.get(str(p)) or missing | {"input": str(p)} for p in paths]
    write_index(target, report.rows)
    report.seconds = time.perf_counter() - t0
    return report
