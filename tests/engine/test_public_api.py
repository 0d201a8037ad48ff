"""The curated public API, and that ``import engine`` stays light."""

from __future__ import annotations

import subprocess
import sys

import engine
import engine.drummond


def test_engine_all_is_sorted_and_resolves():
    assert engine.__all__ == sorted(engine.__all__)
    for name in engine.__all__:
        assert getattr(engine, name) is not None
    assert set(dir(engine)) >= set(engine.__all__)


def test_drummond_all_is_unique_and_resolves():
    # (ruff's RUF022 keeps it in isort order: constants, classes, functions)
    assert len(set(engine.drummond.__all__)) == len(engine.drummond.__all__)
    for name in engine.drummond.__all__:
        assert getattr(engine.drummond, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    try:
        engine.nope  # noqa: B018
    except AttributeError as e:
        assert "nope" in str(e)
    else:
        raise AssertionError("engine.nope should raise AttributeError")


def test_import_engine_loads_neither_numba_nor_pandas():
    code = ("import sys, engine; "
            "print(sorted(m for m in ('numba', 'pandas', 'engine.drummond') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_engine_drummond_loads_neither_numba_nor_pandas_until_first_use():
    code = ("import sys, engine.drummond as d; a = sorted(m for m in ('numba', 'pandas') "
            "if m in sys.modules); d.analyze(__import__('engine.warmup').warmup._tiny_bars()); "
            "print(a, 'numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True"
