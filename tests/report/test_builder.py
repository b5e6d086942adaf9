import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from oculi.io import read_image
from oculi.report import Report


def test_report_writes_self_contained_page(tmp_path):
    r = Report("T <&>", "intro")
    s = r.section("Results", "some text")
    s.table(["method", "score"], [["a<b", 0.123456], ["c", float("nan")]], caption="cap")
    img = np.zeros((10, 20, 3), np.uint8)
    img[:, :10] = 255
    s.image(img, "half white")
    s.image(img, "half white")  # same caption: distinct asset names
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    s.figure(fig, "plot")
    s.error("it broke")
    page = r.write(tmp_path).read_text()
    assert "T &lt;&amp;&gt;" in page and "a&lt;b" in page and "0.1235" in page
    assert "assets/half-white.png" in page and "assets/half-white-2.png" in page
    back = read_image(tmp_path / "assets" / "half-white.png")
    assert np.array_equal(back, img)
    assert (tmp_path / "assets" / "plot.png").stat().st_size > 1000
    assert 'class="err"' in page and "<script" not in page
