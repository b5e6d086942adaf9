"""Inputs of a batch job: folder search, list files, result names."""

from __future__ import annotations

from pathlib import Path

import pytest

from oculi.batch import collect_inputs, result_stems
from oculi.core.errors import DataError


def _touch(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"")


def test_folder_is_searched_recursively_for_image_suffixes(tmp_path):
    _touch(tmp_path, "a.JPG", "x/b.png", "x/y/c.tif", "readme.txt", ".hidden/d.png", "e.PNG.bak")
    root, paths = collect_inputs(tmp_path)
    assert root == tmp_path
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == ["a.JPG", "x/b.png",
                                                                   "x/y/c.tif"]


def test_list_file_paths_are_relative_to_the_list(tmp_path):
    _touch(tmp_path, "imgs/a.jpg", "imgs/deep/b.png")
    lst = tmp_path / "list.txt"
    lst.write_text("# inputs\nimgs/a.jpg\n\n" + str(tmp_path / "imgs/deep/b.png") + "\n")
    root, paths = collect_inputs(lst)
    assert paths == [(tmp_path / "imgs/a.jpg").absolute(), (tmp_path / "imgs/deep/b.png")]
    assert root == (tmp_path / "imgs").absolute()
    assert list(result_stems(root, paths).values()) == ["a", "deep/b"]


def test_same_stem_in_one_folder_keeps_the_suffix(tmp_path):
    _touch(tmp_path, "1.jpg", "1.png", "2.png", "s/1.png")
    root, paths = collect_inputs(tmp_path)
    assert sorted(result_stems(root, paths).values()) == ["1.jpg", "1.png", "2", "s/1"]


def test_empty_or_missing_input_is_a_data_error(tmp_path):
    _touch(tmp_path, "notes.txt")
    with pytest.raises(DataError, match="no image files"):
        collect_inputs(tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        collect_inputs(tmp_path / "nope")
