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


def test_run_budget_shared_by_the_restore_sid_and_lowlight_benches(tmp_path):
    import json

    import bench.lowlight_train as lowlight
    import bench.restore_train as rt
    import bench.sid as sid

    (tmp_path / "config.yaml").write_text("model: zero-dce\nlr: 0.001\nratios: [100.0]\n")
    rows = [{"epoch": 1, "val_psnr": 14.0, "val_loss": 0.5, "epoch_time_s": 30.0},
            {"epoch": 2, "val_psnr": 12.5, "val_loss": 0.4, "epoch_time_s": 90.0}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "data.json").write_text('{"train_images": 3}')
    budget = rt.run_budget(tmp_path, sid.RUN_KEYS)
    assert budget["config"]["ratios"] == [100.0] and set(budget["config"]) == set(sid.RUN_KEYS)
    assert budget["epochs_done"] == 2 and budget["train_minutes"] == 2.0
    assert budget["best_val_psnr"] == 14.0 and budget["train_images"] == 3
    low = lowlight.lowlight_budget(tmp_path)
    assert low["config"]["model"] == "zero-dce" and low["skipped"] == {}
    assert low["final_val_loss"] == 0.4 and low["final_val_psnr"] == 12.5
