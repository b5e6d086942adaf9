"""``oculi mot VIDEO_OR_FOLDER --detector NAME|RUN -o tracks.txt`` (detect and track every frame,
MOTChallenge result file) and ``oculi mot eval GT_FOLDER RESULTS...`` (MOTA, MOTP, IDF1, HOTA)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from oculi.cli._common import fail, names_of, topic_app, write_json

app = topic_app(
    "Multi-object tracking: detect and track people (or any class) through a video with SORT or "
    "ByteTrack, write MOTChallenge results, and score results against MOTChallenge ground truth.",
    default_command=True,
)


def _load_detector(name: str, score_threshold: float | None) -> Any:
    """``frame -> Detections`` for a detector name or a trained run (imports torch)."""
    from oculi.detect import get_detector
    from oculi.track.mot import frame_detector

    return frame_detector(get_detector(name), score_threshold)


def _frames(source: Path) -> tuple[Any, float | None]:
    """A frame reader for a video file, a folder of frames or a MOTChallenge sequence folder
    (its ``img1/``), and the frame rate when the folder states one."""
    from oculi.video import open_video

    if source.is_dir() and (source / "seqinfo.ini").is_file():
        from oculi.track.mot_io import read_sequence

        seq = read_sequence(source)
        if not seq.images:
            fail(f"{source}: a sequence folder without frames")
        return open_video(seq.images[0].parent, fps=seq.frame_rate), seq.frame_rate
    if source.is_dir() and (source / "img1").is_dir():
        return open_video(source / "img1"), None
    reader = open_video(source)
    return reader, float(reader.info.fps) if hasattr(reader, "info") else None


@app.command("default", hidden=True)
def track(
    source: Path = typer.Argument(..., help="Video file, folder of frames, or MOTChallenge "
                                            "sequence folder (img1/ is read)."),
    detector: str = typer.Option(..., "--detector", "-d",
                                 help="Detector name (hog-people, ...) or trained run folder."),
    out: Path = typer.Option(..., "--out", "-o",
                             help="MOTChallenge result file: frame, id, left, top, width, "
                                  "height, conf, -1, -1, -1 (frames from 1)."),
    tracker: str = typer.Option("sort", "--tracker", "-t",
                                help=f"Tracker: {names_of('oculi.track.mot:mot_trackers')}."),
    score_threshold: float = typer.Option(
        None, "--score-threshold",
        help="SORT: detections below it are ignored (default 0); ByteTrack: the high-score "
             "threshold (default 0.5). Scores are the detector's (hog-people: SVM margins)."),
    iou_threshold: float = typer.Option(None, "--iou-threshold",
                                        help="Smallest IoU (ByteTrack: IoU x score) of a match "
                                             "(SORT 0.3, ByteTrack 0.2)."),
    json_path: Path = typer.Option(None, "--json", help="Write a summary as JSON."),
) -> None:
    """Detect in every frame, link the detections into tracks, write the tracks."""
    from oculi.core.checks import check_finite
    from oculi.track.mot import mot_trackers, track_video
    from oculi.track.mot_io import write_mot

    options: dict[str, Any] = {}
    if score_threshold is not None:
        options["score_threshold"] = check_finite(score_threshold, "--score-threshold")
    if iou_threshold is not None:
        options["iou_threshold"] = check_finite(iou_threshold, "--iou-threshold")
    reader, fps = _frames(source)
    if fps and mot_trackers.entry(tracker).name == "bytetrack":
        options["frame_rate"] = fps
    trk = mot_trackers.create(tracker, **options)
    # the detector must also return what the tracker uses below its main threshold
    det_threshold = getattr(trk, "low_score_threshold", getattr(trk, "score_threshold", None))
    detect = _load_detector(detector, det_threshold)
    with reader:
        rows = track_video(reader, detect, trk)
    write_mot(out, rows)
    n_frames = getattr(trk, "frame_id", 0)
    n_tracks = len(set(rows.ids.tolist()))
    typer.echo(f"{source}: {n_frames} frames, {n_tracks} tracks, {len(rows)} boxes -> {out}")
    if json_path:
        write_json(json_path, {"source": str(source), "detector": detector,
                               "tracker": mot_trackers.entry(tracker).name, "options": options,
                               "frames": n_frames, "tracks": n_tracks, "boxes": len(rows),
                               "out": str(out)})


def _pairs(gt_folder: Path, results: list[Path]) -> list[tuple[str, Any, Path]]:
    """``(row name, sequence, result file)``: every file against one sequence folder, or each
    file against the sequence its name (``<SEQ>.txt``) names in a folder of sequences."""
    from oculi.track.mot_io import read_sequence

    files: list[Path] = []
    for r in results:
        files += sorted(r.glob("*.txt")) if r.is_dir() else [r]
    if not files:
        fail("RESULTS: no result files (.txt) given")
    if (gt_folder / "gt" / "gt.txt").is_file():
        seq = read_sequence(gt_folder)
        return [(f.stem if len(files) > 1 else seq.name, seq, f) for f in files]
    pairs = []
    for f in files:
        folder = gt_folder / f.stem
        if not (folder / "gt" / "gt.txt").is_file():
            fail(f"{f}: no sequence {f.stem!r} with gt/gt.txt in {gt_folder}")
        pairs.append((f.stem, read_sequence(folder), f))
    return pairs


@app.command("eval")
def evaluate(
    gt_folder: Path = typer.Argument(..., help="A MOTChallenge sequence folder (gt/gt.txt), or a "
                                               "folder of sequence folders."),
    results: list[Path] = typer.Argument(..., help="Result files (or folders of them): against a "
                                                   "sequence folder, each is scored on it; "
                                                   "against a folder of sequences, <SEQ>.txt "
                                                   "is scored on sequence SEQ."),
    iou_threshold: float = typer.Option(0.5, "--iou-threshold",
                                        help="Overlap of a CLEAR / ID match."),
    plain: bool = typer.Option(False, "--plain",
                               help="Score every ground-truth row (default: MOTChallenge rules: "
                                    "pedestrians with consider = 1, predictions on distractors "
                                    "ignored)."),
    json_path: Path = typer.Option(None, "--json", help="Write every count and metric as JSON."),
) -> None:
    """Score tracker results against MOTChallenge ground truth.

    Prints MOTA, MOTP (mean IoU of the matches), IDF1, HOTA, DetA, AssA and the error counts per
    result file, and the pooled scores (COMBINED) when several sequences are scored."""
    from oculi.core.errors import DataError
    from oculi.track.mot_io import read_mot
    from oculi.track.mot_metrics import MOTMetrics, evaluate_mot

    pairs = _pairs(gt_folder, results)
    scored: dict[str, MOTMetrics] = {}
    for name, seq, path in pairs:
        frames = range(1, seq.num_frames + 1)
        try:
            scored[name] = evaluate_mot(seq.gt, read_mot(path), iou_threshold=iou_threshold,
                                        motchallenge=not plain, frames=frames)
        except DataError as exc:  # e.g. an id twice in a frame: say which file
            msg = str(exc)
            fail(msg if msg.startswith(str(path)) else f"{path} on {seq.folder}: {msg}")
    if len({id(seq) for _, seq, _ in pairs}) > 1 and len(pairs) > 1:
        scored["COMBINED"] = MOTMetrics.combine(list(scored.values()))
    keys = ("MOTA", "MOTP", "IDF1", "HOTA", "DetA", "AssA", "IDSW", "FP", "FN")
    width = max(len(n) for n in scored)
    typer.echo(f"{'':<{width}}  " + "  ".join(f"{k:>6}" for k in keys))
    for name, m in scored.items():
        s = m.summary()
        cells = [f"{s[k]:6.3f}" if isinstance(s[k], float) else f"{s[k]:6d}" for k in keys]
        typer.echo(f"{name:<{width}}  " + "  ".join(cells))
    if json_path:
        write_json(json_path, {"iou_threshold": iou_threshold, "motchallenge_rules": not plain,
                               "motp": "mean IoU of the matches",
                               "results": {n: m.to_dict() for n, m in scored.items()}})
