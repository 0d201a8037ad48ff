"""Market-data providers (EODHD, CSV files, the synthetic demo universe), each yielding ``Bars``."""
