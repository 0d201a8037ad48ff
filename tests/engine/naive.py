"""Slow, obvious twins of the engine kernels: plain Python loops written from the spec's
formulas (drummond-geometry.md), not from the kernels. Lists of floats in, lists out."""

from __future__ import annotations

import math

NAN = math.nan
UNDEF, TREND, ENTR, ACT, EXIT, REV = 0, 1, 2, 3, 4, 5


def _isnan(x: float) -> bool:
    return x != x


def tp(H, L, C, k):
    return (H[k] + L[k] + C[k]) / 3.0


def core(H, L, C, win=3, hl_avg=False):
    """PL, ETop, EBot, AR3, 1-1 dot/high/low, slope; each of length N+1 (§B2, §B4, §B5)."""
    n = len(H)
    out = {k: [NAN] * (n + 1) for k in ("PL", "ETOP", "EBOT", "AR3", "OOD", "OOH", "OOL",
                                        "SLOPE")}
    for t in range(1, n + 1):
        p = tp(H, L, C, t - 1)
        out["OOD"][t] = p
        out["OOH"][t] = 2 * p - L[t - 1]
        out["OOL"][t] = 2 * p - H[t - 1]
    for t in range(win, n + 1):
        ks = range(t - win, t)
        out["PL"][t] = sum(tp(H, L, C, k) for k in ks) / win
        if hl_avg:
            out["ETOP"][t] = sum(H[k] for k in ks) / win
            out["EBOT"][t] = sum(L[k] for k in ks) / win
        else:
            out["ETOP"][t] = sum(2 * tp(H, L, C, k) - L[k] for k in ks) / win
            out["EBOT"][t] = sum(2 * tp(H, L, C, k) - H[k] for k in ks) / win
        out["AR3"][t] = sum(H[k] - L[k] for k in ks) / win
        if t > win:
            out["SLOPE"][t] = out["PL"][t] - out["PL"][t - 1]
    return out


def line(P_i, i, P_j, j, t):
    """The value on bar t of the line through (i, P_i) and (j, P_j) (§B6)."""
    return P_j + (P_j - P_i) * (t - j) / (j - i)


def lines(H, L):
    n = len(H)
    out = {k: [NAN] * (n + 1) for k in ("HH", "LL", "LH", "HL")}
    for t in range(2, n + 1):
        i, j = t - 2, t - 1
        out["HH"][t] = line(H[i], i, H[j], j, t)
        out["LL"][t] = line(L[i], i, L[j], j, t)
        out["LH"][t] = line(L[i], i, H[j], j, t)
        out["HL"][t] = line(H[i], i, L[j], j, t)
    return out


def lines_ext(H, L, C, PL):
    n = len(H)
    names = ("HH_31", "LL_31", "LH_31", "HL_31", "HH_32", "LL_32", "LH_32", "HL_32", "CC", "DD")
    out = {k: [NAN] * (n + 1) for k in names}
    for t in range(2, n + 1):
        out["CC"][t] = line(C[t - 2], t - 2, C[t - 1], t - 1, t)
        out["DD"][t] = line(PL[t - 2], t - 2, PL[t - 1], t - 1, t)
    for t in range(3, n + 1):
        for suffix, (i, j) in (("31", (t - 3, t - 1)), ("32", (t - 3, t - 2))):
            out["HH_" + suffix][t] = line(H[i], i, H[j], j, t)
            out["LL_" + suffix][t] = line(L[i], i, L[j], j, t)
            out["LH_" + suffix][t] = line(L[i], i, H[j], j, t)
            out["HL_" + suffix][t] = line(H[i], i, L[j], j, t)
    return out


def side(C, PL, tie_eps=0.0):
    out = []
    for t in range(len(C)):
        if _isnan(C[t]) or _isnan(PL[t]):
            out.append(NAN)
        elif C[t] > PL[t] + tie_eps:
            out.append(1.0)
        elif C[t] < PL[t] - tie_eps:
            out.append(-1.0)
        else:
            out.append(0.0)
    return out


def states(S, H, L, C, trend_len=3, tie_carry=False, dotted_incl=False, exit_break=False,
           rev_any=False):
    """The state machine written as the spec's prose rules, re-deriving history at each bar."""
    n = len(S)
    res = {k: [] for k in ("state", "tdir", "pdir", "dotted", "block", "chi", "clo", "exp",
                           "cont", "run")}
    eff = []  # effective sides of counted bars: (t, side)
    mode, d, prior, ent, tstart = "none", 0, 0, -1, -1
    dot = blk = chi = clo = NAN
    for t in range(n):
        if _isnan(S[t]):
            for k, v in (("state", UNDEF), ("tdir", 0), ("pdir", 0), ("dotted", NAN),
                         ("block", NAN), ("chi", NAN), ("clo", NAN), ("exp", False),
                         ("cont", False), ("run", 0)):
                res[k].append(v)
            continue
        s = int(S[t])
        if s == 0 and tie_carry:
            prev = [x for _, x in eff if x != 0]
            s = prev[-1] if prev else 0
        eff.append((t, s))
        # the run: consecutive counted bars, ending here, all with this non-zero side
        run, start = 0, -1
        for tt, x in reversed(eff):
            if s != 0 and x == s:
                run, start = run + 1, tt
            else:
                break
        exp = cont_flag = False
        if mode == "none":
            if run >= trend_len:
                mode, d, tstart, st = "trend", s, start, TREND
            else:
                st = ACT
        elif mode == "trend":
            if s == -d:
                mode, prior, ent, st = "cong", d, t, ENTR
                span = range(tstart, t + 1 if dotted_incl else t)
                dot = max(H[k] for k in span) if d == 1 else min(L[k] for k in span)
                blk = L[t] if d == 1 else H[t]
                chi = max(H[t], dot) if d == 1 else H[t]
                clo = L[t] if d == 1 else min(L[t], dot)
            else:
                st = TREND
        else:
            if exit_break:
                done = run >= trend_len and ((s == 1 and C[t] > chi) or (s == -1 and C[t] < clo))
            else:
                done = run == trend_len
            if done:
                direct = start == ent
                st = REV if (s == -prior and (rev_any or direct)) else EXIT
                mode, d, tstart = "trend", s, start
            else:
                st = ACT
                exp = t > ent + 2 and (H[t] > chi or L[t] < clo)
                chi, clo = max(chi, H[t]), min(clo, L[t])
                since = [x for tt, x in eff if tt > ent]
                cont_flag = all(x == -prior for x in since)
        res["state"].append(st)
        res["tdir"].append(d if mode == "trend" else 0)
        res["pdir"].append(prior if mode == "cong" else 0)
        for k, v in (("dotted", dot), ("block", blk), ("chi", chi), ("clo", clo)):
            res[k].append(v if mode == "cong" else NAN)
        res["exp"].append(exp)
        res["cont"].append(cont_flag)
        res["run"].append(run)
    return res


