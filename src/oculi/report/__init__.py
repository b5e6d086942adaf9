"""A small self-contained HTML report builder (no external assets; opens offline)."""

from oculi.report.builder import Report, Section

__all__ = ["Report", "Section"]
