"""The chart: bar-index x axis, fast candles with level of detail, the DG layer."""
