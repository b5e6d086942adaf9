"""bench.restore_train.kodak_sigma25: the Kodak sigma 25 set both restore benches score on."""

from __future__ import annotations

import numpy as np

from oculi.io import write_image


def test_kodak_sigma25_central_crops_and_noise(tmp_path, monkeypatch):
    import bench.restore_n2n as n2n
    import bench.restore_train as rt

    rng = np.random.default_rng(3)
    images = [rng.integers(0, 256, (300 + 10 * i, 320, 3), dtype=np.uint8) for i in range(2)]
    (tmp_path / "compress_kodak").mkdir()
    for i, im in enumerate(images):
        write_image(tmp_path / "compress_kodak" / f"k{i}.png", im)
    monkeypatch.setattr(rt, "SHARED_DATA", tmp_path)
    refs, noisy, mp, results = rt.kodak_sigma25()
    cy, cx = images[1].shape[0] // 2, 160
    np.testing.assert_array_equal(refs[1], images[1][cy - 128:cy + 128, cx - 128:cx + 128])
    assert all(n.dtype == np.uint8 and n.shape == (256, 256, 3) for n in noisy)
    assert 15 < float(np.std(noisy[0].astype(float) - refs[0])) < 25
    assert mp == 2 * 256 * 256 / 1e6 and set(results) == {"noisy"}
    assert n2n.kodak_sigma25 is rt.kodak_sigma25  # the N2N bench scores on the same set
