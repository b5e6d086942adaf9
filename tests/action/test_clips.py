"""Clip indexes: folder per class, CSV with groups, .npz keys, bad clips reported, loading,
group splits without leakage."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from oculi.action import (
    DenseClip,
    clip_dataset,
    from_csv,
    from_folder,
    group_split,
    leave_one_group_out,
    load_clip,
    read_clips,
)
from oculi.core.errors import DataError


def _npz(path: Path, n: int, key: str = "original") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{key: np.full((n, 8, 10), 1, np.uint8) * (np.arange(n) % 2)[:, None, None]})
    return path


def _frame_folder(path: Path, n: int) -> Path:
    path.mkdir(parents=True)
    for i in range(n):
        cv2.imwrite(str(path / f"{i:03d}.png"), np.full((6, 7, 3), i * 10, np.uint8))
    return path


def test_folder_per_class_counts_frames_and_reports_bad_clips(tmp_path):
    _npz(tmp_path / "run" / "a.npz", 6)
    _npz(tmp_path / "run" / "empty.npz", 0)
    _npz(tmp_path / "walk" / "short.npz", 3)
    _npz(tmp_path / "walk" / "b.npz", 5, key="frames")
    (tmp_path / "walk" / "broken.avi").write_bytes(b"not a video at all")
    (tmp_path / "walk" / "junk.npz").write_text("not a zip")
    _frame_folder(tmp_path / "wave" / "clip1", 7)
    (tmp_path / "wave" / "readme.txt").write_text("ignored: not a clip")
    ds = from_folder(tmp_path, min_frames=4)
    assert [(Path(it.path).name, it.label, it.n_frames, it.key) for it in ds] == [
        ("a.npz", "run", 6, "original"), ("b.npz", "walk", 5, "frames"),
        ("clip1", "wave", 7, None)]
    assert ds.classes == ["run", "walk", "wave"] and ds.labels.tolist() == [0, 1, 2]
    reasons = {Path(b.path).name: b.reason for b in ds.bad}
    assert set(reasons) == {"empty.npz", "short.npz", "broken.avi", "junk.npz"}
    assert reasons["empty.npz"] == "no frames"
    assert "3 frame(s), shorter than the clip length 4" in reasons["short.npz"]
    assert reasons["broken.avi"].startswith("unreadable") and reasons["junk.npz"].startswith("unreadable")
    assert len(ds.report().splitlines()) == 4
    assert ds.summary()["skipped"][0]["reason"]


def test_csv_with_group_column_and_loading(tmp_path):
    _npz(tmp_path / "c1.npz", 6)
    _npz(tmp_path / "c2.npz", 4)
    _frame_folder(tmp_path / "f", 5)
    (tmp_path / "labels.csv").write_text(
        "file,label,action_id,person\nc1.npz,jump,A1,P1\nc2.npz,bend,A2,P2\nf,jump,A1,P2\n")
    ds = clip_dataset(tmp_path, group="person")
    assert [it.group for it in ds] == ["P1", "P2", "P2"]
    assert ds.classes == ["bend", "jump"] and ds.labels.tolist() == [1, 0, 1]
    assert clip_dataset(tmp_path / "labels.csv")[0].group == "A1"       # default: third column
    silhouettes = load_clip(ds[0])
    assert silhouettes.shape == (6, 8, 10) and silhouettes[1].max() == 1 and silhouettes[0].max() == 0
    frames = load_clip(ds[2], [4, 0, 4])
    assert frames.shape == (3, 6, 7, 3)
    assert frames[:, 0, 0, 0].tolist() == [40, 0, 40]
    with pytest.raises(DataError, match="no column 'actor'"):
        from_csv(tmp_path / "labels.csv", group="actor")


def test_csv_without_header_is_file_label_group(tmp_path):
    _npz(tmp_path / "x.npz", 2)
    (tmp_path / "list.csv").write_text("x.npz,wave,ido\n")
    (item,) = from_csv(tmp_path / "list.csv").items
    assert (item.label, item.group, item.n_frames) == ("wave", "ido", 2)


def test_leave_one_group_out_has_no_leakage():
    groups = ["daria", "eli", "ido", "eli", "daria", "ira", "ido", "ira", "ira"]
    folds = leave_one_group_out(groups)
    assert [f.group for f in folds] == ["daria", "eli", "ido", "ira"]
    g = np.array(groups)
    seen = []
    for name, train, test in folds:
        assert set(g[test]) == {name} and name not in set(g[train])
        assert sorted([*train, *test]) == list(range(len(groups)))
        seen.extend(test.tolist())
    assert sorted(seen) == list(range(len(groups)))      # every clip tested exactly once
    fold = group_split(groups, ["eli", "ira"])
    assert set(g[fold.test]) == {"eli", "ira"} and not set(g[fold.train]) & {"eli", "ira"}
    with pytest.raises(DataError, match="at least two groups"):
        leave_one_group_out(["a", "a"])
    with pytest.raises(DataError, match="no group"):
        leave_one_group_out(["a", None])


def test_weizmann_index_matches_its_labels(shared_data):
    ds = clip_dataset(shared_data / "action_weizmann")
    assert len(ds) == 63 and not ds.bad and len(ds.classes) == 10
    assert sorted(set(ds.groups)) == ["daria", "denis", "eli", "ido", "ira", "lena"]
    first = ds[0]
    assert first.n_frames == len(load_clip(first)) == 84


def test_read_clips_reports_a_clip_that_fails_to_decode(tmp_path):
    _frame_folder(tmp_path / "jump" / "good", 6)
    _frame_folder(tmp_path / "jump" / "bad", 6)
    _npz(tmp_path / "bend" / "c.npz", 8)
    ds = from_folder(tmp_path)
    assert len(ds) == 3 and not ds.bad
    (tmp_path / "jump" / "bad" / "002.png").write_bytes(b"broken after indexing")
    clips, kept = read_clips(ds, DenseClip(3, stride=2))
    assert [Path(it.path).name for it in kept] == ["c.npz", "good"]
    assert [c.shape for c in clips] == [(3, 8, 10), (3, 6, 7, 3)]
    assert clips[0][:, 0, 0].tolist() == [1, 1, 1]                 # frames 1, 3, 5 (odd: ones)
    assert clips[1][:, 0, 0, 0].tolist() == [0, 20, 40]            # frames 0, 2, 4
    assert [Path(b.path).name for b in kept.bad] == ["bad"]
    assert kept.bad[0].reason.startswith("unreadable") and kept.classes == ds.classes
