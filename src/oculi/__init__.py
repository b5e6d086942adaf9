"""oculi: computer vision toolkit, one API and one CLI.

Importing :mod:`oculi` is cheap: no torch, no OpenCV, no file reads. Topics are imported explicitly,
e.g. ``from oculi import io`` or ``import oculi.features``.
"""

from oculi.core.errors import OculiError

__version__ = "0.1.0"
__all__ = ["OculiError", "__version__"]
