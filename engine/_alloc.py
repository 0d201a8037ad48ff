"""Output allocation for kernels that stream through many parallel arrays.

Two costs dominate when a kernel writes a dozen large outputs, and both are physical:

* **4K aliasing.** Large numpy arrays come from ``mmap`` and all start at the same offset within
  a 4 KiB page, so the same index of every array falls into the same L1 sets; stores then stall
  on false dependencies. Measured here, the core Drummond kernel ran 2.5x slower (183 vs 74 ms
  at 1e7 bars) with aligned outputs. Related arrays are therefore carved from one block, each
  starting on a different cache line of the page.
* **First touch.** Fresh memory is zeroed by the kernel on the first write (4-7 GB/s here
  instead of 15-25 GB/s for warm pages). ``BlockPool`` keeps large blocks whose arrays have all
  been dropped (e.g. the previous analysis of a chart) and hands them out again, so repeated
  analyses of big series write into warm pages. Blocks are only reused when no array still
  views them (checked by reference count), and the pool holds at most ``limit_bytes``.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_PAGE = 4096
_LINE = 64
_STRIDE = 5 * _LINE  # 5 is coprime with 64 lines per page: 64 distinct starts before a repeat
_rotation = itertools.count()


class BlockPool:
    """Reusable large byte blocks (``uint8`` arrays) for the output allocator."""

    def __init__(self, limit_bytes: int = 2 << 30, min_bytes: int = 16 << 20) -> None:
        self.limit_bytes = limit_bytes
        self.min_bytes = min_bytes
        self._blocks: list[npt.NDArray[np.uint8]] = []
        self._lock = threading.Lock()

    def take(self, nbytes: int) -> npt.NDArray[np.uint8]:
        """A block of at least ``nbytes``: a free pooled one that fits, else a fresh one."""
        if nbytes < self.min_bytes or self.limit_bytes <= 0:
            return np.empty(nbytes, dtype=np.uint8)
        with self._lock:
            for block in self._blocks:
                # Free when only the pool's list and this call's argument refer to it.
                if nbytes <= block.nbytes <= 2 * nbytes and sys.getrefcount(block) == 3:
                    return block
            block = np.empty(nbytes, dtype=np.uint8)
            self._blocks.append(block)
            self._trim()
            return block

    def _trim(self) -> None:
        # Drop the oldest free blocks until the pool fits its limit (busy blocks stay listed).
        total = sum(b.nbytes for b in self._blocks)
        for block in list(self._blocks):
            if total <= self.limit_bytes:
                break
            if sys.getrefcount(block) == 3:
                self._blocks.remove(block)
                total -= block.nbytes

    def clear(self) -> None:
        """Forget every pooled block (memory returns to the OS once no array views it), e.g.
        when the app closes a big chart. Setting ``limit_bytes = 0`` turns pooling off."""
        with self._lock:
            self._blocks.clear()

    @property
    def pooled_bytes(self) -> int:
        return sum(b.nbytes for b in self._blocks)


POOL = BlockPool()


def staggered_empty(
    specs: Sequence[tuple[tuple[int, ...], Any]], pool: BlockPool | None = POOL,
) -> list[npt.NDArray[Any]]:
    """Uninitialised C-contiguous arrays for ``(shape, dtype)`` specs, carved from one block.

    Each array starts on a different cache line within a page, rotating from call to call so
    that the inputs and outputs of one kernel call rarely share a start either.
    """
    start = next(_rotation) * len(specs)
    sizes = [int(np.prod(shape)) * np.dtype(dtype).itemsize for shape, dtype in specs]
    offsets = []
    pos = 0
    for i, size in enumerate(sizes):
        want = ((start + i) * _STRIDE) % _PAGE
        pos += (want - pos) % _PAGE
        offsets.append(pos)
        pos += size
    # Ask for the worst-case padding, so the same specs always ask for the same size whatever
    # the rotation (a pooled block then fits every later call with these specs).
    nbytes = sum(sizes) + (len(sizes) + 1) * _PAGE
    block = np.empty(nbytes, dtype=np.uint8) if pool is None else pool.take(nbytes)
    base = (-block.ctypes.data) % _PAGE  # page-align the carving
    return [block[base + off: base + off + size].view(np.dtype(dtype)).reshape(shape)
            for off, size, (shape, dtype) in zip(offsets, sizes, specs, strict=True)]
