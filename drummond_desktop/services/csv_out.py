"""CSV output shared by every export: atomic files, timestamp text and exact number cells."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from drummond_desktop.core.errors import AppError

DAY = 86_400
_SAMPLE = 2_048  # values of a column that decide whether formatting distinct values pays off
_BOOL_TEXT = np.array(["0", "1"], dtype=object)


@contextmanager
def atomic_text(path: str | Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` only when the block completes; on any failure the
    temporary file is removed and nothing (not even a half file) is left behind."""
    target = Path(path)
    # A fresh name beside the target (same file system for os.replace); opened with "x" so the
    # permissions follow the umask like any other file the user writes (mkstemp would use 0600).
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fh = open(tmp, "x", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise AppError(f"cannot write {target}: {exc}",
                       user_message=f"Cannot write {target}: {exc.strerror}") from None
    try:
        with fh:
            yield fh
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def is_intraday(ts: npt.NDArray[np.int64]) -> bool:
    return bool(np.any(ts % DAY))


def ts_text(ts: npt.NDArray[np.int64], intraday: bool) -> list[str]:
    """``YYYY-MM-DD`` for daily and longer bars, ``YYYY-MM-DDTHH:MM:SSZ`` for intraday."""
    if intraday:
        text: list[str] = np.char.add(ts.astype("datetime64[s]").astype(str), "Z").tolist()
        return text
    days: list[str] = (ts // DAY).astype("datetime64[D]").astype(str).tolist()
    return days


def cells(values: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    """Text cells for one column: 0/1 booleans, exact shortest floats, empty NaN."""
    if values.dtype == np.bool_:
        out: npt.NDArray[np.object_] = _BOOL_TEXT[values.view(np.int8)]
        return out
    # Prices, levels and states repeat, so format each distinct value once; a sample decides,
    # because sorting a column of distinct values (PLdot, slope) would only add work.
    sample = values[:_SAMPLE]
    if np.unique(sample).size * 4 > sample.size:
        return _format(values)
    uniq, inverse = np.unique(values, return_inverse=True)
    return _format(uniq)[inverse.reshape(-1)]


def _format(values: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    # repr of a Python float is the shortest text that reads back to the same double.
    text = np.array(list(map(repr, values.tolist())), dtype=object)
    if values.dtype.kind == "f":
        text[np.isnan(values)] = ""
    return text


def rows_text(columns: list[Any]) -> str:
    """Join equal-length text columns into CSV lines (with a trailing newline)."""
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"
