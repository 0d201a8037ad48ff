"""Chart colours: one frozen dataclass per theme; items read it, never global config."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from PySide6 import QtCore, QtGui

Rgba = tuple[int, int, int, int]


@dataclass(frozen=True)
class ChartStyle:
    """Every colour the chart draws with, as RGBA tuples (Qt-free values, cheap to compare)."""

    name: str
    background: Rgba
    foreground: Rgba
    grid_alpha: float
    up: Rgba
    down: Rgba
    volume_up: Rgba
    volume_down: Rgba
    pldot: Rgba
    pldot_projected: Rgba
    envelope: Rgba
    envelope_fill: Rgba
    one_one: Rgba
    line_hh: Rgba
    line_ll: Rgba
    line_lh: Rgba
    line_hl: Rgba
    zone_resistance: Rgba
    zone_support: Rgba
    zone_inside: Rgba
    congestion_dotted: Rgba
    congestion_block: Rgba
    state_trend_up: Rgba
    state_trend_down: Rgba
    state_entrance: Rgba
    state_action: Rgba
    state_exit: Rgba
    state_reversal: Rgba
    state_undefined: Rgba
    marker_push: Rgba
    marker_refresh: Rgba
    marker_exhaust: Rgba
    marker_cwave: Rgba
    crosshair: Rgba
    future_slot: Rgba
    price_line: Rgba = (41, 98, 255, 255)  # the "line" bar style

    def with_(self, **changes: Rgba) -> ChartStyle:
        """A copy with some colours changed (settings dialog overrides)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def qcolor(rgba: Rgba, alpha: int | None = None) -> QtGui.QColor:
    """``rgba`` as a QColor, optionally with another alpha."""
    r, g, b, a = rgba
    return QtGui.QColor(r, g, b, a if alpha is None else alpha)


def opaque_over(rgba: Rgba, background: Rgba) -> QtGui.QColor:
    """``rgba`` blended over the opaque ``background``, as an opaque colour: the same pixels for
    fills that only cover the background (and the faint grid), several times cheaper to raster
    than a translucent fill."""
    a = rgba[3] / 255.0
    r, g, b = (round(c * a + bg * (1.0 - a)) for c, bg in zip(rgba[:3], background[:3],
                                                              strict=True))
    return QtGui.QColor(r, g, b)


DARK = ChartStyle(
    name="dark", background=(19, 23, 34, 255), foreground=(190, 196, 206, 255), grid_alpha=0.12,
    up=(38, 166, 154, 255), down=(239, 83, 80, 255),
    volume_up=(38, 166, 154, 140), volume_down=(239, 83, 80, 140),
    pldot=(255, 213, 79, 255), pldot_projected=(255, 255, 255, 255),
    envelope=(100, 181, 246, 200), envelope_fill=(100, 181, 246, 28),
    one_one=(186, 104, 200, 220),
    line_hh=(239, 154, 154, 255), line_ll=(129, 199, 132, 255),
    line_lh=(255, 183, 77, 255), line_hl=(79, 195, 247, 255),
    zone_resistance=(239, 83, 80, 255), zone_support=(38, 166, 154, 255),
    zone_inside=(255, 213, 79, 255),
    congestion_dotted=(224, 224, 224, 220), congestion_block=(255, 167, 38, 220),
    state_trend_up=(38, 166, 154, 255), state_trend_down=(239, 83, 80, 255),
    state_entrance=(255, 213, 79, 255), state_action=(120, 144, 156, 255),
    state_exit=(171, 71, 188, 255), state_reversal=(255, 112, 67, 255),
    state_undefined=(55, 61, 75, 255),
    marker_push=(129, 212, 250, 255), marker_refresh=(255, 241, 118, 255),
    marker_exhaust=(255, 82, 82, 255), marker_cwave=(206, 147, 216, 255),
    crosshair=(160, 166, 176, 160), future_slot=(255, 255, 255, 10),
)

LIGHT = replace(
    DARK, name="light", background=(255, 255, 255, 255), foreground=(40, 44, 52, 255),
    grid_alpha=0.15, up=(8, 153, 129, 255), down=(242, 54, 69, 255),
    volume_up=(8, 153, 129, 120), volume_down=(242, 54, 69, 120),
    pldot=(230, 140, 0, 255), pldot_projected=(0, 0, 0, 255),
    envelope=(30, 136, 229, 200), envelope_fill=(30, 136, 229, 24),
    one_one=(142, 36, 170, 220), line_hh=(198, 40, 40, 255), line_ll=(46, 125, 50, 255),
    line_lh=(239, 108, 0, 255), line_hl=(2, 136, 209, 255),
    congestion_dotted=(66, 66, 66, 220), congestion_block=(230, 81, 0, 220),
    state_undefined=(224, 224, 224, 255), state_action=(144, 164, 174, 255),
    marker_push=(2, 136, 209, 255), marker_refresh=(249, 168, 37, 255),
    marker_cwave=(142, 36, 170, 255), crosshair=(90, 90, 90, 160),
    future_slot=(0, 0, 0, 8), price_line=(33, 81, 216, 255),
)

THEMES: dict[str, ChartStyle] = {"dark": DARK, "light": LIGHT}


_SPRITES: dict[tuple[int, float, bool], QtGui.QPixmap] = {}


def dot_sprite(colour: QtGui.QColor, diameter: float, square: bool = False) -> QtGui.QPixmap:
    """A round (or square) dot of ``diameter`` px, antialiased, on a transparent pixmap: drawn
    once per colour and size, then blitted per point (``DrawList.sprites``)."""
    key = (colour.rgba(), float(diameter), square)
    hit = _SPRITES.get(key)
    if hit is not None:
        return hit
    side = math.ceil(diameter) + 2
    pm = QtGui.QPixmap(side, side)
    pm.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pm)
    p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing, not square)
    p.setPen(QtCore.Qt.PenStyle.NoPen)
    p.setBrush(colour)
    rect = QtCore.QRectF((side - diameter) / 2, (side - diameter) / 2, diameter, diameter)
    if square:
        p.drawRect(rect)
    else:
        p.drawEllipse(rect)
    p.end()
    _SPRITES[key] = pm
    return pm


def sprite_atlas(sprites: list[QtGui.QPixmap]) -> tuple[QtGui.QPixmap, list[float]]:
    """The sprites side by side in one pixmap, and the left edge of each: one
    ``drawPixmapFragments`` then draws points of every kind."""
    width = sum(pm.width() for pm in sprites)
    height = max((pm.height() for pm in sprites), default=1)
    atlas = QtGui.QPixmap(max(width, 1), height)
    atlas.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(atlas)
    lefts, x = [], 0
    for pm in sprites:
        p.drawPixmap(x, (height - pm.height()) // 2, pm)
        lefts.append(float(x))
        x += pm.width()
    p.end()
    return atlas, lefts
