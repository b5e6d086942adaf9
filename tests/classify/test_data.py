"""ImageFolder scanning, bad data, datasets and the sharded/balanced sampler."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from oculi.classify import (
    EvalTransform,
    ImageFolderDataset,
    TrainTransform,
    load_image_folder,
    scan_folder,
)
from oculi.core.errors import DataError
from oculi.train import ShardedSampler
from tests.conftest import shared_set


def test_broken_and_non_image_files_are_skipped_and_listed(folder: Path) -> None:
    data = load_image_folder(folder)
    assert data.classes == ["blue", "red"]
    assert data.train.counts() == {"blue": 12, "red": 12}
    skipped = {p.name: r for p, r in data.train.skipped}
    assert set(skipped) == {"broken.jpg", "notes.txt"}
    assert "not a readable image" in skipped["broken.jpg"]
    assert data.summary()["skipped"] == 2


def test_empty_class_folder_is_a_clear_error(folder: Path) -> None:
    (folder / "train" / "green").mkdir()
    with pytest.raises(DataError, match=r"\['green'\] hold no readable image"):
        load_image_folder(folder)


def test_one_class_is_a_clear_error(tmp_path: Path) -> None:
    from tests.classify.conftest import make_folder

    root = make_folder(tmp_path / "one", classes=("red",))
    with pytest.raises(DataError, match="at least 2"):
        load_image_folder(root)


def test_missing_val_folder_errors_or_splits(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder / "val")
    with pytest.raises(DataError, match="val_split"):
        load_image_folder(folder)
    data = load_image_folder(folder, val_split=0.25)
    assert len(data.val.samples) == 6 and len(data.train.samples) == 18
    assert not {p for p, _ in data.val.samples} & {p for p, _ in data.train.samples}


def test_val_class_unknown_to_train_is_an_error(folder: Path) -> None:
    (folder / "val" / "green").mkdir()
    with pytest.raises(DataError, match="green"):
        load_image_folder(folder)


def test_file_breaking_mid_epoch_is_replaced_and_recorded(folder: Path) -> None:
    index = scan_folder(folder / "train")
    ds = ImageFolderDataset(index, TrainTransform(32), decode_short_side=None)
    victim = index.samples[3][0]
    victim.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    images = [ds[i] for i in range(len(ds))]
    assert all(x.shape == (3, 32, 32) for x, _ in images)
    assert list(ds.failed) == [str(victim)]
    assert images[3][1] == index.samples[4][1]  # the next sample stood in


def test_eval_transform_is_the_model_spec() -> None:
    from oculi.models import InputSpec

    spec = InputSpec(size=(24, 24), crop_pct=0.75, interpolation="bilinear")
    x = torch.rand(3, 40, 64)
    out = EvalTransform(spec)(x)
    ref = torch.nn.functional.interpolate(x[None], size=(32, 51), mode="bilinear",
                                          antialias=True)[0, :, 4:28, 13:37]
    torch.testing.assert_close(out, ref)


def test_sharded_sampler_splits_an_epoch_over_ranks() -> None:
    targets = [0] * 7 + [1] * 4
    shards = [list(ShardedSampler(targets, seed=3, rank=r, world=2)) for r in range(2)]
    assert len(shards[0]) == len(shards[1]) == 6
    assert set(shards[0]) | set(shards[1]) == set(range(11))
    s = ShardedSampler(targets, seed=3)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first and sorted(first) == list(range(11))


def test_balanced_sampler_equalises_classes() -> None:
    targets = [0] * 900 + [1] * 100
    drawn = list(ShardedSampler(targets, seed=0, balanced=True))
    frac = Counter(targets[i] for i in drawn)[1] / len(drawn)
    assert frac == pytest.approx(0.5, abs=0.05)


def test_hymenoptera_scan_skips_the_broken_gif() -> None:
    root = shared_set("hymenoptera")
    data = load_image_folder(root)
    assert data.classes == ["ants", "bees"]
    assert len(data.train.samples) == 244 and len(data.val.samples) == 153
    assert [p.name for p, _ in data.train.skipped] == ["imageNotFound.gif"]
