import pytest

from oculi.core import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.ImageReadError, OSError),
        (errors.ImageWriteError, OSError),
        (errors.ShapeError, ValueError),
        (errors.DTypeError, TypeError),
        (errors.ValueRangeError, ValueError),
        (errors.ParameterError, ValueError),
        (errors.UnknownNameError, KeyError),
        (errors.MissingDependencyError, ImportError),
        (errors.DataError, ValueError),
        (errors.NoMatchError, RuntimeError),
    ],
)
def test_hierarchy(cls, builtin):
    err = cls("x: bad")
    assert isinstance(err, errors.OculiError) and isinstance(err, builtin)
    assert str(err) == "x: bad"
