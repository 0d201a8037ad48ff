"""pandas adapters. pandas is imported inside the functions, never at module import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.bars import Bars
from engine.drummond.result import PER_BAR_FIELDS, PROJECTED_FIELDS, DGResult

if TYPE_CHECKING:
    import pandas as pd


def bars_to_frame(bars: Bars) -> pd.DataFrame:
    """A DataFrame indexed by UTC timestamps with open/high/low/close/volume columns."""
    import pandas as pd

    idx = pd.DatetimeIndex(pd.to_datetime(bars.ts, unit="s", utc=True), name="ts")
    return pd.DataFrame({c: np.asarray(getattr(bars, c)) for c in
                         ("open", "high", "low", "close", "volume")}, index=idx)


def bars_from_frame(df: pd.DataFrame, *, symbol: str = "", timeframe: str = "") -> Bars:
    """``Bars`` from a DataFrame with open/high/low/close[/volume] columns (any case) and either a
    DatetimeIndex or a ``ts``/``date`` column; naive times are taken as UTC."""
    import pandas as pd

    cols = {str(c).lower(): c for c in df.columns}
    missing = [c for c in ("open", "high", "low", "close") if c not in cols]
    if missing:
        raise ValueError(f"bars_from_frame: missing column(s) {', '.join(missing)}")
    if isinstance(df.index, pd.DatetimeIndex):
        times: Any = df.index
    elif "ts" in cols or "date" in cols:
        times = pd.DatetimeIndex(pd.to_datetime(df[cols.get("ts", cols.get("date"))]))
    else:
        raise ValueError("bars_from_frame: needs a DatetimeIndex or a 'ts'/'date' column")
    times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
    ts = times.as_unit("s").asi8
    def col(name: str) -> Any:
        return df[cols[name]].to_numpy(np.float64)

    return Bars.from_arrays(ts, col("open"), col("high"), col("low"), col("close"),
                            col("volume") if "volume" in cols else None,
                            symbol=symbol, timeframe=timeframe)


def to_frame(result: DGResult) -> pd.DataFrame:
    """One row per bar plus a final row for the projection (index ``NaT``).

    Projected series fill all N+1 rows; per-bar outcomes are missing (``<NA>``/NaN) in the last
    row. Integer and boolean per-bar columns use pandas' nullable dtypes for that reason.
    """
    import pandas as pd

    n = len(result)
    ts = pd.to_datetime(result.bars.ts, unit="s", utc=True)
    index = pd.DatetimeIndex([*ts, pd.NaT], name="ts") if n else pd.DatetimeIndex(
        [pd.NaT], name="ts", tz="UTC")
    data: dict[str, Any] = {}
    for col in ("open", "high", "low", "close", "volume"):
        data[col] = np.append(getattr(result.bars, col), np.nan)
    for name in PROJECTED_FIELDS:
        data[name] = np.asarray(getattr(result, name))
    for name, dtype in PER_BAR_FIELDS.items():
        arr = np.asarray(getattr(result, name))
        if dtype is np.float64:
            data[name] = np.append(arr, np.nan)
        else:
            kind: Any = "boolean" if dtype is np.bool_ else "Int64"
            data[name] = pd.array([*arr.tolist(), None], dtype=kind)
    return pd.DataFrame(data, index=index)
