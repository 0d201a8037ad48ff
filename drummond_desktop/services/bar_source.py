"""A symbol's bars at any interval: the stored series, else one built from the finest stored
series it can be built from (``services.timeframes``), e.g. ``1w`` from daily bars, ``1h`` from
minute bars, ``1M`` from daily bars that are themselves built from intraday ones.

Shared by the chart (``ChartDataService``) and the CLI's ``export bars --interval``, so the two
build a timeframe the same way. Qt-free; the store is reached through the ``load`` callable.
"""

from __future__ import annotations

from collections.abc import Callable

from drummond_desktop.core.errors import DataError
from drummond_desktop.core.tasks import CancelToken
from drummond_desktop.services import timeframes
from drummond_desktop.services.timeframes import BuiltBars
from engine.bars import Bars
from engine.resample import Session

LoadStored = Callable[[str], Bars | None]  # store interval name -> bars, None when not stored


def stored_or_built(load: LoadStored, symbol: str, interval: str,
                    session: Callable[[], Session], now: float,
                    cancel: CancelToken | None = None) -> tuple[Bars, BuiltBars | None]:
    """The stored ``interval`` series (and None), else the built one (and how it was built).
    ``session`` is called only when something is built; ``now`` (epoch seconds) decides whether
    a built last bar is complete. ``DataError`` when nothing it could come from is stored."""
    interval = timeframes.canonical(interval)
    stored = load(timeframes.store_name(interval))
    if stored is not None:
        return stored, None
    for base in timeframes.base_candidates(interval):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if base == "1d":
            try:
                bars, _ = stored_or_built(load, symbol, base, session, now, cancel)
            except DataError:
                continue
        elif (found := load(base)) is not None:
            bars = found
        else:
            continue
        built = timeframes.build(_named(bars, base), interval, session(), now=now)
        return built.bars, built
    if interval not in timeframes.INTERVALS:
        known = " ".join(timeframes.INTERVALS)
        raise DataError(f"{symbol}: no {interval} bars stored and {interval} cannot be built",
                        user_message=f"{symbol}: no {interval} bars stored, and {interval} is "
                                     f"not an interval that can be built ({known})")
    raise DataError(f"no data for {symbol} {interval}",
                    user_message=f"no data for {symbol} {interval}")


def _named(bars: Bars, interval: str) -> Bars:
    """``bars`` named ``interval`` (stored monthly bars say ``1mo``; the switch says ``1M``)."""
    if bars.timeframe == interval:
        return bars
    return Bars(ts=bars.ts, open=bars.open, high=bars.high, low=bars.low, close=bars.close,
                volume=bars.volume, symbol=bars.symbol, timeframe=interval, _validated=True)
