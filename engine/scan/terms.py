"""The scanner's vocabulary: every term a scan expression can name, and what it reads.

* **bar fields** ``open high low close volume``;
* **Drummond fields**: every array of ``DGResult`` by its name (``pldot etop ebot ar3
  one_one_high one_one_low slope dot_shape line_hh ... side state trend_dir prior_dir run_len
  dotted block conf_hi conf_lo push_up push_down refresh_from_above exhaust_up_confirmed
  cwave_up ...``); boolean arrays are flags, the others numbers;
* **derived flags** ``trend_up`` (trend_dir == 1), ``trend_down`` (trend_dir == -1),
  ``congestion`` (state is congestion entrance or action);
* **state names** ``undef trend cong_entrance cong_action cong_exit reversal`` (the codes of
  ``engine.drummond.State``; ``trend_reversal`` is an alias of ``reversal``);
* **indicators**, called like functions with optional arguments (defaults filled in):
  ``FUNCTIONS`` maps a name to its parameters and a callable on ``Bars``; ``register`` adds one.
  A name not in the table is looked up in ``engine.indicators.catalog`` when that module exists
  (single-output specs by name, multi-output ones as ``<name>_<output>``);
* **zone sets** ``support_zone resistance_zone zone`` (only right of ``within``).

Importing this module loads numpy only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.bars import Bars
from engine.drummond.result import PER_BAR_FIELDS, PROJECTED_FIELDS, State

F64 = npt.NDArray[np.float64]
Kind = Literal["number", "flag", "zone"]
Source = Literal["bar", "projected", "per_bar", "derived", "constant", "function", "zone"]

# timeframe prefix -> resample rule (engine.resample)
TIMEFRAMES: dict[str, str] = {"daily": "1d", "weekly": "1w", "monthly": "1mo"}
BAR_FIELDS = ("open", "high", "low", "close", "volume")
DERIVED = {"trend_up": "trend_dir == 1", "trend_down": "trend_dir == -1",
           "congestion": "state is cong_entrance or cong_action"}
STATE_NAMES: dict[str, State] = {
    "undef": State.UNDEF, "trend": State.TREND, "cong_entrance": State.CONG_ENTRANCE,
    "cong_action": State.CONG_ACTION, "cong_exit": State.CONG_EXIT,
    "reversal": State.TREND_REVERSAL, "trend_reversal": State.TREND_REVERSAL,
}
ZONES = {"support_zone": "S", "resistance_zone": "R", "zone": "SRP"}
# What the batch kernel (engine.nb.scan, TAIL_F_ROWS + TAIL_I_ROWS) provides for the prefilter.
BATCH_FIELDS = frozenset((
    "pldot", "etop", "ebot", "ar3", "one_one_dot", "one_one_high", "one_one_low", "slope",
    "side", "dotted", "block", "conf_hi", "conf_lo", "state", "trend_dir", "prior_dir",
    "run_len", "run_side", "conf_expanded", "continued_entrance"))


@dataclass(frozen=True)
class Param:
    name: str
    default: float
    integer: bool


@dataclass(frozen=True)
class Function:
    """An indicator term: ``compute(bars, args)`` gives one float array as long as ``bars``."""

    params: tuple[Param, ...]
    compute: Callable[[Bars, tuple[float, ...]], F64]
    doc: str


@dataclass(frozen=True)
class TermInfo:
    name: str
    kind: Kind
    source: Source
    constant: float | None = None
    function: Function | None = None

    @property
    def batch(self) -> bool:
        """Known to the batch prefilter (the DG core and state kernels, bar fields)."""
        return (self.source in ("bar", "constant") or self.name in BATCH_FIELDS
                or self.source == "derived")


# --------------------------------------------------------------------------- indicators
def _p(*spec: tuple[str, float]) -> tuple[Param, ...]:
    return tuple(Param(n, float(d), isinstance(d, int)) for n, d in spec)


def _ints(args: tuple[float, ...]) -> list[int]:
    return [int(a) for a in args]


def _table() -> dict[str, Function]:
    import engine.indicators as ind

    def c(fn: Callable[..., Any], *params: tuple[str, float], doc: str) -> Function:
        return Function(_p(*params), lambda b, a: fn(b.close, *_ints(a)), doc)

    def hlc(fn: Callable[..., Any], *params: tuple[str, float], doc: str) -> Function:
        return Function(_p(*params), lambda b, a: fn(b.high, b.low, b.close, *_ints(a)), doc)

    def out(fn: Callable[[Bars, tuple[float, ...]], Any], attr: str,
            params: tuple[Param, ...], doc: str) -> Function:
        return Function(params, lambda b, a: getattr(fn(b, a), attr), doc)

    macd = _p(("fastperiod", 12), ("slowperiod", 26), ("signalperiod", 9))
    bb = _p(("timeperiod", 20), ("nbdev", 2.0))
    st = _p(("fastk_period", 14), ("slowk_period", 3), ("slowd_period", 3))
    srsi = _p(("timeperiod", 14), ("fastk_period", 5), ("fastd_period", 3))
    adx = _p(("timeperiod", 14),)

    def run_macd(b: Bars, a: tuple[float, ...]) -> Any:
        return ind.macd(b.close, *_ints(a))

    def run_bb(b: Bars, a: tuple[float, ...]) -> Any:
        return ind.bbands(b.close, int(a[0]), a[1], a[1])

    def run_stoch(b: Bars, a: tuple[float, ...]) -> Any:
        return ind.stoch(b.high, b.low, b.close, *_ints(a))

    def run_srsi(b: Bars, a: tuple[float, ...]) -> Any:
        return ind.stochrsi(b.close, *_ints(a))

    def run_adx(b: Bars, a: tuple[float, ...]) -> Any:
        return ind.adx(b.high, b.low, b.close, *_ints(a))

    return {
        "sma": c(ind.sma, ("timeperiod", 20), doc="simple moving average of the close"),
        "ema": c(ind.ema, ("timeperiod", 20), doc="exponential moving average"),
        "wma": c(ind.wma, ("timeperiod", 20), doc="weighted moving average"),
        "dema": c(ind.dema, ("timeperiod", 20), doc="double EMA"),
        "tema": c(ind.tema, ("timeperiod", 20), doc="triple EMA"),
        "rsi": c(ind.rsi, ("timeperiod", 14), doc="Wilder's RSI"),
        "roc": c(ind.roc, ("timeperiod", 10), doc="rate of change, %"),
        "atr": hlc(ind.atr, ("timeperiod", 14), doc="average true range"),
        "natr": hlc(ind.natr, ("timeperiod", 14), doc="ATR as % of the close"),
        "cci": hlc(ind.cci, ("timeperiod", 14), doc="commodity channel index"),
        "willr": hlc(ind.willr, ("timeperiod", 14), doc="Williams %R"),
        "mfi": Function(_p(("timeperiod", 14)), lambda b, a: ind.mfi(
            b.high, b.low, b.close, b.volume, *_ints(a)), "money flow index"),
        "obv": Function((), lambda b, a: ind.obv(b.close, b.volume), "on-balance volume"),
        "macd": out(run_macd, "macd", macd, "MACD line"),
        "macd_signal": out(run_macd, "signal", macd, "MACD signal line"),
        "macd_hist": out(run_macd, "hist", macd, "MACD histogram"),
        "bb_upper": out(run_bb, "upper", bb, "upper Bollinger band"),
        "bb_middle": out(run_bb, "middle", bb, "middle Bollinger band"),
        "bb_lower": out(run_bb, "lower", bb, "lower Bollinger band"),
        "stoch_k": out(run_stoch, "slowk", st, "slow stochastic %K"),
        "stoch_d": out(run_stoch, "slowd", st, "slow stochastic %D"),
        "stochrsi_k": out(run_srsi, "fastk", srsi, "stochastic RSI %K"),
        "stochrsi_d": out(run_srsi, "fastd", srsi, "stochastic RSI %D"),
        "adx": out(run_adx, "adx", adx, "average directional index"),
        "plus_di": out(run_adx, "plus_di", adx, "+DI"),
        "minus_di": out(run_adx, "minus_di", adx, "-DI"),
    }


FUNCTIONS: dict[str, Function] = {}


def functions() -> dict[str, Function]:
    """The indicator table (filled on first use; ``register`` adds to it)."""
    if not FUNCTIONS:
        for name, fn in _table().items():
            FUNCTIONS.setdefault(name, fn)
    return FUNCTIONS


def register(name: str, params: tuple[Param, ...],
             compute: Callable[[Bars, tuple[float, ...]], F64], doc: str = "") -> None:
    """Add an indicator term ``name(params...)``; names are lower-case identifiers."""
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"indicator term name {name!r} must be a lower-case identifier")
    if name in _fixed_names() or name in functions():
        raise ValueError(f"scanner term {name!r} already exists")
    FUNCTIONS[name] = Function(params, compute, doc)


def _from_catalog(name: str) -> Function | None:
    """``name`` from ``engine.indicators.catalog`` when that module is installed."""
    try:
        catalog = importlib.import_module("engine.indicators.catalog").catalog()
    except (ImportError, AttributeError):
        return None
    for spec in catalog.values():
        outs = tuple(spec.outputs)
        for k, out in enumerate(outs):
            if name == (spec.name if len(outs) == 1 else f"{spec.name}_{out}"):
                params = tuple(Param(p.name, float(p.default), isinstance(p.default, int))
                               for p in spec.params)
                return Function(params, _catalog_compute(spec, params, k), spec.title)
    return None


def _catalog_compute(spec: Any, params: tuple[Param, ...], k: int
                     ) -> Callable[[Bars, tuple[float, ...]], F64]:
    def compute(b: Bars, a: tuple[float, ...]) -> F64:
        kw = {p.name: (int(v) if p.integer else v) for p, v in zip(params, a, strict=True)}
        got = spec.run(*(getattr(b, col) for col in spec.inputs), **kw)
        arrays = [got] if isinstance(got, np.ndarray) else [getattr(got, f) for f in
                                                            got.__dataclass_fields__]
        return np.asarray(arrays[k], dtype=np.float64)

    return compute


# ------------------------------------------------------------------------------ resolve
def _fixed_names() -> dict[str, TermInfo]:
    out: dict[str, TermInfo] = {n: TermInfo(n, "number", "bar") for n in BAR_FIELDS}
    groups: tuple[tuple[dict[str, type[np.generic]], Source], ...] = (
        (PROJECTED_FIELDS, "projected"), (PER_BAR_FIELDS, "per_bar"))
    for fields, source in groups:
        for n, dtype in fields.items():
            kind: Kind = "flag" if dtype is np.bool_ else "number"
            out[n] = TermInfo(n, kind, source)
    out.update({n: TermInfo(n, "flag", "derived") for n in DERIVED})
    out.update({n: TermInfo(n, "number", "constant", float(s)) for n, s in STATE_NAMES.items()})
    out.update({n: TermInfo(n, "zone", "zone") for n in ZONES})
    return out


_FIXED = _fixed_names()


def resolve(name: str, args: tuple[float, ...] | None) -> tuple[TermInfo, tuple[float, ...]]:
    """The term ``name`` with its arguments checked and defaults filled in (``ValueError``
    says what is wrong: unknown name, arguments where none are taken, too many, not whole)."""
    if name in _FIXED:
        if args is not None:
            raise ValueError(f"{name!r} takes no arguments")
        return _FIXED[name], ()
    fn = functions().get(name) or _from_catalog(name)
    if fn is None:
        raise ValueError(f"unknown term {name!r}{_suggest(name)}")
    given = args or ()
    if len(given) > len(fn.params):
        raise ValueError(f"{name} takes at most {len(fn.params)} argument(s) "
                         f"({', '.join(p.name for p in fn.params) or 'none'}), got {len(given)}")
    for p, v in zip(fn.params, given, strict=False):
        if p.integer and (not float(v).is_integer() or v < 1):
            raise ValueError(f"{name}: {p.name} must be a whole number >= 1, got {v:g}")
    values = tuple(given) + tuple(p.default for p in fn.params[len(given):])
    return TermInfo(name, "number", "function", function=fn), values


def _suggest(name: str) -> str:
    import difflib

    near = difflib.get_close_matches(name, [*_FIXED, *functions()], n=3)
    return f" (did you mean {', '.join(near)}?)" if near else ""


def vocabulary() -> dict[str, list[str]]:
    """Every term name by group, for help texts."""
    groups: dict[str, list[str]] = {"bar": [], "projected": [], "per_bar": [], "derived": [],
                                    "constant": [], "zone": []}
    for n, info in _FIXED.items():
        groups[info.source].append(n)
    groups["function"] = list(functions())
    return groups
