"""Two tiny cached numba kernels for the warm-up split (``bench_startup``).

In a fresh process the first cached kernel that loads pays numba's one-time target
initialisation; the second pays only its own cache load. ``first - second`` = that fixed cost.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def probe_first(x: npt.NDArray[np.float64]) -> float:
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s


@njit(cache=True, nogil=True, error_model="numpy")
def probe_second(x: npt.NDArray[np.float64]) -> float:
    s = 0.0
    for i in range(x.shape[0]):
        s += 2.0 * x[i]
    return s
