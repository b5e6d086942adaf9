"""PCA / ZCA whitening: identity covariance, exact inverse, parity with scikit-learn, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from skimage import data

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.preprocess import PCAWhitening, ZCAWhitening, extract_patches


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    # 6x6 patches of the embedded 'camera' image, in [0, 1]
    return extract_patches(data.camera(), 6, stride=3)


def test_extract_patches_layout() -> None:
    image = np.arange(5 * 6 * 2, dtype=np.float32).reshape(5, 6, 2) / 100
    p = extract_patches(image, (2, 3), stride=1)
    assert p.shape == (4 * 4, 2 * 3 * 2)
    np.testing.assert_allclose(p[5], image[1:3, 1:4].ravel())
    assert extract_patches(data.camera(), 8).shape == (64 * 64, 64)
    assert extract_patches(data.camera(), 8, stride=1, max_patches=100).shape == (100, 64)


def test_zca_covariance_is_identity_and_inverse_exact(patches: np.ndarray) -> None:
    zca = ZCAWhitening(epsilon=1e-7).fit(patches)
    assert zca.eigenvalues_.min() > 1e-4  # so eps / l < 1e-3 for every component
    white = zca.transform(patches)
    cov = np.cov(white.astype(np.float64), rowvar=False)
    assert float(np.abs(cov - np.eye(36)).max()) < 1e-3
    np.testing.assert_allclose(white.mean(0), 0, atol=1e-4)
    back = zca.inverse_transform(white)
    assert float(np.abs(back - patches).max()) < 1e-4


def test_zca_covariance_equals_regularised_form(patches: np.ndarray) -> None:
    eps = 0.01
    zca = ZCAWhitening(epsilon=eps).fit(patches)
    white = zca.transform(patches)
    cov = np.cov(white, rowvar=False)
    v, lam = zca.components_.T, zca.eigenvalues_
    expected = (v * (lam / (lam + eps))) @ v.T
    assert float(np.abs(cov - expected).max()) < 1e-6
    # ZCA is symmetric and the closest whitening to the identity: W = W^T
    w = zca.whitening_matrix()
    np.testing.assert_allclose(w, w.T, atol=1e-10)


def test_pca_matches_numpy_svd(patches: np.ndarray) -> None:
    # reference: the SVD of the centred data, X - mean = U S V^T; whitened PCA scores are
    # U * sqrt(N - 1) (unit variance), eigenvalues S^2 / (N - 1)
    xc = patches - patches.mean(0)
    u, sv, _ = np.linalg.svd(xc, full_matrices=False)
    n = len(patches)
    ours = PCAWhitening(epsilon=0.0, n_components=10).fit(patches)
    np.testing.assert_allclose(ours.eigenvalues_, sv[:10] ** 2 / (n - 1), rtol=1e-8)
    a = u[:, :10] * np.sqrt(n - 1)
    b = ours.transform(patches.astype(np.float64))
    signs = np.sign((a * b).sum(0))  # components are defined up to sign
    assert float(np.abs(a - b * signs).max()) < 1e-6
    cov = np.cov(b, rowvar=False)
    assert float(np.abs(cov - np.eye(10)).max()) < 1e-3


@pytest.mark.slow
def test_pca_matches_sklearn(patches: np.ndarray) -> None:
    from sklearn.decomposition import PCA

    ref = PCA(n_components=10, whiten=True, svd_solver="full").fit(patches)
    ours = PCAWhitening(epsilon=0.0, n_components=10).fit(patches)
    np.testing.assert_allclose(ours.eigenvalues_, ref.explained_variance_, rtol=1e-8)
    a = ref.transform(patches)
    b = ours.transform(patches)
    signs = np.sign((a * b).sum(0))
    assert float(np.abs(a - b * signs).max()) < 1e-6


def test_pca_full_inverse_and_partial_projection(patches: np.ndarray) -> None:
    full = PCAWhitening(epsilon=1e-6).fit(patches)
    assert float(np.abs(full.inverse_transform(full.transform(patches)) - patches).max()) < 1e-4
    low = PCAWhitening(epsilon=0.0, n_components=5).fit(patches)
    rec = low.inverse_transform(low.transform(patches.astype(np.float64)))
    # the rank-5 reconstruction error is the variance left in the dropped components
    full_vals = PCAWhitening(epsilon=0.0).fit(patches).eigenvalues_
    err = ((rec - patches) ** 2).sum(1).mean() * len(patches) / (len(patches) - 1)
    assert err == pytest.approx(full_vals[5:].sum(), rel=1e-6)


def test_streaming_partial_fit_equals_fit(patches: np.ndarray) -> None:
    one = ZCAWhitening(epsilon=1e-5).fit(patches)
    many = ZCAWhitening(epsilon=1e-5)
    for chunk in np.array_split(patches, 7):
        many.partial_fit(chunk)
    many.finalize()
    np.testing.assert_allclose(many.whitening_matrix(), one.whitening_matrix(), atol=1e-8)


def test_images_keep_their_shape() -> None:
    rng = np.random.default_rng(0)
    imgs = rng.random((200, 4, 4, 3))
    zca = ZCAWhitening(epsilon=1e-6).fit(imgs)
    white = zca.transform(imgs)
    assert white.shape == imgs.shape
    assert white.dtype == np.float64
    np.testing.assert_allclose(zca.inverse_transform(white), imgs, atol=1e-8)
    assert PCAWhitening(n_components=7).fit(imgs).transform(imgs.astype(np.float32)).shape == (200, 7)


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
@pytest.mark.parametrize("cls", [PCAWhitening, ZCAWhitening])
def test_save_load_roundtrip(tmp_path: Path, patches: np.ndarray, suffix: str, cls: type) -> None:
    w = cls(epsilon=1e-4, n_components=12).fit(patches[:2000])
    path = tmp_path / f"state{suffix}"
    w.save(path)
    loaded = cls.load(path)
    assert loaded.n_components == 12
    assert loaded.epsilon == 1e-4
    np.testing.assert_array_equal(loaded.transform(patches[:50]), w.transform(patches[:50]))
    other = ZCAWhitening if cls is PCAWhitening else PCAWhitening
    with pytest.raises(DataError, match="whitening"):
        other.load(path)


def test_bad_inputs(tmp_path: Path, patches: np.ndarray) -> None:
    zca = ZCAWhitening().fit(patches)
    with pytest.raises(ShapeError, match="expected 36 features"):
        zca.transform(np.zeros((3, 48)))
    with pytest.raises(ShapeError, match="expected 36 features"):
        zca.inverse_transform(np.zeros((3, 35)))
    with pytest.raises(ShapeError, match="expected 10 features"):
        PCAWhitening(n_components=10).fit(patches).inverse_transform(np.zeros((2, 36)))
    with pytest.raises(ParameterError, match="not fitted"):
        PCAWhitening().transform(patches)
    with pytest.raises(DataError, match="2 samples"):
        ZCAWhitening().fit(np.zeros((1, 4)))
    with pytest.raises(DataError, match="singular"):
        PCAWhitening(epsilon=0.0).fit(np.zeros((10, 3)))
    with pytest.raises(ParameterError, match="epsilon"):
        ZCAWhitening(epsilon=-1)
    with pytest.raises(ShapeError):
        ZCAWhitening().fit(np.zeros(5))
    with pytest.raises(ParameterError, match="npz"):
        zca.save(tmp_path / "x.txt")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a whitening"):
        ZCAWhitening.load(tmp_path / "junk.npz")
