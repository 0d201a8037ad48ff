"""The self-test's ``chart`` check: a real ``ChartWidget`` draws the spec's ten golden bars and
their Drummond Geometry overlay offscreen, and the grabbed image must not be blank.

Qt is imported inside ``check_chart`` only, so a build missing a Qt plugin or library reports a
FAIL line instead of failing to start the self-test. The rest of the self-test lives in
``drummond_desktop.selftest``; the composition root (``bootstrap``) hands this check to it.
"""

from __future__ import annotations

import os
from typing import Any

from drummond_desktop.selftest import CheckFailed

WIDTH, HEIGHT = 900, 560
# Background, grid, up/down candles, volume, envelope, PLdot, zones, text: a drawn chart has
# dozens of colours (anti-aliasing adds more); a blank or background-only grab has one or two.
MIN_COLOURS = 12
SAMPLE_STEP = 3


def check_chart() -> str:
    # Never show a window: a self-test runs headless (CI, a terminal) unless told otherwise.
    if not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtGui import QGuiApplication

    from drummond_desktop.app.application import create_qapp
    from drummond_desktop.app.chart.chart_widget import ChartWidget
    from engine import golden
    from engine.drummond import analyze, zones

    app = create_qapp()
    bars = golden.bars()
    result = analyze(bars)
    widget = ChartWidget()
    try:
        widget.resize(WIDTH, HEIGHT)
        widget.set_data(bars, result, zones(result))
        widget.show_all()
        widget.show()
        app.processEvents()
        image = widget.grab().toImage()
    finally:
        widget.close()
        widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if image.isNull() or image.width() == 0:
        raise CheckFailed(f"the chart grab is empty (Qt platform "
                          f"{QGuiApplication.platformName()})")
    colours = distinct_colours(image)
    where = f"{image.width()}x{image.height()} px on Qt platform {QGuiApplication.platformName()}"
    if colours < MIN_COLOURS:
        raise CheckFailed(f"the chart looks blank: {colours} distinct colours (need "
                          f"{MIN_COLOURS}), {where}")
    return f"{len(bars)} golden bars with their DG overlay drawn, {colours} colours, {where}"


def distinct_colours(image: Any, step: int = SAMPLE_STEP) -> int:
    """How many different pixel values a grid of every ``step``-th pixel holds."""
    return len({image.pixel(x, y) for x in range(0, image.width(), step)
                for y in range(0, image.height(), step)})
