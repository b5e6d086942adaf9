"""``oculi ui`` on the command line: loopback only unless --allow-remote; gradio missing."""

from __future__ import annotations

import sys

from typer.testing import CliRunner

from oculi.cli.main import app

runner = CliRunner()


def test_remote_host_is_refused_without_allow_remote(monkeypatch) -> None:
    served = []
    monkeypatch.setattr("oculi.ui.serve", lambda **kw: served.append(kw))
    res = runner.invoke(app, ["ui", "--host", "0.0.0.0"])
    assert res.exit_code == 2
    assert "--allow-remote" in res.output and len(res.output.strip().splitlines()) == 1
    assert served == []
    res = runner.invoke(app, ["ui", "--host", "0.0.0.0", "--allow-remote", "--port", "0"])
    assert res.exit_code == 0, res.output
    assert served == [{"host": "0.0.0.0", "port": 0, "work_dir": None, "open_browser": False}]


def test_loopback_is_served_with_the_work_dir(monkeypatch, tmp_path) -> None:
    served = []
    monkeypatch.setattr("oculi.ui.serve", lambda **kw: served.append(kw))
    res = runner.invoke(app, ["ui", "--port", "7861", "--work-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert served[0]["host"] == "127.0.0.1" and served[0]["port"] == 7861
    assert served[0]["work_dir"] == tmp_path


def test_bad_port_is_one_line_exit_2() -> None:
    res = runner.invoke(app, ["ui", "--port", "70000"])
    assert res.exit_code == 2 and "--port" in res.output


def test_without_gradio_says_install_the_ui_extra(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "gradio", None)  # import gradio raises ImportError
    res = runner.invoke(app, ["ui"])
    assert res.exit_code == 2
    assert "install oculi[ui]" in res.output and len(res.output.strip().splitlines()) == 1
