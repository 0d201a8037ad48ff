"""The output allocator: staggered starts, pooled reuse, and kernels that write every element
(reused memory is never assumed to be zero or NaN)."""

from __future__ import annotations

import gc

import numpy as np

from engine._alloc import BlockPool, staggered_empty
from engine.drummond import DGParams, allocate, compute_into
from tests.engine.test_kernels import series


def test_arrays_start_on_distinct_cache_lines_within_a_page():
    arrays = staggered_empty([((1000,), np.float64)] * 12 + [((1000,), np.bool_)] * 4,
                             pool=None)
    starts = [a.ctypes.data % 4096 for a in arrays]
    assert len(set(starts)) == len(starts)
    assert all(s % 64 == 0 for s in starts)
    assert all(a.flags.c_contiguous for a in arrays)


def _owner(a):
    while a.base is not None:
        a = a.base
    return a


def test_pool_reuses_a_block_only_when_no_array_views_it():
    pool = BlockPool(limit_bytes=1 << 30, min_bytes=1 << 20)
    specs = [((200_000,), np.float64)] * 3
    first = staggered_empty(specs, pool)
    held = staggered_empty(specs, pool)  # `first` still alive: a second block
    assert _owner(first[0]) is not _owner(held[0])
    addr = _owner(first[0]).ctypes.data  # not a reference: holding one would keep it busy
    del first
    gc.collect()
    again = staggered_empty(specs, pool)
    assert _owner(again[0]).ctypes.data == addr
    assert _owner(held[0]).ctypes.data != addr and len(pool._blocks) == 2


def test_pool_stays_within_its_limit():
    pool = BlockPool(limit_bytes=5 << 20, min_bytes=1 << 20)
    for _ in range(5):
        staggered_empty([((400_000,), np.float64)], pool)  # 3.2 MB each, dropped at once
    assert pool.pooled_bytes <= 5 << 20


def test_kernels_overwrite_every_element_of_reused_buffers():
    h, lo, c = series(500, 9, nan_every=41)
    p = DGParams(extended_lines=True)
    fresh = allocate(500, p)
    compute_into(h, lo, c, p, fresh)
    dirty = allocate(500, p)
    for a in dirty.values():
        a.view(np.uint8)[...] = 0xA5  # garbage, as a reused block holds
    compute_into(h, lo, c, p, dirty)
    for name, a in fresh.items():
        np.testing.assert_array_equal(dirty[name], a, err_msg=name)


def test_the_engine_pool_is_public_and_can_be_released():
    import engine

    assert isinstance(engine.output_pool, BlockPool)
    engine.output_pool.clear()  # blocks other tests left in the shared pool
    limit = engine.output_pool.limit_bytes
    try:
        engine.output_pool.limit_bytes = 0  # pooling off: a plain fresh block every call
        a = staggered_empty([((3_000_000,), np.float64)])
        assert engine.output_pool.pooled_bytes == 0 and a[0].size == 3_000_000
    finally:
        engine.output_pool.limit_bytes = limit
    engine.output_pool.clear()
    assert engine.output_pool.pooled_bytes == 0
