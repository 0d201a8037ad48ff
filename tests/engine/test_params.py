"""``DGParams``: spec defaults, validation that names the field, dict round trip."""

from __future__ import annotations

import pytest

from engine.drummond import DGParams


def test_defaults_are_the_specs():
    p = DGParams()
    assert (p.win, p.displacement, p.envelope_mode, p.trend_len) == (3, 1, "one_one", 3)
    assert (p.tie_eps, p.tie_policy, p.dotted_includes_entrance) == (0.0, "neutral", False)
    assert (p.exit_requires_break, p.reversal_mode) == (False, "direct")
    assert (p.flat_thr, p.k_push, p.min_away, p.k_exh, p.m_exh, p.n_cw) == (
        0.10, 0.0, 1, 1.0, 1.5, 2)
    assert (p.k_zone, p.buffer, p.extended_lines, p.experimental_areas) == (
        0.10, 0.10, False, False)


@pytest.mark.parametrize(("kw", "field"), [
    (dict(win=0), "win"), (dict(trend_len=1.5), "trend_len"), (dict(displacement=2),
                                                                 "displacement"),
    (dict(envelope_mode="atr"), "envelope_mode"), (dict(tie_policy="x"), "tie_policy"),
    (dict(reversal_mode="x"), "reversal_mode"), (dict(k_zone=-0.1), "k_zone"),
    (dict(tick=float("nan")), "tick"), (dict(extended_lines=1), "extended_lines"),
    (dict(zone_max_width=0.5), "zone_max_width"), (dict(n_cw=True), "n_cw"),
])
def test_bad_values_name_the_field(kw, field):
    with pytest.raises((ValueError, TypeError), match=f"DGParams.{field}"):
        DGParams(**kw)


def test_dict_round_trip_and_unknown_keys():
    p = DGParams(trend_len=4, reversal_mode="any_opposite")
    assert DGParams.from_dict(p.to_dict()) == p
    with pytest.raises(ValueError, match="bogus"):
        DGParams.from_dict({"bogus": 1})
