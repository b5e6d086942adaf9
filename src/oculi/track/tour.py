"""Tour section for single-object tracking: trackers on a synthetic sequence with exact ground
truth, a strip of tracked frames, the OTB table and the success plot."""

from __future__ import annotations

from pathlib import Path

from oculi.report import Report

#: the fast trackers shown in quick mode
QUICK_TRACKERS = ("mosse", "medianflow", "kcf")


def section(report: Report, workdir: Path, quick: bool) -> None:
    """Run trackers on a synthetic moving, scaling, rotating (and, in full mode, occluded)
    target; show where they put their boxes and score them the OTB way."""
    from oculi.track import single_trackers
    from oculi.track.evaluate import evaluate_trackers, success_plot
    from oculi.track.run import track_strip
    from oculi.track.synthetic import synthetic_sequence

    if quick:
        seq = synthetic_sequence(30, size=(180, 240), target_size=(40, 36), seed=0)
        names = [n for n in QUICK_TRACKERS if n in single_trackers]
    else:
        seq = synthetic_sequence(90, occlusion=(55, 67), seed=0)
        names = [e.name for e in single_trackers.entries() if not e.meta.get("needs")]
    comparison = evaluate_trackers(names, [seq])
    occl = (f" A pillar sweeps across it in frames {seq.meta['occlusion'][0]}–"
            f"{seq.meta['occlusion'][1] - 1}." if seq.meta["occlusion"] else "")
    sec = report.section(
        "Single-object tracking",
        f"A face patch moves over the 'coffee' photo ({len(seq)} frames, "
        f"{seq.read(0).shape[1]}x{seq.read(0).shape[0]}) with a known path, scale "
        f"({seq.meta['scale'].min():.2f}–{seq.meta['scale'].max():.2f}) and in-plane rotation "
        f"(up to {abs(seq.meta['angle']).max():.0f}°), so the true box of every frame is known."
        f"{occl} Each tracker starts from the first box (OTB one-pass evaluation). AUC is the "
        "mean of the success curve (IoU above 0, 0.05, ..., 1), P@20 the share of frames whose "
        "centre is within 20 px, normalised precision the same with the error divided by the "
        "target's size (area under 0..0.5). NanoTrack needs ONNX files and is left out here; "
        "bench/track.py scores every tracker on real OTB and VOT sequences.",
    )
    rows = []
    for name, auc, p20, nprec, fps in sorted(comparison.rows(), key=lambda r: -r[1]):
        lost = int(comparison.results[name][seq.name].lost.sum())
        rows.append([name, round(auc, 3), round(p20, 3), round(nprec, 3), round(fps, 0), lost])
    sec.table(["method", "AUC", "P@20", "norm. precision", "FPS", "frames lost"], rows,
              caption="FPS: the tracker's own calls on this machine")
    shown = [r[0] for r in rows[:4]]  # the best four by AUC
    boxes = {n: comparison.results[n][seq.name].boxes for n in shown}
    frames = [seq.read(i) for i in range(len(seq))]
    legend = ", ".join(f"{n} ({c})" for n, c in zip(
        shown, ("green", "orange", "cyan", "magenta"), strict=False))
    indices = None
    if seq.meta["occlusion"]:  # show the target going behind the pillar and coming out
        start, stop = seq.meta["occlusion"]
        indices = [0, start // 2, (start + stop) // 2, stop + 2, len(seq) - 1]
    sec.image(track_strip(frames, boxes, seq.boxes, indices=indices, height=150),
              f"ground truth in white; {legend}", name="track-strip")
    sec.figure(success_plot(comparison), "success and precision plots", name="track-success")
