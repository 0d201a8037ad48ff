"""Panels around the chart: watchlist, next-bar map, jobs and log, the demo banner."""
