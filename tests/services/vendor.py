"""A fake EODHD server for service tests: per-symbol daily and intraday bars, splits and
dividends, answered in the OpenAPI shapes and filtered by the request's from/to, with a log of
what was asked."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np


def daily_rows(start: date, n: int, seed: int = 1, price: float = 100.0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows, day = [], start
    while len(rows) < n:
        if day.weekday() < 5:
            o = round(price, 2)
            c = round(max(o + rng.normal(0, 1), 1.0), 2)
            h, lo = round(max(o, c) + 0.5, 2), round(min(o, c) - 0.5, 2)
            rows.append({"date": day.isoformat(), "open": o, "high": h, "low": lo, "close": c,
                         "adjusted_close": c, "volume": int(rng.integers(1_000, 9_000))})
            price = c
        day += timedelta(days=1)
    return rows


def intraday_rows(start_ts: int, n: int, step: int, seed: int = 2) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows, price = [], 50.0
    for i in range(n):
        ts = start_ts + i * step
        o = round(price, 2)
        c = round(max(o + rng.normal(0, 0.1), 1.0), 2)
        rows.append({"timestamp": ts, "gmtoffset": 0,
                     "datetime": datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                     "open": o, "high": round(max(o, c) + 0.05, 2),
                     "low": round(min(o, c) - 0.05, 2), "close": c, "volume": 100 + i})
        price = c
    return rows


@dataclass
class Vendor:
    daily: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    intraday: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    splits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    dividends: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)  # symbol -> forced HTTP status
    raw_eod: dict[str, bytes] = field(default_factory=dict)  # symbol -> body sent as-is
    exchanges: dict[str, Any] = field(default_factory=dict)  # code -> exchange-details body
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        parts = request.url.path.split("/")
        kind, symbol = parts[-2], parts[-1]
        params = {k: v for k, v in request.url.params.items() if k != "api_token"}
        self.log.append((kind, symbol, params))
        if symbol in self.status:
            return httpx.Response(self.status[symbol], text="Ticker Not Found.")
        body: Any
        if kind == "eod" and symbol in self.raw_eod:
            return httpx.Response(200, content=self.raw_eod[symbol],
                                  headers={"content-type": "application/json"})
        if kind == "eod":
            body = self._range(self.daily.get(symbol), params, "date")
        elif kind == "intraday":
            body = self._range(self.intraday.get(symbol), params, "timestamp")
        elif kind == "splits":
            body = self.splits.get(symbol, [])
        elif kind == "div":
            body = self.dividends.get(symbol, [])
        elif kind == "exchange-details":
            body = self.exchanges.get(symbol)
        else:
            return httpx.Response(404, text="unknown endpoint")
        if body is None:
            return httpx.Response(404, text="Ticker Not Found.")
        return httpx.Response(200, content=json.dumps(body).encode(),
                              headers={"content-type": "application/json"})

    @staticmethod
    def _range(rows: list[dict[str, Any]] | None, params: dict[str, str],
               key: str) -> list[dict[str, Any]] | None:
        if rows is None:
            return None
        lo, hi = params.get("from"), params.get("to")
        if key == "timestamp":
            return [r for r in rows if (lo is None or r[key] >= int(lo))
                    and (hi is None or r[key] <= int(hi))]
        return [r for r in rows if (lo is None or r[key] >= lo) and (hi is None or r[key] <= hi)]

    def asked(self, kind: str, symbol: str) -> list[dict[str, str]]:
        return [p for k, s, p in self.log if k == kind and s == symbol]
