from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ImageReadError
from oculi.flow import write_flo
from oculi.flow.evaluate import evaluate_methods, find_sequences, summarize
from oculi.flow.synthetic import affine_pair
from oculi.io import write_image


def make_folder(root, textured, n=2):
    """A Middlebury-layout folder of synthetic sequences with exact ground truth."""
    for k in range(n):
        f1, f2, gt = affine_pair(textured, shift=(1.0 + k, -0.5))
        seq = root / f"Seq{k}"
        write_image(seq / "frame10.png", (f1 * 255).round().astype(np.uint8))
        write_image(seq / "frame11.png", (f2 * 255).round().astype(np.uint8))
        write_flo(seq / "flow10.flo", gt)
    (root / "notes").mkdir()  # a folder that is not a sequence is skipped
    return root


def test_evaluate_folder(tmp_path, textured):
    folder = make_folder(tmp_path, textured)
    assert [s.name for s in find_sequences(folder)] == ["Seq0", "Seq1"]
    seen = []
    results = evaluate_methods(folder, ["hs", "dis"], on_result=seen.append)
    assert len(results) == len(seen) == 4
    assert not any(r.error for r in results)
    summary = summarize(results)
    assert summary["hs"]["epe"] < 0.3
    assert summary["hs"]["n"] == 2
    assert all(r.width == 160 and r.height == 120 and r.seconds > 0 for r in results)


def test_failures_are_recorded_not_raised(tmp_path, textured):
    folder = make_folder(tmp_path, textured, n=1)
    write_flo(folder / "Seq0" / "flow10.flo", np.zeros((5, 5, 2), np.float32))
    results = evaluate_methods(folder, ["dis"])
    assert "match" in results[0].error


def test_missing_folders(tmp_path):
    with pytest.raises(ImageReadError, match="not a folder"):
        find_sequences(tmp_path / "nope")
    with pytest.raises(DataError, match="no sequence"):
        find_sequences(tmp_path)
