"""The synthetic demo universe: deterministic, valid, realistic enough to show Drummond Geometry."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from drummond_desktop.core.errors import BadFile
from drummond_desktop.core.paths import resource_path
from drummond_desktop.feeds import demo
from engine.bars import FIELDS, Bars, validate_columns
from engine.drummond import State, analyze

NEW_YORK = ZoneInfo("America/New_York")
UniverseFile = tuple[dict[str, Any], Path]
DAILY = demo.daily_codes()
INTRADAY = demo.intraday_codes()


def _digest(bars: Bars) -> str:
    h = hashlib.sha256()
    for name in FIELDS:
        h.update(getattr(bars, name).tobytes())
    return h.hexdigest()


def _abs_return_acf(close: np.ndarray, lag: int) -> float:
    a = np.abs(np.diff(np.log(close)))
    a = a - a.mean()
    return float(np.dot(a[:-lag], a[lag:]) / np.dot(a, a))


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)


def _without(code: str, **settings: float) -> Bars:
    """The symbol regenerated with some model settings changed (same seed)."""
    symbol = demo.demo_symbol(code)
    return demo.generate(replace(symbol, model=replace(symbol.model, **settings)))


def _longest_run(mask: np.ndarray) -> int:
    best = run = 0
    for flag in mask.tolist():
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


# ------------------------------------------------------------------------------ the universe


def test_label_says_synthetic_and_matches_the_file() -> None:
    assert "SYNTHETIC" in demo.DEMO_LABEL
    doc = json.loads(resource_path("demo", "universe.json").read_text(encoding="utf-8"))
    assert doc["label"] == demo.DEMO_LABEL


def test_universe_is_twenty_daily_and_three_intraday_obviously_synthetic_symbols() -> None:
    universe = demo.demo_universe()
    assert len(DAILY) == 20 and len(INTRADAY) == 3
    assert {s.timeframe for s in universe} == {"1d", "1m"}
    assert len({s.code for s in universe}) == len(universe)
    assert len({s.seed for s in universe}) == len(universe)
    for symbol in universe:
        assert symbol.code.endswith(".DEMO") and symbol.code.startswith("SYN")
        assert symbol.name.startswith("Synthetic ") and symbol.name.endswith("(demo)")


def test_unknown_code_names_it_and_the_valid_codes() -> None:
    with pytest.raises(KeyError) as info:
        demo.demo_bars("AAPL.US")
    message = str(info.value)
    assert "AAPL.US" in message
    assert "SYN01.DEMO" in message and "SYNM1.DEMO" in message


@pytest.fixture
def universe_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[UniverseFile]:
    """Point the loader at a copy of universe.json the test may break."""
    doc = json.loads(resource_path("demo", "universe.json").read_text(encoding="utf-8"))
    path = tmp_path / "universe.json"
    monkeypatch.setattr(demo, "resource_path", lambda *parts: path)
    demo.demo_universe.cache_clear()
    yield doc, path
    demo.demo_universe.cache_clear()


def test_unsupported_version_is_a_bad_file(universe_file: UniverseFile) -> None:
    doc, path = universe_file
    path.write_text(json.dumps({**doc, "version": 99}), encoding="utf-8")
    with pytest.raises(BadFile, match="version 99"):
        demo.demo_universe()


def test_misspelt_setting_is_a_bad_file(universe_file: UniverseFile) -> None:
    doc, path = universe_file
    doc["symbols"][0]["trend_strenght"] = 0.3
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BadFile, match=re.escape("SYN01.DEMO: unknown keys trend_strenght")):
        demo.demo_universe()


def test_invalid_json_names_the_line(universe_file: UniverseFile) -> None:
    _, path = universe_file
    path.write_text('{\n "version": 1,\n oops\n}', encoding="utf-8")
    with pytest.raises(BadFile) as info:
        demo.demo_universe()
    assert info.value.line == 3


# ------------------------------------------------------------------------------ determinism


@pytest.mark.parametrize("code", DAILY + INTRADAY)
def test_same_call_gives_bit_identical_bars(code: str) -> None:
    first, second = demo.demo_bars(code), demo.demo_bars(code)
    assert first is not second
    for name in FIELDS:
        assert getattr(first, name).tobytes() == getattr(second, name).tobytes(), name
    assert (first.symbol, first.timeframe) == (second.symbol, second.timeframe)


def test_another_process_generates_the_same_bits() -> None:
    codes = ("SYN01.DEMO", "SYNM2.DEMO")
    script = (
        "import hashlib, sys\n"
        "from drummond_desktop.feeds.demo import demo_bars\n"
        "from engine.bars import FIELDS\n"
        "for code in sys.argv[1:]:\n"
        "    h = hashlib.sha256()\n"
        "    for name in FIELDS: h.update(getattr(demo_bars(code), name).tobytes())\n"
        "    print(h.hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", script, *codes], cwd=root, check=True,
                         capture_output=True, text=True, timeout=120).stdout.split()
    assert out == [_digest(demo.demo_bars(c)) for c in codes]


# ------------------------------------------------------------------------------ shapes and rules


@pytest.mark.parametrize("code", DAILY + INTRADAY)
def test_bars_keep_every_rule_and_sit_on_the_tick_grid(code: str) -> None:
    bars = demo.demo_bars(code)
    assert isinstance(bars, Bars) and bars.symbol == code
    validate_columns(bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)
    prices = np.concatenate([bars.open, bars.high, bars.low, bars.close])
    assert np.array_equal(prices, np.rint(prices * 100) / 100)
    assert prices.min() >= 0.01
    assert np.array_equal(bars.volume, np.rint(bars.volume)) and bars.volume.min() >= 0
    assert np.all(bars.high > bars.low), "every bar has some range"


@pytest.mark.parametrize("code", DAILY)
def test_daily_bars_are_ten_years_of_weekdays_at_midnight_utc(code: str) -> None:
    bars = demo.demo_bars(code)
    assert bars.timeframe == "1d"
    assert 2600 <= len(bars) <= 2620
    assert np.all(bars.ts % 86_400 == 0)
    days = [datetime.fromtimestamp(int(t), UTC).date() for t in bars.ts]
    assert all(d.weekday() < 5 for d in days)
    assert days[0] == date(2016, 1, 1) and days[-1] == date(2025, 12, 31)
    assert len(bars) == sum(1 for d in range(date(2016, 1, 1).toordinal(),
                                             date(2025, 12, 31).toordinal() + 1)
                            if date.fromordinal(d).weekday() < 5)


@pytest.mark.parametrize("code", INTRADAY)
def test_intraday_bars_are_new_york_sessions_across_a_dst_change(code: str) -> None:
    bars = demo.demo_bars(code)
    assert bars.timeframe == "1m"
    assert len(bars) == 60 * 390
    local = [datetime.fromtimestamp(int(t), NEW_YORK) for t in bars.ts]
    minutes = np.array([dt.hour * 60 + dt.minute for dt in local]).reshape(60, 390)
    assert np.array_equal(minutes, np.tile(np.arange(9 * 60 + 30, 16 * 60), (60, 1)))
    dates = [dt.date() for dt in local[::390]]
    assert len(set(dates)) == 60 and all(d.weekday() < 5 for d in dates)
    assert all(dt.date() == dates[i // 390] for i, dt in enumerate(local))
    offsets = {local[i].utcoffset() for i in range(0, len(local), 390)}
    assert len(offsets) == 2, "the session window should span a daylight-saving change"


@pytest.mark.parametrize("code", INTRADAY)
def test_intraday_opens_continue_the_previous_close_except_at_the_session_open(code: str) -> None:
    bars = demo.demo_bars(code)
    opens, closes = bars.open.reshape(60, 390), bars.close.reshape(60, 390)
    assert np.array_equal(opens[:, 1:], closes[:, :-1])
    assert np.count_nonzero(opens[1:, 0] != closes[:-1, -1]) >= 50


# ------------------------------------------------------------------------------ realism


@pytest.mark.parametrize("code", DAILY)
def test_daily_series_have_trends_and_congestion(code: str) -> None:
    state = analyze(demo.demo_bars(code)).state
    for wanted in (State.TREND, State.CONG_ACTION):
        share = np.mean(state == wanted)
        assert share > 0.15, f"{State(wanted).name} covers only {share:.1%} of the bars"
    assert _longest_run(state == State.TREND) >= 10
    assert _longest_run(np.isin(state, (State.CONG_ENTRANCE, State.CONG_ACTION))) >= 8


@pytest.mark.parametrize("code", DAILY)
def test_trend_regimes_lengthen_the_trends(code: str) -> None:
    # An ablation: the same shocks without the trend drift give shorter Drummond trends.
    with_trends = analyze(demo.demo_bars(code)).state == State.TREND
    without = analyze(_without(code, trend_strength=0.0)).state == State.TREND
    assert _run_lengths(with_trends).mean() > _run_lengths(without).mean() + 0.2


def test_range_regimes_add_congestion() -> None:
    # An ablation: without the pull back to the range's anchor, less time in congestion.
    congestion = (State.CONG_ENTRANCE, State.CONG_ACTION)
    with_ranges = [np.isin(analyze(demo.demo_bars(c)).state, congestion).mean() for c in DAILY]
    without = [np.isin(analyze(_without(c, range_kappa=1e-9)).state, congestion).mean()
               for c in DAILY]
    assert np.mean(with_ranges) > np.mean(without) + 0.01


@pytest.mark.parametrize("code", DAILY)
def test_volatility_clusters(code: str) -> None:
    close = demo.demo_bars(code).close
    assert _abs_return_acf(close, 1) > 0.05
    assert np.mean([_abs_return_acf(close, lag) for lag in range(1, 11)]) > 0.05


def test_volatility_clustering_is_not_an_accident_of_the_measure() -> None:
    # The same statistic on shuffled returns (no clustering left) should be near zero.
    close = demo.demo_bars("SYN01.DEMO").close
    returns = np.diff(np.log(close))
    shuffled = np.exp(np.concatenate(([0.0], np.cumsum(np.random.default_rng(0).permutation(
        returns)))))
    assert abs(_abs_return_acf(shuffled, 1)) < 0.05 < _abs_return_acf(close, 1)


@pytest.mark.parametrize("code", DAILY)
def test_daily_bars_gap_and_volume_follows_the_move(code: str) -> None:
    bars = demo.demo_bars(code)
    gaps = np.log(bars.open[1:] / bars.close[:-1])
    assert np.mean(gaps != 0) > 0.8
    assert np.max(np.abs(gaps)) > 4 * np.std(gaps), "occasional bigger gaps"
    moves = np.abs(np.diff(np.log(bars.close)))
    assert np.corrcoef(moves, np.log(bars.volume[1:]))[0, 1] > 0.2
