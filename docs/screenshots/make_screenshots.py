"""Regenerate the screenshots of the main views in this folder (offscreen, demo data).

    QT_QPA_PLATFORM=offscreen .venv/bin/python docs/screenshots/make_screenshots.py

Uses throw-away user directories, so nothing of yours is read or changed. ``workspace-demo.png``
comes from ``drummond-desktop --demo --screenshot`` (the README's command).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _wait(app, until, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def _views() -> None:
    from drummond_desktop.app.application import create_qapp
    from drummond_desktop.app.controllers.workspace import Workspace
    from drummond_desktop.app.main_window import layout_settings
    from drummond_desktop.app.views.settings_dialog import SettingsDialog
    from drummond_desktop.app.workers import TaskRunner
    from drummond_desktop.bootstrap import AppContext
    from drummond_desktop.core.settings import Settings
    from drummond_desktop.services.analysis import AnalysisService
    from drummond_desktop.services.chart_data import ChartDataService
    from drummond_desktop.store import open_user_store

    app = create_qapp()
    ctx = AppContext()
    store = open_user_store()
    ws = Workspace(TaskRunner(), ChartDataService(AnalysisService(), ctx.market_data),
                   layout_settings(Path(os.environ["DRUMMOND_CONFIG_DIR"]) / "layout.ini"),
                   demo=True, database="none (synthetic demo data)",
                   user_store=lambda: store)
    ws.window.resize(1600, 900)
    ws.window.show()
    ws.start("SYN03.DEMO", restore_layout=False)
    _wait(app, lambda: ws.chart.current is not None and ws.watchlists.loaded)
    # two panes: the daily chart with drawings, and an intraday symbol at 5m
    model = ws.drawings.model()
    _wait(app, lambda: model.symbol == "SYN03.DEMO" and not model.loading)
    bars = ws.chart.current.bars
    t = [int(x) for x in bars.ts[-120:]]
    lo, hi = float(bars.low[-120:].min()), float(bars.high[-120:].max())
    model.create("trend", ((t[5], lo), (t[80], lo + (hi - lo) * 0.6)))
    model.create("level", ((t[60], hi),))
    model.create("rect", ((t[90], lo + (hi - lo) * 0.2), (t[110], lo + (hi - lo) * 0.35)))
    model.create("measure", ((t[20], float(bars.close[-100])), (t[70], float(bars.close[-50]))))
    model.create("text", ((t[30], hi),), "watch the block level")
    ws.window.split_right_action.trigger()
    ws.window.symbol_chosen.emit("SYNM1.DEMO")
    _wait(app, lambda: ws.chart.current is not None and ws.chart.symbol == "SYNM1.DEMO")
    ws.window.interval_chosen.emit("5m")
    _wait(app, lambda: ws.chart.current is not None and ws.chart.interval == "5m"
          and ws.chart.current.bars.timeframe == "5m")
    _wait(app, lambda: ws.runner.pending() == 0)
    app.processEvents()
    ws.window.grab().save(str(HERE / "workspace-split.png"))
    dialog = SettingsDialog(ctx.secret_store(), Settings(), parent=ws.window)
    dialog.tabs.setCurrentWidget(dialog.dg_page)
    dialog.resize(720, 640)
    dialog.show()
    app.processEvents()
    dialog.grab().save(str(HERE / "settings-dg.png"))
    dialog.tabs.setCurrentWidget(dialog.appearance_page)
    app.processEvents()
    dialog.grab().save(str(HERE / "settings-appearance.png"))
    dialog.close()
    ws.shutdown(10.0)
    store.close()
    ctx.close()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        from drummond_desktop.core.paths import numba_cache_dir

        # your compiled kernels are reused (a cold cache would only make this slower)
        os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
        for name in ("DATA", "CONFIG", "LOG"):
            os.environ[f"DRUMMOND_{name}_DIR"] = str(Path(tmp) / name.lower())
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        subprocess.run([sys.executable, "-m", "drummond_desktop.bootstrap", "--demo",
                        "--screenshot", str(HERE / "workspace-demo.png")], check=True)
        _views()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
