import pytest

from oculi.core.errors import OculiError, UnknownNameError
from oculi.core.registry import Registry, lazy


def _reg() -> Registry:
    reg = Registry("widget")

    @reg.register("grad_cam", aliases=["Grad-CAM"], family="cam")
    def make(scale: int = 1) -> int:
        """Make a widget."""
        return 10 * scale

    reg.register("orb", lambda: "orb", help="oriented BRIEF")
    return reg


def test_create_and_normalised_names():
    reg = _reg()
    assert reg.create("grad-cam", scale=2) == 20
    assert reg.create("GRAD_CAM") == 10
    assert reg.create("grad-cam") == reg.create("Grad-CAM")
    assert reg.names() == ["grad_cam", "orb"]
    assert reg.names("o*") == ["orb"]
    assert "Grad_Cam" in reg and "sift" not in reg
    assert reg.entry("grad-cam").help == "Make a widget."
    assert reg.entry("grad-cam").meta == {"family": "cam"}
    assert len(reg) == 2


def test_unknown_name_lists_close_matches():
    reg = _reg()
    with pytest.raises(UnknownNameError) as info:
        reg.get("gradcm")
    msg = str(info.value)
    assert "unknown widget 'gradcm'" in msg
    assert "grad-cam" in msg
    assert "Known: grad_cam, orb" in msg
    assert isinstance(info.value, KeyError) and isinstance(info.value, OculiError)


def test_duplicate_registration_rejected():
    reg = _reg()
    with pytest.raises(ValueError, match="already registered"):
        reg.register("ORB", lambda: None)


def test_lazy_factory_imports_on_call():
    factory = lazy("math", "hypot")
    assert factory(3, 4) == 5.0


def test_create_rejects_unknown_keywords():
    from oculi.core.errors import ParameterError

    reg = _reg()
    with pytest.raises(ParameterError, match=r"widget 'grad-cam': unknown parameter\(s\) scal; "
                                             r"expected scale"):
        reg.create("grad-cam", scal=2)
    assert reg.create("grad-cam", scale=3) == 30
    late = Registry("late")
    late.register("join", lazy("os.path", "join"))  # **kwargs factories are not checked
    with pytest.raises(TypeError):
        late.create("join", anything=1)
