"""Overlays drawn onto a rendered picture (numpy and Pillow, no Qt, no VTK).

Each overlay (:mod:`~twinscape.render.overlays` says what they show) sits on a
semi-transparent white panel with rounded corners. Every size follows the picture: one
*unit* is ``min(width / 1920, height / 1080)``, the body text is 17 units high, so a
7680 x 4320 picture looks like a 1920 x 1080 one, four times finer. Shapes are drawn
supersampled and scaled down (smooth edges); text is drawn at the picture's own
resolution (crisp).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from twinscape.render.kinds import Legend
from twinscape.render.overlays import OverlayInfo, OverlayOptions, length_label, nice_length

PANEL_RGBA = (255, 255, 255, 210)
EDGE_RGBA = (60, 60, 60, 70)
INK = (28, 30, 34, 255)
MUTED = (80, 84, 92, 255)
SUPERSAMPLE = 4
#: At most this many classes of one layer are listed.
MAX_ENTRIES = 12

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


# -- fonts ------------------------------------------------------------------------------
def _dejavu(bold: bool) -> Path | None:
    """DejaVu Sans as bundled with matplotlib (located, not imported), if installed."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf" / name
    return path if path.is_file() else None


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> Font:
    """A sans-serif font ``size`` pixels high: DejaVu Sans, else Pillow's own."""
    path = _dejavu(bold)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _text_w(face: Font, text: str) -> int:
    return int(math.ceil(face.getlength(text)))


def _line_h(face: Font) -> int:
    ascent, descent = face.getmetrics()  # type: ignore[union-attr]
    return int(ascent + descent)


# -- panels -----------------------------------------------------------------------------
class _Canvas:
    """The picture as RGBA plus the unit sizes everything is scaled by."""

    def __init__(self, image: np.ndarray) -> None:
        self.alpha = image.shape[2] == 4
        self.image = Image.fromarray(np.ascontiguousarray(image)).convert("RGBA")
        w, h = self.image.size
        self.unit = min(w / 1920, h / 1080)
        self.text = max(9, round(17 * self.unit))
        self.margin = max(4, round(18 * self.unit))
        self.pad = max(3, round(11 * self.unit))

    def panel(self, w: int, h: int, *, circle: bool = False) -> Image.Image:
        """A white rounded panel (or disc) ``w`` x ``h`` with a faint edge, smooth edges."""
        s = SUPERSAMPLE
        big = Image.new("RGBA", (w * s, h * s), (0, 0, 0, 0))
        draw = ImageDraw.Draw(big)
        edge = max(1, round(self.unit * s))
        box = (0, 0, w * s - 1, h * s - 1)
        if circle:
            draw.ellipse(box, fill=PANEL_RGBA, outline=EDGE_RGBA, width=edge)
        else:
            radius = max(2, round(9 * self.unit)) * s
            draw.rounded_rectangle(box, radius, fill=PANEL_RGBA, outline=EDGE_RGBA, width=edge)
        return big.resize((w, h), Image.Resampling.LANCZOS)

    def put(self, panel: Image.Image, x: int, y: int) -> None:
        """Composite ``panel`` with its top-left at (x, y) (clipped to the picture)."""
        self.image.alpha_composite(panel, (max(0, x), max(0, y)))

    def result(self) -> np.ndarray:
        """The picture as RGBA (when it came with alpha) or RGB uint8."""
        return np.asarray(self.image if self.alpha else self.image.convert("RGB"))


