"""Numba kernels. Rules (checked by import-linter and review):

* kernels take bare numpy arrays and scalars, never ``Bars`` or other Python objects;
* they fill output arrays that the caller allocated with numpy (numba-allocated arrays miss
  transparent huge pages and write 2-3x slower);
* they never raise, never allocate large arrays, and are named ``<what>_nb``;
* every kernel has a slow, obvious twin in ``tests/engine/naive.py``.
"""
