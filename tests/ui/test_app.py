"""The served app's offline settings, checked on the running server (no browser needed): loopback,
no share link, no analytics, files only from the work folder, uploads size-limited."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest


def _client(app: object):
    httpx = pytest.importorskip("httpx")
    return httpx.Client(base_url=app.local_url.rstrip("/"), timeout=60, trust_env=False)


def test_served_on_loopback_offline(ui_app: object) -> None:
    from oculi.ui.app import MAX_FILE_SIZE, work_dir_of

    assert urlsplit(ui_app.local_url).hostname == "127.0.0.1"
    assert ui_app.share is False and ui_app.share_url is None
    assert ui_app.analytics_enabled is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert [Path(p).resolve() for p in ui_app.allowed_paths] == [work_dir_of(ui_app)]
    assert MAX_FILE_SIZE == "50mb" and ui_app.max_file_size == 50 * 1024 * 1024


def test_only_the_work_folder_is_served(ui_app: object, tmp_path: Path) -> None:
    from oculi.ui.app import work_dir_of

    inside = work_dir_of(ui_app) / "outputs" / "served.json"
    inside.write_text('{"ok": true}\n')
    outside = tmp_path / "private.json"
    outside.write_text('{"secret": true}\n')
    repo_file = Path(__file__).resolve()  # the current folder is not served either
    with _client(ui_app) as client:
        ok = client.get(f"/gradio_api/file={inside}")
        assert ok.status_code == 200 and ok.json() == {"ok": True}
        for path in (outside, repo_file, Path("/etc/passwd")):
            refused = client.get(f"/gradio_api/file={path}")
            assert refused.status_code in (403, 404), (path, refused.status_code)
            assert b"secret" not in refused.content


def test_uploads_over_the_limit_are_refused(ui_app: object) -> None:
    limit = ui_app.max_file_size
    with _client(ui_app) as client:
        small = client.post("/gradio_api/upload", files={"files": ("a.png", b"\0" * 1024)})
        assert small.status_code == 200
        big = client.post("/gradio_api/upload",
                          files={"files": ("big.png", b"\0" * (limit + 1024))})
        assert big.status_code == 413