def _smooth_shapes(w: int, h: int, shapes: Iterable[tuple[str, list, dict]]) -> Image.Image:
    """Polygons and rectangles drawn supersampled (coordinates in final pixels)."""
    s = SUPERSAMPLE
    big = Image.new("RGBA", (w * s, h * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(big)
    for kind, points, style in shapes:
        scaled = [(x * s, y * s) for x, y in points]
        width = round(style.get("width", 0) * s)
        if kind == "polygon":
            draw.polygon(scaled, fill=style.get("fill"), outline=style.get("outline"),
                         width=max(width, 1))  # fmt: skip
        else:
            draw.rectangle([*scaled[0], *scaled[1]], fill=style.get("fill"),
                           outline=style.get("outline"), width=width)  # fmt: skip
    return big.resize((w, h), Image.Resampling.LANCZOS)


def _draw_title(c: _Canvas, info: OverlayInfo, show: frozenset[str]) -> int:
    """Title and time, top left; returns the panel's bottom edge."""
    lines: list[tuple[str, Font, tuple]] = []
    if "title" in show and info.title:
        lines.append((info.title, font(round(c.text * 1.45), True), INK))
    if "time" in show:
        stamp = info.time.strftime("%Y-%m-%d %H:%M UTC")
        lines.append((stamp, font(c.text), MUTED))
    if not lines:
        return c.margin
    w = max(_text_w(f, t) for t, f, _ in lines) + 2 * c.pad
    gap = round(c.text * 0.25)
    h = sum(_line_h(f) for _, f, _ in lines) + gap * (len(lines) - 1) + 2 * c.pad
    panel = c.panel(w, h)
    draw, y = ImageDraw.Draw(panel), c.pad
    for text, face, ink in lines:
        draw.text((c.pad, y), text, font=face, fill=ink)
        y += _line_h(face) + gap
    c.put(panel, c.margin, c.margin)
    return c.margin + h


def _draw_north(c: _Canvas, angle_deg: float) -> int:
    """A north arrow on a disc, top right; returns the disc's bottom edge."""
    d = round(c.text * 4.2)
    panel = c.panel(d, d, circle=True)
    r, cx, cy = d / 2, d / 2, d / 2
    a = math.radians(angle_deg)

    def at(u: float, v: float) -> tuple[float, float]:  # u right, v up, in radii
        x, y = u * r, v * r
        return cx + x * math.cos(a) + y * math.sin(a), cy - (y * math.cos(a) - x * math.sin(a))

    tip, notch = at(0, 0.36), at(0, -0.4)
    left, right = at(-0.28, -0.64), at(0.28, -0.64)
    line = max(1.0, c.unit * 1.2)
    shapes = [
        ("polygon", [tip, left, notch], {"fill": INK, "outline": INK, "width": line}),
        ("polygon", [tip, notch, right], {"fill": (255, 255, 255, 255), "outline": INK,
                                          "width": line}),
    ]  # fmt: skip
    panel.alpha_composite(_smooth_shapes(d, d, shapes))
    face = font(round(c.text * 0.95), True)
    nx, ny = at(0, 0.66)
    ImageDraw.Draw(panel).text((nx, ny), "N", font=face, fill=INK, anchor="mm")
    x = c.image.width - c.margin - d
    c.put(panel, x, c.margin)
    return c.margin + d


def _draw_scale(c: _Canvas, mpp: float) -> None:
    """A scale bar of a round length in four black and white parts, bottom left."""
    metres = nice_length(mpp * c.image.width * 0.18)
    length = max(1, round(metres / mpp))
    face = font(c.text)
    bar_h = max(3, round(c.text * 0.45))
    labels = ["0", length_label(metres / 2, unit=False), length_label(metres)]
    end_w = _text_w(face, labels[2])
    w = c.pad * 2 + length + end_w // 2 + _text_w(face, "0") // 2
    h = c.pad * 2 + bar_h + round(c.text * 0.35) + _line_h(face)
    panel = c.panel(w, h)
    x0, y0 = c.pad + _text_w(face, "0") // 2, c.pad
    line = max(1.0, c.unit)
    shapes = []
    for i in range(4):
        a, b = x0 + length * i / 4, x0 + length * (i + 1) / 4
        fill = INK if i % 2 == 0 else (255, 255, 255, 255)
        shapes.append(("rect", [(a, y0), (b, y0 + bar_h)], {"fill": fill}))
    shapes.append(("rect", [(x0, y0), (x0 + length, y0 + bar_h)],
                   {"outline": INK, "width": line}))  # fmt: skip
    panel.alpha_composite(_smooth_shapes(w, h, shapes))
    draw = ImageDraw.Draw(panel)
    ty = y0 + bar_h + round(c.text * 0.35)
    for frac, text in zip((0, 0.5, 1), labels):
        draw.text((x0 + length * frac, ty), text, font=face, fill=INK, anchor="ma")
    c.put(panel, c.margin, c.image.height - c.margin - h)


def _ramp_strip(legend: Legend, w: int, h: int) -> Image.Image:
    values = np.array([v for v, _ in legend.ramp], float)
    rgb = np.array([col for _, col in legend.ramp], float)
    at = np.linspace(values[0], values[-1], w)
    row = np.stack([np.interp(at, values, rgb[:, k]) for k in range(3)], axis=1)
    strip = np.repeat(np.rint(row)[None].astype(np.uint8), h, axis=0)
    return Image.fromarray(strip).convert("RGBA")


def _legend_rows(legend: Legend) -> list[tuple[str, tuple[int, int, int, int]]]:
    rows = list(legend.entries)
    if len(rows) > MAX_ENTRIES:
        rows = rows[: MAX_ENTRIES - 1] + [(f"\u2026 {len(rows) - MAX_ENTRIES + 1} more",
                                            (0, 0, 0, 0))]  # fmt: skip
    return rows


def _legend_size(legends: Sequence[Legend], text: int, pad: int) -> tuple[int, int]:
    head, body = font(text, True), font(round(text * 0.9))
    step, w, h = round(text * 1.35), 0, pad
    for legend in legends:
        w = max(w, _text_w(head, legend.title))
        h += _line_h(head) + round(text * 0.3)
        if legend.ramp:
            lo, hi = legend.ramp[0][0], legend.ramp[-1][0]
            labels = f"{lo:,.0f} {legend.unit}   {hi:,.0f} {legend.unit}"
            w = max(w, text * 9, _text_w(body, labels))
            h += round(text * 0.75) + _line_h(body) + round(text * 0.2)
        for label, _ in _legend_rows(legend):
            w = max(w, round(text * 1.5) + _text_w(body, label))
            h += step
        h += round(text * 0.5)
    return w + 2 * pad, h - round(text * 0.5) + pad


def _draw_legend(c: _Canvas, legends: Sequence[Legend], top: int, bottom: int) -> None:
    """The legends of the visible layers, right side, shrunk to fit between top and bottom."""
    text = c.text
    w, h = _legend_size(legends, text, c.pad)
    while h > bottom - top and text > 7:
        text = max(7, round(text * 0.88))
        w, h = _legend_size(legends, text, c.pad)
    pad = c.pad
    head, body = font(text, True), font(round(text * 0.9))
    panel = c.panel(w, h)
    draw = ImageDraw.Draw(panel)
    step, sw, y = round(text * 1.35), round(text * 0.95), pad
    for legend in legends:
        draw.text((pad, y), legend.title, font=head, fill=INK)
        y += _line_h(head) + round(text * 0.3)
        if legend.ramp:
            bar_w, bar_h = w - 2 * pad, round(text * 0.75)
            panel.alpha_composite(_ramp_strip(legend, bar_w, bar_h), (pad, y))
            draw.rectangle([pad, y, pad + bar_w - 1, y + bar_h - 1], outline=EDGE_RGBA)
            y += bar_h + round(text * 0.2)
            lo, hi = legend.ramp[0][0], legend.ramp[-1][0]
            draw.text((pad, y), f"{lo:,.0f} {legend.unit}", font=body, fill=INK)
            draw.text((w - pad, y), f"{hi:,.0f} {legend.unit}", font=body, fill=INK, anchor="ra")
            y += _line_h(body)
        for label, rgba in _legend_rows(legend):
            cy = y + step // 2
            if rgba[3]:
                box = [pad, cy - sw // 2, pad + sw, cy - sw // 2 + sw]
                draw.rectangle(box, fill=rgba, outline=(40, 40, 40, 140))
            draw.text((pad + round(text * 1.5), cy), label, font=body, fill=INK, anchor="lm")
            y += step
        y += round(text * 0.5)
    c.put(panel, c.image.width - c.margin - w, top)


def _draw_attribution(c: _Canvas, lines: Sequence[str]) -> int:
    """Credits, small, bottom right; returns the panel's top edge."""
    face = font(max(8, round(c.text * 0.72)))
    w = max(_text_w(face, t) for t in lines) + 2 * c.pad
    step = round(_line_h(face) * 1.1)
    h = step * len(lines) + 2 * c.pad - (step - _line_h(face))
    panel = c.panel(w, h)
    draw = ImageDraw.Draw(panel)
    for i, text in enumerate(lines):
        draw.text((w - c.pad, c.pad + i * step), text, font=face, fill=MUTED, anchor="ra")
    top = c.image.height - c.margin - h
    c.put(panel, c.image.width - c.margin - w, top)
    return top


def draw_overlays(image: np.ndarray, info: OverlayInfo, options: OverlayOptions) -> np.ndarray:
    """``image`` (uint8 RGB or RGBA, rows from the top) with the overlays of ``options``.

    Returns a new array of the same shape; the input is not changed.
    """
    show = options.show
    if not show:
        return image
    c = _Canvas(image)
    _draw_title(c, info, show)
    right_top = c.margin
    if "north" in show:
        right_top = _draw_north(c, info.north_deg) + c.margin // 2
    right_bottom = c.image.height - c.margin
    if "attribution" in show and info.attribution:
        right_bottom = _draw_attribution(c, info.attribution) - c.margin // 2
    if "scale" in show and info.metres_per_pixel:
        _draw_scale(c, info.metres_per_pixel)
    if "legend" in show and info.legends:
        _draw_legend(c, info.legends, right_top, right_bottom)
    return c.result()
