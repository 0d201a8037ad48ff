"""Split/dividend adjustment against a hand-computed example."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pytest

from drummond_desktop.store import Dividend, MarketStore, Split, adjust
from drummond_desktop.store.adjust import raw_amount
from engine.bars import Bars

D = dt.date
DAYS = [D(2024, 1, 2), D(2024, 1, 3), D(2024, 1, 4), D(2024, 1, 5), D(2024, 1, 8),
        D(2024, 1, 9)]
TS = [int(dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp()) for d in DAYS]
CLOSE = [100.0, 102.0, 104.0, 52.0, 53.0, 50.0]  # a 2-for-1 split before Jan 5

SPLITS = [Split(D(2024, 1, 5), 2.0, 1.0)]
DIVIDENDS = [
    # value is in today's (post-split) shares; paid 1.02 per old share: 1 - 1.02/100 = 0.9898
    Dividend(D(2024, 1, 3), value=0.51),
    # paid 1.06 per share with the Jan 8 close at 53: 1 - 1.06/53 = 0.98
    Dividend(D(2024, 1, 9), value=1.06, unadjusted_value=1.06),
]


def _bars() -> Bars:
    c = np.array(CLOSE)
    return Bars.from_arrays(TS, c, c + 1.0, c - 1.0, c, np.full(6, 1000.0),
                            symbol="X.US", timeframe="1d")


def test_splits_only():
    out = adjust(_bars(), SPLITS, DIVIDENDS, "splits")
    assert out.close.tolist() == [50.0, 51.0, 52.0, 52.0, 53.0, 50.0]
    assert out.high.tolist() == [50.5, 51.5, 52.5, 53.0, 54.0, 51.0]
    assert out.volume.tolist() == [2000.0, 2000.0, 2000.0, 1000.0, 1000.0, 1000.0]
    assert out.ts.tolist() == TS and out.symbol == "X.US"


def test_splits_and_dividends():
    out = adjust(_bars(), SPLITS, DIVIDENDS, "all")
    expect = [100 / 2 * 0.9898 * 0.98, 102 / 2 * 0.98, 104 / 2 * 0.98, 52 * 0.98, 53 * 0.98, 50]
    assert out.close.tolist() == pytest.approx(expect, rel=1e-14)
    assert out.low[0] == pytest.approx(99 / 2 * 0.9898 * 0.98, rel=1e-14)
    assert out.volume.tolist() == [2000.0, 2000.0, 2000.0, 1000.0, 1000.0, 1000.0]


def test_none_returns_the_raw_bars():
    bars = _bars()
    assert adjust(bars, SPLITS, DIVIDENDS, "none") is bars


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="adjust mode 'dividends'"):
        adjust(_bars(), SPLITS, DIVIDENDS, "dividends")  # type: ignore[arg-type]


def test_raw_amount_rebuilds_the_paid_dividend():
    assert raw_amount(DIVIDENDS[0], SPLITS) == pytest.approx(1.02)
    assert raw_amount(DIVIDENDS[1], SPLITS) == 1.06
    assert raw_amount(Dividend(D(2024, 2, 1), value=0.5), SPLITS) == 0.5  # after the split


def test_actions_outside_the_bars():
    bars = _bars()
    # a split after the last bar rescales everything; actions before the first bar do nothing
    later = adjust(bars, [Split(D(2024, 2, 1), 4, 1)], [], "splits")
    assert later.close.tolist() == [c / 4 for c in CLOSE]
    early = adjust(bars, [Split(D(2023, 1, 2), 4, 1)], [Dividend(D(2023, 5, 1), 1.0)], "all")
    assert early.close.tolist() == CLOSE
    # nonsense dividends (>= the close, or <= 0) are ignored rather than flipping prices
    odd = adjust(bars, [], [Dividend(D(2024, 1, 3), 500.0, 500.0),
                            Dividend(D(2024, 1, 4), -1.0, -1.0)], "all")
    assert odd.close.tolist() == CLOSE


def test_intraday_bars_before_the_ex_date():
    day = TS[3]  # Jan 5 00:00 UTC
    ts = [day - 3600, day - 60, day + 14 * 3600, day + 15 * 3600]
    c = np.array([104.0, 104.0, 52.0, 52.0])
    bars = Bars.from_arrays(ts, c, c, c, c, np.ones(4), timeframe="1h")
    assert adjust(bars, SPLITS, [], "splits").close.tolist() == [52.0] * 4


def test_invalid_split_ratio_is_refused():
    with pytest.raises(ValueError, match=re.escape("ratio 0.0/1.0 must be positive")):
        Split(D(2024, 1, 5), 0.0, 1.0)


def test_adjust_from_the_store(store: MarketStore):
    store.bars.upsert("X.US", "1d", _bars())
    store.actions.upsert_splits("X.US", SPLITS)
    store.actions.upsert_dividends("X.US", DIVIDENDS)
    assert store.actions.splits("X.US") == SPLITS
    assert store.actions.dividends("X.US") == DIVIDENDS
    assert store.actions.latest_date("X.US") == D(2024, 1, 9)
    out = adjust(store.bars.load("X.US", "1d"), store.actions.splits("X.US"),
                 store.actions.dividends("X.US"), "all")
    assert out.close.tolist() == pytest.approx(adjust(_bars(), SPLITS, DIVIDENDS, "all")
                                               .close.tolist(), rel=0)
    # a corrected action replaces the stored one of the same date
    store.actions.upsert_splits("X.US", [Split(D(2024, 1, 5), 3.0, 1.0)])
    assert store.actions.splits("X.US") == [Split(D(2024, 1, 5), 3.0, 1.0)]
    assert store.actions.splits("NONE.US") == [] and store.actions.latest_date("NONE.US") is None


def test_same_day_actions_combine(store: MarketStore):
    store.actions.upsert_dividends("X.US", [Dividend(D(2024, 3, 1), 0.5, 0.5, "USD"),
                                            Dividend(D(2024, 3, 1), 2.0, 2.0, "USD")])
    assert store.actions.dividends("X.US") == [Dividend(D(2024, 3, 1), 2.5, 2.5, "USD")]
    store.actions.upsert_splits("X.US", [Split(D(2024, 3, 1), 2, 1), Split(D(2024, 3, 1), 3, 2)])
    assert [s.ratio for s in store.actions.splits("X.US")] == [3.0]
