import numpy as np
from typer.testing import CliRunner

from oculi.cli.main import app
from oculi.data import load
from oculi.io import encode_image, read_image, write_image

runner = CliRunner()


def test_help_lists_topics():
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for topic in ("info", "convert", "tour"):
        assert topic in res.output


def test_info_reports_versions():
    res = runner.invoke(app, ["info"])
    assert res.exit_code == 0, res.output
    assert "torch: 2.14.1" in res.output
    assert "opencv contrib: yes" in res.output
    assert "cuda:" in res.output


def test_convert_with_max_size(tmp_path):
    src = write_image(tmp_path / "c.png", load("chelsea"))
    res = runner.invoke(app, ["convert", str(src), str(tmp_path / "c.jpg"), "--max-size", "100"])
    assert res.exit_code == 0, res.output
    out = read_image(tmp_path / "c.jpg")
    assert max(out.shape[:2]) == 100


def test_bad_inputs_one_line_exit_2(tmp_path):
    data = encode_image(load("chelsea"), "jpeg")
    (tmp_path / "corrupt.jpg").write_bytes(data[: len(data) // 3])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("this is text, not a PNG\n")
    for name, reason in [("corrupt.jpg", "truncated"), ("empty.jpg", "empty"),
                         ("text.png", "unknown image format")]:
        res = runner.invoke(app, ["convert", str(tmp_path / name), str(tmp_path / "o.png")])
        assert res.exit_code == 2, res.output
        lines = [ln for ln in res.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("oculi: error:"), res.output
        assert name in lines[0] and reason in lines[0]
        assert "Traceback" not in res.output
    assert not (tmp_path / "o.png").exists()


def test_debug_shows_traceback(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    res = runner.invoke(app, ["--debug", "convert", str(tmp_path / "empty.jpg"), str(tmp_path / "o.png")])
    assert res.exit_code == 2
    assert "Traceback" in res.output


def test_tour_io_section(tmp_path):
    res = runner.invoke(app, ["tour", "--out", str(tmp_path / "t"), "--only", "io", "--quick"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "t" / "index.html").read_text()
    assert "JPEG decoding" in page and "Sample images" in page
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    pngs = list((tmp_path / "t" / "assets").glob("*.png"))
    assert len(pngs) >= 6
    assert read_image(pngs[0]).dtype == np.uint8


def test_tour_with_an_unknown_section_is_an_error(tmp_path):
    from typer.testing import CliRunner

    from oculi.cli.main import app

    res = CliRunner().invoke(app, ["tour", "--out", str(tmp_path / "t"), "--only", "bogus"])
    assert res.exit_code == 2 and "unknown bogus" in res.output
    assert not (tmp_path / "t" / "index.html").exists()


def test_classify_batch_size_zero_is_a_one_line_error(tmp_path):
    from typer.testing import CliRunner

    from oculi.cli.main import app
    from oculi.data import load
    from oculi.io import write_image

    write_image(tmp_path / "a.png", load("coffee", mode="rgb"))
    res = CliRunner().invoke(app, ["classify", str(tmp_path / "a.png"), "--batch-size", "0"])
    assert res.exit_code == 2 and "batch_size" in res.output and "Traceback" not in res.output


def _one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("oculi: error:"), res.output
    return lines[0]


def test_convert_quality_outside_1_100_is_an_error(tmp_path):
    # --quality 0, -5 and 1000 were accepted
    src = write_image(tmp_path / "c.png", load("chelsea"))
    for q in ("0", "-5", "101", "1000"):
        res = runner.invoke(app, ["convert", str(src), str(tmp_path / "c.jpg"), "--quality", q])
        assert "--quality: expected a number in [1, 100]" in _one_error_line(res)
    assert not (tmp_path / "c.jpg").exists()
    res = runner.invoke(app, ["convert", str(src), str(tmp_path / "c.jpg"), "--quality", "100"])
    assert res.exit_code == 0, res.output