def _guard(ar, pl, tick):
    eps = max(tick, 1e-12 * abs(pl))
    return ar if ar > eps else eps


def patterns(H, L, C, PL, ETOP, EBOT, AR3, SLOPE, k_push=0.0, min_away=1, k_exh=1.0,
             m_exh=1.5, n_cw=2, cw_slope=False, tick=0.0):
    """§B3 flags, each from its definition (windows looked up backwards, no running counters)."""
    n = len(H)
    f = {k: [] for k in ("away_above", "away_below", "touch", "push_up", "push_down",
                         "push_run", "ref_above", "ref_below", "exh_up", "exh_down",
                         "exh_up_conf", "exh_down_conf", "cw_up", "cw_down")}

    def above(k):
        return L[k] > PL[k]

    def below(k):
        return H[k] < PL[k]

    def push_up(k):
        return SLOPE[k] > 0 and C[k] > PL[k] and L[k] >= PL[k] - k_push * AR3[k]

    def push_down(k):
        return SLOPE[k] < 0 and C[k] < PL[k] and H[k] <= PL[k] + k_push * AR3[k]

    def exh_up(k):
        g = _guard(AR3[k], PL[k], tick)
        return H[k] > ETOP[k] and (C[k] - PL[k]) / g >= k_exh and H[k] - L[k] >= m_exh * AR3[k]

    def exh_down(k):
        g = _guard(AR3[k], PL[k], tick)
        return L[k] < EBOT[k] and (PL[k] - C[k]) / g >= k_exh and H[k] - L[k] >= m_exh * AR3[k]

    for t in range(n):
        touch = L[t] <= PL[t] <= H[t]
        f["away_above"].append(above(t))
        f["away_below"].append(below(t))
        f["touch"].append(touch)
        prev = range(t - min_away, t)
        f["ref_above"].append(touch and t >= min_away and all(above(k) for k in prev))
        f["ref_below"].append(touch and t >= min_away and all(below(k) for k in prev))
        f["push_up"].append(push_up(t))
        f["push_down"].append(push_down(t))
        run = 0
        if push_up(t):
            k = t
            while k >= 0 and push_up(k):
                run, k = run + 1, k - 1
        elif push_down(t):
            k = t
            while k >= 0 and push_down(k):
                run, k = run - 1, k - 1
        f["push_run"].append(run)
        f["exh_up"].append(exh_up(t))
        f["exh_down"].append(exh_down(t))
        f["exh_up_conf"].append(t >= 1 and exh_up(t - 1) and C[t] < C[t - 1] and H[t] <= H[t - 1])
        f["exh_down_conf"].append(t >= 1 and exh_down(t - 1) and C[t] > C[t - 1]
                                  and L[t] >= L[t - 1])
        win = range(t - n_cw + 1, t + 1)
        ok = t - n_cw + 1 >= 0
        f["cw_up"].append(ok and all(C[k] > ETOP[k] for k in win)
                          and (not cw_slope or SLOPE[t] > 0))
        f["cw_down"].append(ok and all(C[k] < EBOT[k] for k in win)
                            and (not cw_slope or SLOPE[t] < 0))
    return f


def dot_shape(PL, SLOPE, AR3, flat_thr=0.10, tick=0.0):
    m = len(PL)
    shape, crest, valley, inc = [], [], [], []
    for t in range(m):
        s = 0
        if not _isnan(SLOPE[t]):
            sn = SLOPE[t] / _guard(AR3[t], PL[t], tick)
            s = 1 if sn > flat_thr else (-1 if sn < -flat_thr else 0)
        shape.append(s)
        crest.append(t >= 2 and PL[t - 2] < PL[t - 1] >= PL[t])
        valley.append(t >= 2 and PL[t - 2] > PL[t - 1] <= PL[t])
        inc.append(t >= 1 and abs(SLOPE[t]) > abs(SLOPE[t - 1]))
    return shape, crest, valley, inc


def zones(levels, tau, max_width=2.0):
    """The spec's reference clustering (§B11 ``dg_zones``), verbatim in spirit."""
    levels = sorted(levels)
    groups, cur = [], []
    for lv in levels:
        if cur and lv[0] - cur[-1][0] <= tau and lv[0] - cur[0][0] <= max_width * tau:
            cur.append(lv)
        else:
            if cur:
                groups.append(cur)
            cur = [lv]
    if cur:
        groups.append(cur)
    return [(g[0][0], g[-1][0], sum(v[0] for v in g) / len(g), len({(v[1], v[2]) for v in g}),
             len({v[1] for v in g})) for g in groups]
