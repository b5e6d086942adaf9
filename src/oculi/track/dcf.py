"""``dcf``: a fast discriminative correlation filter tracker with scale estimation.

The design follows the DSST family (Danelljan et al., BMVC 2014 / TPAMI 2017) with a colour
model in the style of Staple (Bertinetto et al., CVPR 2016):

- **Translation**: a multi-channel linear correlation filter learned in closed form in the
  Fourier domain (numerator and denominator averaged over frames) on HOG (cell 4) plus three
  opponent-colour channels, cosine-windowed, over a window ``search_area`` times the target,
  resampled to a fixed template of about ``template_cells`` x ``template_cells`` cells.
- **Colour**: object and background colour histograms (``hist_bits`` bits per RGB channel)
  give every pixel a foreground likelihood; its mean over a target-sized box is blended into
  the filter's response with weight ``merge``. This carries deformable, rotating targets that
  the gradients alone lose.
- **Scale**: a separate 1-D correlation filter over ``n_scales`` scales of the target region
  (HOG and the colour likelihood of a small area-resampled patch), peak interpolated in
  log-scale.
- **Speed**: one patch extraction per frame; the model update reuses the detection sample,
  shifted in the Fourier domain (translation) or along the scale axis, instead of extracting
  it again. Inner loops are numba kernels (:mod:`oculi.track._dcf_kernels`).
- **Confidence**: the peak-to-sidelobe ratio (PSR) of the filter response is ``score``. When
  it falls under ``psr_ratio`` times its running mean (or under ``psr_threshold``) the result
  is ``lost``: the models stop learning and the box coasts at the last velocity; the tracker
  follows the filter's peak again once the PSR recovers (``psr_recover``, hysteresis).

    >>> from oculi.track.dcf import DCFTracker
    >>> from oculi.track.synthetic import synthetic_sequence
    >>> seq = synthetic_sequence(10, seed=0)
    >>> tracker = DCFTracker()
    >>> tracker.init(seq.read(0), seq.boxes[0])
    >>> result = tracker.update(seq.read(1))
    >>> result.box.shape, result.box.dtype, result.lost
    ((4,), dtype('float32'), False)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import fft as sfft

from oculi.core.errors import ParameterError, ShapeError
from oculi.track._dcf_kernels import box_mean_grid, scale_samples
from oculi.track.base import TrackResult, check_box, check_frame
from oculi.track.features import (
    COLOUR_CHANNELS,
    HOG_CHANNELS,
    ColourHistogram,
    colour_float,
    hog_float,
)


@dataclass(frozen=True)
class DCFSettings:
    """Settings of :class:`DCFTracker` (every default is the tuned one).

    Attributes:
        search_area: side of the search window / side of the target (each axis).
        cell_size: HOG cell side, template pixels.
        template_cells: the window is resampled to about this many cells squared.
        learning_rate: update rate of the translation filter, per frame.
        regularisation: ridge term of the translation filter.
        sigma_factor: width of the Gaussian label / the target's size (geometric mean).
        colour: add three opponent-colour channels (cell means) to the HOG channels.
        merge: weight of the colour-likelihood response in the translation response (0: off).
        hist_bits: colour-histogram bits per RGB channel (2 ** (3 * bits) bins).
        hist_rate: update rate of the colour histograms, per frame.
        inner_padding: the object histogram skips a border of this fraction of the target's
            mean side (background leaking into the box).
        n_scales: number of scales of the scale filter (odd).
        scale_step: ratio between neighbouring scales.
        scale_sigma: width of the scale filter's Gaussian label, in scale steps.
        scale_rate: update rate of the scale filter, per frame.
        scale_area: the target is resampled to about this many pixels for the scale filter.
        scale_colour: weight of the colour-likelihood channel in the scale filter (0: HOG
            only).
        max_shift: the peak is searched within this fraction of the window's half-size
            (the response's edges are circular wrap-around, not motion).
        psr_threshold: the target is lost when the peak-to-sidelobe ratio (PSR) of the filter
            response falls under this, or ...
        psr_ratio: ... under this fraction of the PSR's running mean over confident frames
            (after ``psr_warmup`` frames).
        psr_recover: once lost, the target is found again when the PSR is back above this
            fraction of the running mean; in between it is followed, without learning.
        psr_memory: update rate of the PSR's running mean, per frame.
        psr_warmup: frames before the relative tests start (a filter learned from one frame
            gives inflated PSRs for a while).
        hold_when_lost: while lost, do not follow the response's peak.
        coast: while lost and held, move on at the last confident velocity.
    """

    search_area: float = 2.5
    cell_size: int = 4
    template_cells: int = 32
    learning_rate: float = 0.015
    regularisation: float = 1e-2
    sigma_factor: float = 1 / 16
    colour: bool = True
    merge: float = 0.45
    hist_bits: int = 4
    hist_rate: float = 0.04
    inner_padding: float = 0.2
    n_scales: int = 17
    scale_step: float = 1.03
    scale_sigma: float = 1.5
    scale_rate: float = 0.025
    scale_area: float = 512.0
    scale_colour: float = 3.0
    psr_threshold: float = 4.0
    psr_ratio: float = 0.35
    psr_recover: float = 0.5
    psr_memory: float = 0.1
    psr_warmup: int = 10
    hold_when_lost: bool = True
    coast: bool = True
    max_shift: float = 0.7

    def validate(self) -> DCFSettings:
        """Check every field; return ``self``.

        Raises:
            ParameterError: a value out of its range, naming the field.
        """
        rules = {
            "search_area": (1.2, 8.0), "cell_size": (1, 16), "template_cells": (8, 128),
            "learning_rate": (0.0, 1.0), "regularisation": (1e-12, 1e3),
            "sigma_factor": (1e-3, 1.0), "merge": (0.0, 1.0), "hist_bits": (2, 6),
            "hist_rate": (0.0, 1.0), "inner_padding": (0.0, 0.9), "n_scales": (1, 65),
            "scale_step": (1.0 + 1e-6, 1.5), "scale_sigma": (0.1, 32.0),
            "scale_rate": (0.0, 1.0), "scale_area": (64.0, 1e5), "scale_colour": (0.0, 1e3),
            "psr_threshold": (-math.inf, math.inf), "psr_ratio": (0.0, 1.0),
            "psr_recover": (0.0, 1.0), "psr_memory": (0.0, 1.0), "psr_warmup": (0, 10_000),
            "max_shift": (0.1, 1.0),
        }
        for name, (lo, hi) in rules.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ParameterError(f"{name}: expected a number in [{lo:g}, {hi:g}], "
                                     f"got {value!r}")
        for name in ("colour", "hold_when_lost", "coast"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name}: expected True or False, got "
                                     f"{getattr(self, name)!r}")
        for name in ("cell_size", "template_cells", "hist_bits", "n_scales", "psr_warmup"):
            if int(getattr(self, name)) != getattr(self, name):
                raise ParameterError(f"{name}: expected an integer, got {getattr(self, name)!r}")
        if self.n_scales % 2 == 0:
            raise ParameterError(f"n_scales: expected an odd number, got {self.n_scales}")
        return self


def _hann(n: int) -> np.ndarray:
    """(n,) float32 cosine window that is positive everywhere."""
    return (0.5 - 0.5 * np.cos(2 * np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)


def _crop_resize(frame: np.ndarray, cy: float, cx: float, rh: float, rw: float,
                 oh: int, ow: int) -> tuple[np.ndarray, float, float, float, float]:
    """Crop an ``rh`` x ``rw`` region centred on pixel position (cy, cx) and resize it.

    Outside pixels repeat the frame's border. Shrinking averages areas, enlarging is bilinear.

    Returns:
        (patch ``oh`` x ``ow`` x 3 uint8, the crop's true centre y and x in frame pixels,
        frame pixels per patch pixel along y and x).
    """
    import cv2

    hh, ww = max(1, round(rh)), max(1, round(rw))
    y0, x0 = round(cy - (hh - 1) / 2), round(cx - (ww - 1) / 2)
    fh, fw = frame.shape[:2]
    ya, yb = min(max(y0, 0), fh - 1), min(max(y0 + hh, 1), fh)
    xa, xb = min(max(x0, 0), fw - 1), min(max(x0 + ww, 1), fw)
    patch = frame[ya:yb, xa:xb]
    pads = (ya - y0, y0 + hh - yb, xa - x0, x0 + ww - xb)
    if any(p > 0 for p in pads):
        patch = cv2.copyMakeBorder(patch, *(max(p, 0) for p in pads), cv2.BORDER_REPLICATE)
    interp = cv2.INTER_AREA if hh * ww > oh * ow else cv2.INTER_LINEAR
    patch = cv2.resize(patch, (ow, oh), interpolation=interp)
    return patch, y0 + (hh - 1) / 2, x0 + (ww - 1) / 2, hh / oh, ww / ow


def _parabola(a: float, b: float, c: float) -> float:
    """Offset in (-0.5, 0.5) of the vertex of the parabola through (-1, a), (0, b), (1, c)."""
    d = a - 2.0 * b + c
    return 0.0 if d >= 0 else float(np.clip(0.5 * (a - c) / d, -0.5, 0.5))


def _peak(resp: np.ndarray) -> tuple[float, float]:
    """Sub-cell position of the maximum of a circular response; (0, 0) is no motion."""
    h, w = resp.shape
    py, px = divmod(int(np.argmax(resp)), w)
    peak = float(resp[py, px])
    dy = py + _parabola(float(resp[(py - 1) % h, px]), peak, float(resp[(py + 1) % h, px]))
    dx = px + _parabola(float(resp[py, (px - 1) % w]), peak, float(resp[py, (px + 1) % w]))
    return (dy - h if dy >= h / 2 else dy), (dx - w if dx >= w / 2 else dx)


def peak_to_sidelobe(resp: np.ndarray, exclude: int = 2) -> float:
    """Peak-to-sidelobe ratio of a correlation response (Bolme et al., MOSSE).

    Args:
        resp: (H, W) float response, circular.
        exclude: half-side of the square around the peak left out of the sidelobe, cells.

    Returns:
        ``(peak - mean(sidelobe)) / std(sidelobe)``; about 3-6 on clutter, 10+ on a clean peak.
    """
    h, w = resp.shape
    py, px = divmod(int(np.argmax(resp)), w)
    r = np.roll(resp, (h // 2 - py, w // 2 - px), axis=(0, 1))
    mask = np.ones(r.shape, bool)
    mask[max(h // 2 - exclude, 0):h // 2 + exclude + 1,
         max(w // 2 - exclude, 0):w // 2 + exclude + 1] = False
    side = r[mask]
    if side.size < 2:
        return math.nan
    return float((resp[py, px] - side.mean()) / (side.std() + 1e-12))


class DCFTracker:
    """Correlation-filter tracker with colour model and scale filter (see the module doc).

    Keyword arguments are the fields of :class:`DCFSettings`.

    Raises:
        ParameterError: an unknown setting or a value out of its range.
    """

    def __init__(self, **settings: Any) -> None:
        known = {f.name for f in dataclasses.fields(DCFSettings)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ParameterError(f"dcf: unknown setting(s) {', '.join(unknown)}; "
                                 f"expected some of {', '.join(sorted(known))}")
        self.settings = DCFSettings(**settings).validate()
        self._ready = False

    # --------------------------------------------------------------------------- geometry
    def _setup(self, frame_shape: tuple[int, ...], box: np.ndarray) -> None:
        """Sizes, windows and labels for a target ``box`` (xyxy) on a frame of this shape."""
        s = self.settings
        x1, y1, x2, y2 = (float(v) for v in box)
        self.pos = np.array([(y1 + y2) / 2 - 0.5, (x1 + x2) / 2 - 0.5])  # pixel centres
        self.base_size = np.array([y2 - y1, x2 - x1])
        self.scale = 1.0
        self.frame_shape = tuple(frame_shape)
        self.window = self.base_size * s.search_area  # frame pixels at scale 1
        k = math.sqrt((s.template_cells * s.cell_size) ** 2 / float(np.prod(self.window)))
        cells = np.maximum(np.round(self.window * k / s.cell_size), 8).astype(int)
        self.cells = (int(cells[0]), int(cells[1]))
        self.template = (self.cells[0] * s.cell_size, self.cells[1] * s.cell_size)
        self.target_px = self.base_size * np.array(self.template) / self.window
        self.cos = np.outer(_hann(self.cells[0]), _hann(self.cells[1]))[:, :, None]
        sigma = math.sqrt(float(np.prod(self.target_px))) / s.cell_size * s.sigma_factor
        ny, nx = self.cells
        dy = np.minimum(np.arange(ny), ny - np.arange(ny))[:, None]
        dx = np.minimum(np.arange(nx), nx - np.arange(nx))[None, :]
        label = np.exp(-0.5 * (dy ** 2 + dx ** 2) / sigma ** 2).astype(np.float32)
        self.label_f = np.conj(sfft.rfft2(label))[:, :, None]
        reach = s.max_shift * np.array([ny, nx]) / 2  # cells
        far = (dy > reach[0]) | (dx > reach[1])
        self.border = np.where(far, -1e6, 0.0).astype(np.float32)
        self.freq = (sfft.fftfreq(ny)[:, None], sfft.rfftfreq(nx)[None, :])
        n = s.n_scales
        self.scale_factors = s.scale_step ** (np.arange(n) - (n - 1) // 2)
        self.scale_window = _hann(n)
        ks = math.sqrt(s.scale_area / float(np.prod(self.base_size)))
        self.scale_size = tuple(int(v) for v in np.maximum(
            np.round(self.base_size * ks / s.cell_size), 2) * s.cell_size)
        steps = np.arange(n) - (n - 1) // 2
        self.scale_label_f = np.conj(sfft.fft(np.exp(-0.5 * steps ** 2 / s.scale_sigma ** 2)))
        self.scale_freq = sfft.fftfreq(n)
        self.min_scale = min(max(4.0 / float(self.base_size.min()), 0.02), 1.0)  # >= 4 px
        self.max_scale = max(min(frame_shape[0] / self.base_size[0],
                                 frame_shape[1] / self.base_size[1]), 1.0)

    # --------------------------------------------------------------------------- samples
    def _translation_sample(self, frame: np.ndarray):
        """Patch at the current position and scale, its windowed features' spectrum, its true
        centre and the frame pixels per template pixel."""
        s = self.settings
        rh, rw = self.window * self.scale
        patch, cy, cx, ky, kx = _crop_resize(frame, self.pos[0], self.pos[1], rh, rw,
                                              *self.template)
        f = patch.astype(np.float32) * np.float32(1 / 255)
        n_ch = HOG_CHANNELS + (COLOUR_CHANNELS if s.colour else 0)
        feats = np.empty((*self.cells, n_ch), np.float32)
        hog_float(f, s.cell_size, feats)
        if s.colour:
            colour_float(f, s.cell_size, feats[:, :, HOG_CHANNELS:])
        feats *= self.cos
        return patch, sfft.rfft2(feats, axes=(0, 1)), (cy, cx), (ky, kx)

    def _scale_sample(self, frame: np.ndarray) -> np.ndarray:
        """(n_scales, D) spectrum (along the scale axis) of the scale filter's samples."""
        s = self.settings
        sizes = self.base_size * self.scale
        feats = scale_samples(frame, float(self.pos[0]), float(self.pos[1]),
                              sizes[0] * self.scale_factors, sizes[1] * self.scale_factors,
                              self.scale_size[0], self.scale_size[1], s.cell_size,
                              self.colour_model.table, s.hist_bits, 2,
                              float(s.scale_colour), 1.0, self.scale_window)
        return sfft.fft(feats, axis=0)

    # --------------------------------------------------------------------------- models
    def _learn(self, xf: np.ndarray, sf: np.ndarray, rate: float, scale_rate: float) -> None:
        num = self.label_f * xf
        den = (xf.real ** 2 + xf.imag ** 2).sum(axis=2)
        snum = self.scale_label_f[:, None] * sf
        sden = (sf.real ** 2 + sf.imag ** 2).sum(axis=1)
        if rate >= 1.0:
            self.num, self.den, self.snum, self.sden = num, den, snum, sden
            return
        self.num += rate * (num - self.num)
        self.den += rate * (den - self.den)
        self.snum += scale_rate * (snum - self.snum)
        self.sden += scale_rate * (sden - self.sden)

    def _colour_response(self, patch: np.ndarray) -> np.ndarray:
        """(cells) mean object likelihood of a target-sized box at every displacement."""
        s = self.settings
        th, tw = self.template
        return box_mean_grid(self.colour_model.likelihood(patch), (th - 1) / 2, (tw - 1) / 2,
                             float(s.cell_size), self.cells[0], self.cells[1],
                             float(self.target_px[0]), float(self.target_px[1]))

    def _estimate_scale(self, sf: np.ndarray) -> float:
        """Updates ``self.scale``; returns the scale change in scale steps (log-parabolic
        refinement of the best of ``n_scales``)."""
        s = self.settings
        resp = sfft.ifft((np.conj(self.snum) * sf).sum(axis=1) / (self.sden + s.regularisation))
        resp = resp.real
        i = int(np.argmax(resp))
        n = s.n_scales
        off = 0.0
        if 0 < i < n - 1:
            off = _parabola(float(resp[i - 1]), float(resp[i]), float(resp[i + 1]))
        steps = i + off - (n - 1) // 2
        self.scale = float(np.clip(self.scale * s.scale_step ** steps, self.min_scale,
                                   self.max_scale))
        return steps

    # --------------------------------------------------------------------------- public
    def init(self, frame: np.ndarray, box: Sequence[float]) -> None:
        """Start tracking the object inside ``box`` on ``frame``.

        Args:
            frame: HxWx3 uint8 RGB.
            box: (4,) xyxy pixels; clipped to the frame.

        Raises:
            DTypeError, ShapeError: a frame that is not HxWx3 uint8.
            ShapeError: a box that is not 4 numbers.
            ParameterError: a zero-size box, one outside the frame, or one under 2x2 pixels.
        """
        s = self.settings
        frame = check_frame(frame)
        xyxy = check_box(box, frame.shape)
        if min(xyxy[2] - xyxy[0], xyxy[3] - xyxy[1]) < 2.0:
            raise ParameterError(f"box: expected at least 2x2 pixels inside the frame, got "
                                 f"{xyxy.tolist()}")
        self._setup(frame.shape, xyxy)
        self.colour_model = ColourHistogram(s.hist_bits, s.hist_rate, s.inner_padding)
        patch, xf, _, _ = self._translation_sample(frame)
        th, tw = self.template
        self.colour_model.fit(patch, ((th - 1) / 2, (tw - 1) / 2), tuple(self.target_px))
        self._learn(xf, self._scale_sample(frame), 1.0, 1.0)
        self.psr_mean: float | None = None
        self.lost = False
        self.frames = 0
        self.velocity = np.zeros(2)
        self._ready = True

    def update(self, frame: np.ndarray) -> TrackResult:
        """Locate the object on the next frame.

        Args:
            frame: HxWx3 uint8 RGB, the size of the first frame.

        Returns:
            :class:`~oculi.track.base.TrackResult`: the box (xyxy float32 pixels; its centre
            stays inside the frame), the PSR as ``score`` and ``lost`` (see
            :class:`DCFSettings`: ``psr_*``).

        Raises:
            ParameterError: called before :meth:`init`.
            DTypeError, ShapeError: a frame that is not HxWx3 uint8, or of another size.
        """
        if not self._ready:
            raise ParameterError("dcf: update() before init(frame, box)")
        s = self.settings
        frame = check_frame(frame)
        if frame.shape != self.frame_shape:
            raise ShapeError(f"frame: expected {self.frame_shape[0]}x{self.frame_shape[1]} like "
                             f"the first frame, got {frame.shape[0]}x{frame.shape[1]}")
        patch, zf, (cy, cx), (ky, kx) = self._translation_sample(frame)
        resp = sfft.irfft2((np.conj(self.num) * zf).sum(axis=2) / (self.den + s.regularisation),
                           s=self.cells)
        psr = peak_to_sidelobe(resp)
        was_lost = self.lost
        move, learn = self._confidence(psr)
        if not move:
            if s.coast:
                self.pos = np.clip(self.pos + self.velocity, 0, np.array(frame.shape[:2]) - 1)
            return TrackResult(self.box(), psr, True)
        before = self.pos
        if s.merge > 0 and not self.lost:  # while lost, only the filter's peak is trusted
            resp = (1 - s.merge) * resp + s.merge * self._colour_response(patch)
        dy, dx = _peak(resp + self.border)
        self.pos = np.clip([cy + dy * s.cell_size * ky, cx + dx * s.cell_size * kx], 0,
                           np.array(frame.shape[:2]) - 1)
        sf = self._scale_sample(frame)
        steps = self._estimate_scale(sf)
        if learn:
            if not was_lost:  # a recovery jump is not motion
                self.velocity += 0.3 * (self.pos - before - self.velocity)
            # train on the detection sample, re-centred on the new position and scale
            shift = np.exp(2j * np.pi * (self.freq[0] * dy + self.freq[1] * dx))
            sshift = np.exp(2j * np.pi * self.scale_freq * steps)
            self._learn(zf * shift[:, :, None].astype(np.complex64),
                        sf * sshift[:, None].astype(np.complex64), s.learning_rate,
                        s.scale_rate)
            th, tw = self.template
            self.colour_model.fit(patch, ((th - 1) / 2 + dy * s.cell_size,
                                          (tw - 1) / 2 + dx * s.cell_size),
                                  tuple(self.target_px))
        return TrackResult(self.box(), psr, self.lost)

    def _confidence(self, psr: float) -> tuple[bool, bool]:
        """(move, learn) for a frame's PSR; updates the lost state and the PSR's running mean.

        Under ``psr_threshold`` or ``psr_ratio`` times the running mean the target is lost:
        no move (with ``hold_when_lost``), no learning. Once lost, the tracker follows peaks
        above that level without learning until the PSR is back above ``psr_recover`` times
        the mean. The relative tests start after ``psr_warmup`` frames: a filter learned from
        one frame gives inflated PSRs that take a few frames to settle.
        """
        s = self.settings
        self.frames += 1
        if self.frames > s.psr_warmup and self.psr_mean is None:
            self.psr_mean = psr
        mean = self.psr_mean if self.psr_mean is not None else 0.0
        weak = not (psr >= s.psr_threshold and psr >= s.psr_ratio * mean)
        if weak:
            self.lost = True
            return not s.hold_when_lost, False
        if self.lost and psr < s.psr_recover * mean:
            return True, False
        self.lost = False
        if self.psr_mean is not None:
            self.psr_mean += s.psr_memory * (psr - self.psr_mean)
        return True, True

    def box(self) -> np.ndarray:
        """The current target box, (4,) float32 xyxy pixels."""
        h, w = self.base_size * self.scale
        cy, cx = self.pos + 0.5
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], np.float32)

    def __repr__(self) -> str:
        default = DCFSettings()
        changed = [f"{f.name}={getattr(self.settings, f.name)!r}"
                   for f in dataclasses.fields(DCFSettings)
                   if getattr(self.settings, f.name) != getattr(default, f.name)]
        return f"DCFTracker({', '.join(changed)})"


__all__ = ["DCFSettings", "DCFTracker", "peak_to_sidelobe"]
