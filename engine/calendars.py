"""Built-in exchange holidays and early closes, by rule, for the sessions ``engine.resample``
uses when the store holds no exchange calendar (EODHD's ``exchange-details`` replace them).

* **US** (NYSE/NASDAQ): New Year's Day, Martin Luther King Jr. Day (3rd Monday of January,
  from 1998), Washington's Birthday (3rd Monday of February), Good Friday, Memorial Day (last
  Monday of May), Juneteenth (from 2022), Independence Day, Labor Day (1st Monday of
  September), Thanksgiving (4th Thursday of November), Christmas; a Saturday holiday is observed
  on the Friday before (except New Year's Day, which the NYSE then does not observe), a Sunday
  holiday on the Monday after. Early closes at 13:00 New York: the day before Independence Day
  (a weekday, when the 4th is not a Monday), the day after Thanksgiving, Christmas Eve (a
  weekday).
* **XETRA**: New Year's Day, Good Friday, Easter Monday, Labour Day (1 May), Christmas Eve,
  Christmas, Boxing Day, New Year's Eve; no early closes.
* **LSE**: New Year's Day (observed on the next weekday), Good Friday, Easter Monday, the early
  May, spring and summer bank holidays (1st Monday of May, last Mondays of May and August),
  Christmas and Boxing Day (observed); early closes at 12:30 London on Christmas Eve and New
  Year's Eve (weekdays).
* **TSE**: none built in (Japan's holiday law changes too often to encode); store the calendar.

One-off closures (national days of mourning, 9/11, hurricane Sandy) are not rules and are not
here. Pure Python, computed per year on first use and cached.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from functools import lru_cache

Holidays = frozenset[date]
EarlyCloses = tuple[tuple[date, time], ...]


def easter(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month = (h + ell - 7 * m + 114) // 31
    day = (h + ell - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0 = Monday) of the month; ``n = -1``: the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _us_observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


@lru_cache(maxsize=256)
def us_year(year: int) -> tuple[Holidays, EarlyCloses]:
    days = [nth_weekday(year, 2, 0, 3), easter(year) - timedelta(days=2),
            nth_weekday(year, 5, 0, -1), nth_weekday(year, 9, 0, 1),
            nth_weekday(year, 11, 3, 4)]
    if year >= 1998:
        days.append(nth_weekday(year, 1, 0, 3))
    fixed = [date(year, 7, 4), date(year, 12, 25)] + ([date(year, 6, 19)] if year >= 2022 else [])
    days += [_us_observed(d) for d in fixed]
    new_year = date(year, 1, 1)
    if new_year.weekday() == 6:
        days.append(new_year + timedelta(days=1))
    elif new_year.weekday() < 5:
        days.append(new_year)
    closed = frozenset(days)
    one = time(13, 0)
    early = [nth_weekday(year, 11, 3, 4) + timedelta(days=1)]
    july3 = date(year, 7, 3)
    if july3.weekday() < 5 and july3 not in closed:
        early.append(july3)
    eve = date(year, 12, 24)
    if eve.weekday() < 5 and eve not in closed:
        early.append(eve)
    return closed, tuple(sorted((d, one) for d in early))


@lru_cache(maxsize=256)
def xetra_year(year: int) -> tuple[Holidays, EarlyCloses]:
    e = easter(year)
    days = [date(year, 1, 1), e - timedelta(days=2), e + timedelta(days=1), date(year, 5, 1),
            date(year, 12, 24), date(year, 12, 25), date(year, 12, 26), date(year, 12, 31)]
    return frozenset(d for d in days if d.weekday() < 5), ()


def _uk_next_weekday(d: date, taken: set[date]) -> date:
    while d.weekday() >= 5 or d in taken:
        d += timedelta(days=1)
    return d


@lru_cache(maxsize=256)
def lse_year(year: int) -> tuple[Holidays, EarlyCloses]:
    e = easter(year)
    days = {e - timedelta(days=2), e + timedelta(days=1), nth_weekday(year, 5, 0, 1),
            nth_weekday(year, 5, 0, -1), nth_weekday(year, 8, 0, -1)}
    for fixed in (date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)):
        days.add(_uk_next_weekday(fixed, days))
    half = time(12, 30)
    early = tuple((d, half) for d in (date(year, 12, 24), date(year, 12, 31))
                  if d.weekday() < 5 and d not in days)
    return frozenset(days), early


_RULES = {"US": us_year, "XETRA": xetra_year, "LSE": lse_year}


def builtin_calendar(name: str, first_year: int, last_year: int
                     ) -> tuple[Holidays, EarlyCloses]:
    """Holidays and early closes of the built-in session ``name`` for the years given (both
    empty for a session without rules)."""
    rule = _RULES.get(name)
    if rule is None:
        return frozenset(), ()
    closed: set[date] = set()
    early: list[tuple[date, time]] = []
    for year in range(first_year, last_year + 1):
        c, e = rule(year)
        closed |= c
        early += e
    return frozenset(closed), tuple(early)
