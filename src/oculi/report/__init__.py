"""A small self-contained HTML report builder (no external assets; opens offline), with an
interactive 3-D point-cloud viewer (:mod:`oculi.report.viewer3d`)."""

from oculi.report.builder import Report, Section
from oculi.report.viewer3d import camera_frusta, plot_scene, viewer_html

__all__ = ["Report", "Section", "camera_frusta", "plot_scene", "viewer_html"]
