"""Draw the Drummond Desktop logo and write the icon files the installers use.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [OUT_DIR]

writes into ``resources/icons/`` (or OUT_DIR):

* ``drummond-desktop.png``  512 px: the window icon and the Linux desktop entry's icon;
* ``drummond-desktop.ico``  16..256 px, PNG-compressed entries (Windows exe and installer);
* ``drummond-desktop.icns`` ``ic07``..``ic10`` (128..1024 px) PNG entries (the macOS bundle);
* ``drummond-desktop.svg``  the same drawing as vectors (docs, the web).

The logo is a dark rounded square with a Drummond envelope (a teal band), a price line through it
and the PLdot as a row of amber dots. Each size is painted from the vectors rather than scaled
down from a big bitmap, so 16 px stays sharp. Qt has no ICO/ICNS writer everywhere (the ICNS
plugin is macOS-only and the ICO one writes BMP entries), so both containers are written here.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

BASENAME = "drummond-desktop"
PNG_SIZE = 512
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS types that hold a PNG: 128, 256, 512 and 1024 (512@2x) px.
ICNS_TYPES = {b"ic07": 128, b"ic08": 256, b"ic09": 512, b"ic10": 1024}

# The drawing on a unit square (y down), shared by the painter and the SVG writer.
INSET, RADIUS = 0.055, 0.2
BG_TOP, BG_BOTTOM = "#27344d", "#111722"
BAND, BAND_EDGE, PRICE, PLDOT = "#38bdaa", "#38bdaa", "#eef2f8", "#f5b942"
BAND_ALPHA = 0.28
X0, X1 = 0.17, 0.83
MID0, MID1 = 0.66, 0.38  # the PLdot's y at X0 and X1 (rising to the right)
HALF_BAND = 0.15
PRICE_LINE = ((0.17, 0.69), (0.28, 0.555), (0.39, 0.645), (0.52, 0.44), (0.63, 0.52),
              (0.74, 0.33), (0.83, 0.405))


def _mid(x: float) -> float:
    return MID0 + (MID1 - MID0) * (x - X0) / (X1 - X0)


def _dots(size: int) -> list[tuple[float, float]]:
    # Fewer, bigger dots at toolbar sizes: six would merge into a smudge at 16 px.
    count = 6 if size >= 48 else 3
    xs = [X0 + 0.04 + i * (X1 - X0 - 0.08) / (count - 1) for i in range(count)]
    return [(x, _mid(x)) for x in xs]


def _widths(size: int) -> tuple[float, float, float]:
    """Band edge, price line and dot radius in pixels (never thinner than a device pixel)."""
    return max(1.0, size * 0.028), max(1.3, size * 0.05), max(1.1, size * 0.032)


def render_png(size: int) -> bytes:
    """The logo painted at ``size`` x ``size`` px, PNG-encoded (needs no QGuiApplication)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QImage, QLinearGradient, QPainter, QPen, QPolygonF

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        s = float(size)
        grad = QLinearGradient(0, 0, 0, s)
        grad.setColorAt(0, QColor(BG_TOP))
        grad.setColorAt(1, QColor(BG_BOTTOM))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(grad))
        box = QRectF(INSET * s, INSET * s, (1 - 2 * INSET) * s, (1 - 2 * INSET) * s)
        p.drawRoundedRect(box, RADIUS * s, RADIUS * s)

        edge_w, price_w, dot_r = _widths(size)
        upper = [QPointF(x * s, (_mid(x) - HALF_BAND) * s) for x in (X0, X1)]
        lower = [QPointF(x * s, (_mid(x) + HALF_BAND) * s) for x in (X0, X1)]
        band = QColor(BAND)
        band.setAlphaF(BAND_ALPHA)
        p.setBrush(band)
        p.drawPolygon(QPolygonF([*upper, *reversed(lower)]))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(BAND_EDGE), edge_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(upper[0], upper[1])
        p.drawLine(lower[0], lower[1])

        p.setPen(QPen(QColor(PRICE), price_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.drawPolyline(QPolygonF([QPointF(x * s, y * s) for x, y in PRICE_LINE]))

        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(PLDOT))
        for x, y in _dots(size):
            p.drawEllipse(QPointF(x * s, y * s), dot_r, dot_r)
    finally:
        p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6's stubs ask for bytes here, but at run time only str is accepted.
    if not image.save(buf, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError(f"Qt could not encode the {size} px icon as PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """An ICO container (header, 16-byte directory entries, payloads) holding PNG images.

    Windows Vista and later read PNG payloads; a width/height byte of 0 means 256 px."""
    if not pngs:
        raise ValueError("an ICO file needs at least one image")
    sizes = sorted(pngs)
    if sizes[0] < 1 or sizes[-1] > 256:
        raise ValueError(f"ICO sizes must be 1..256 px, got {sizes}")
    out = [struct.pack("<HHH", 0, 1, len(sizes))]
    offset = 6 + 16 * len(sizes)
    for size in sizes:
        dim = size % 256  # 256 is written as 0
        out.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(pngs[size]), offset))
        offset += len(pngs[size])
    out.extend(pngs[size] for size in sizes)
    return b"".join(out)


def icns_bytes(entries: Sequence[tuple[bytes, bytes]]) -> bytes:
    """An ICNS container: ``icns`` + total length, then per entry its 4-byte type, length
    (including the 8-byte entry header) and PNG payload; all lengths big-endian."""
    if not entries:
        raise ValueError("an ICNS file needs at least one image")
    chunks = []
    for kind, png in entries:
        if len(kind) != 4:
            raise ValueError(f"ICNS entry type must be 4 bytes, got {kind!r}")
        chunks.append(kind + struct.pack(">I", 8 + len(png)) + png)
    body = b"".join(chunks)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def svg_text(size: int = PNG_SIZE) -> str:
    """The same drawing as an SVG document (viewBox ``size`` x ``size``)."""
    s = float(size)
    edge_w, price_w, dot_r = _widths(size)

    def pt(x: float, y: float) -> str:
        return f"{x * s:.2f},{y * s:.2f}"

    corners = [(X0, _mid(X0) - HALF_BAND), (X1, _mid(X1) - HALF_BAND),
               (X1, _mid(X1) + HALF_BAND), (X0, _mid(X0) + HALF_BAND)]
    side = (1 - 2 * INSET) * s
    dots = "".join(f'<circle cx="{x * s:.2f}" cy="{y * s:.2f}" r="{dot_r:.2f}"/>'
                   for x, y in _dots(size))

    def line(a: tuple[float, float], b: tuple[float, float]) -> str:
        return (f'<line x1="{a[0] * s:.2f}" y1="{a[1] * s:.2f}" '
                f'x2="{b[0] * s:.2f}" y2="{b[1] * s:.2f}"/>')

    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}">\n'
        '<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{BG_TOP}"/><stop offset="1" stop-color="{BG_BOTTOM}"/>'
        '</linearGradient></defs>\n'
        f'<rect x="{INSET * s:.2f}" y="{INSET * s:.2f}" width="{side:.2f}" height="{side:.2f}" '
        f'rx="{RADIUS * s:.2f}" fill="url(#bg)"/>\n'
        f'<polygon points="{" ".join(pt(x, y) for x, y in corners)}" fill="{BAND}" '
        f'fill-opacity="{BAND_ALPHA}"/>\n'
        f'<g stroke="{BAND_EDGE}" stroke-width="{edge_w:.2f}" stroke-linecap="round">'
        f'{line(corners[0], corners[1])}{line(corners[3], corners[2])}</g>\n'
        f'<polyline points="{" ".join(pt(x, y) for x, y in PRICE_LINE)}" fill="none" '
        f'stroke="{PRICE}" stroke-width="{price_w:.2f}" stroke-linecap="round" '
        'stroke-linejoin="round"/>\n'
        f'<g fill="{PLDOT}">{dots}</g>\n'
        '</svg>\n'
    )


def write_icons(out_dir: Path) -> list[Path]:
    """Write the PNG, ICO, ICNS and SVG files into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = sorted({PNG_SIZE, *ICO_SIZES, *ICNS_TYPES.values()})
    pngs = {size: render_png(size) for size in sizes}
    files = {
        f"{BASENAME}.png": pngs[PNG_SIZE],
        f"{BASENAME}.ico": ico_bytes({size: pngs[size] for size in ICO_SIZES}),
        f"{BASENAME}.icns": icns_bytes([(kind, pngs[size]) for kind, size in ICNS_TYPES.items()]),
        f"{BASENAME}.svg": svg_text().encode("utf-8"),
    }
    written = []
    for name, data in files.items():
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(__file__).resolve().parents[1]
    out_dir = Path(args[0]) if args else root / "resources" / "icons"
    from PySide6.QtGui import QGuiApplication

    # Encoding PNGs needs Qt's image plugins, which a (headless) QGuiApplication sets up.
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    for path in write_icons(out_dir):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
