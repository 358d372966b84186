#!/usr/bin/env python3
"""Check a store's `beta_<n>` and `corr_<n>` columns against an independent recompute.

Usage:
    market_oracle.py --output STORE --input PANEL.csv[.gz] [--symbol-col Name]
                     (--equal-weight [--series FILE] | --close FILE)
                     [--beta N ...] [--corr N ...]

e.g. (with the project's venv):
    tickflow market --input ../shared/data/sp500_5yr.csv.gz --symbol-col Name --ts-col date --output ew.csv
    tickflow backfill ... --config beta.toml --market ew.csv --output store
    python tests/oracle/market_oracle.py --output store --input ../shared/data/sp500_5yr.csv.gz \\
        --equal-weight --series ew.csv --beta 60 --corr 20

The store's features must include `ret_1` (log_return, period 1) and the
betas and correlations given, on their default input (ret_1).

What is recomputed, from the panel's valid bars (the golden generator's
validity rule; of two bars for one (symbol, date) the later line wins):

1. The market's log level L by date. --equal-weight: the mean over the
   symbols with a bar on the date and an earlier one of ln(close / previous
   close), accumulated from 0 at the panel's first date (dates where no
   symbol has a return leave L unchanged). With --series, the file
   `tickflow market` wrote is checked against these means (relative 1e-12).
   --close FILE: L = ln(close) of an index's `date,close` file.
2. Per symbol, in date order: x_i = ln(close_i / close_{i-1}); the market's
   move over the same interval m_i = L(t_i) - L(t_{i-1}), L taken as of each
   date (the latest market date at or before it; none before the first);
   bar i is a pair when both are known.
3. beta_n at a pair with at least n pairs so far: over the last n pairs,
   sum((x - mean x)(m - mean m)) / sum((m - mean m)^2), null when those n
   moves are all equal; corr_n: the same co-moment over the square roots of
   both sums of squares, clipped to [-1, 1], null when either side's n
   values are all equal. Any other bar: null.

Every value must be within |got - exp| <= 1e-9 * max(1, |exp|) and nulls
must match exactly. Exits 1 on any failure.
"""

import argparse
import bisect
import csv
import math
import os
import sys

import numpy as np
import polars as pl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from backfill_oracle import valid_bars  # noqa: E402  (the generator's validity rule)


def equal_weight(bars):
    """{date: mean ret_1} over the symbols with a return on the date."""
    sums = {}
    for rows in bars.values():
        for prev, cur in zip(rows, rows[1:]):
            s = sums.setdefault(cur[0], [])
            s.append(math.log(cur[4] / prev[4]))
    first = min(r[0] for rows in bars.values() for r in rows)
    means = {d: float(np.mean(v)) for d, v in sums.items()}
    return first, means


def levels_from_means(first, means):
    dates = sorted(set(means) | {first})
    level, out = 0.0, []
    for d in dates:
        if d in means and d != first:
            level += means[d]
        out.append((d, level))
    return out


def levels_from_close(path):
    with open(path, newline="") as fh:
        rows = [(r["date"], math.log(float(r["close"]))) for r in csv.DictReader(fh)]
    return sorted(rows)


def check_series(path, first, means, fail):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = {r["date"]: r["ret_1"] for r in rows}
    if rows[0]["date"] != first or rows[0]["ret_1"] != "":
        fail(f"series: first row {rows[0]}, expected {first} with a blank return")
    expected_dates = {first} | set(means)
    if set(got) != expected_dates:
        fail(f"series: dates differ: {len(set(got) ^ expected_dates)} not in both")
    worst = 0.0
    for d, v in means.items():
        if d == first or d not in got:
            continue
        g = float(got[d])
        worst = max(worst, abs(g - v) / max(abs(v), 1e-300))
        if abs(g - v) > 1e-12 * max(abs(v), 1e-3):
            fail(f"series {d}: {g!r} vs oracle {v!r}")
            break
    print(f"series: {len(rows)} dates, largest relative difference {worst:.2e}")


def expected(rows, levels, betas, corrs):
    """{(date): {column: value or None}} for one symbol's rows."""
    dates = [d for d, _ in levels]
    def level(t):
        k = bisect.bisect_right(dates, t)
        return levels[k - 1][1] if k else None
    xs, ms, out = [], [], {}
    prev = None
    for r in rows:
        t, close = r[0], r[4]
        lv = level(t)
        x = math.log(close / prev[1]) if prev else None
        m = lv - prev[2] if prev and lv is not None and prev[2] is not None else None
        prev = (t, close, lv)
        vals = {}
        pair = x is not None and m is not None
        if pair:
            xs.append(x)
            ms.append(m)
        for n in betas:
            vals[f"beta_{n}"] = None
            if pair and len(ms) >= n:
                wx, wm = np.array(xs[-n:]), np.array(ms[-n:])
                if not np.all(wm == wm[0]):
                    dx, dm = wx - wx.mean(), wm - wm.mean()
                    vals[f"beta_{n}"] = float(np.sum(dx * dm) / np.sum(dm * dm))
        for n in corrs:
            vals[f"corr_{n}"] = None
            if pair and len(ms) >= n:
                wx, wm = np.array(xs[-n:]), np.array(ms[-n:])
                if not np.all(wm == wm[0]) and not np.all(wx == wx[0]):
                    dx, dm = wx - wx.mean(), wm - wm.mean()
                    c = np.sum(dx * dm) / (math.sqrt(np.sum(dx * dx)) * math.sqrt(np.sum(dm * dm)))
                    vals[f"corr_{n}"] = float(min(1.0, max(-1.0, c)))
        out[t] = vals
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--symbol-col", default="Name")
    ap.add_argument("--equal-weight", action="store_true")
    ap.add_argument("--series")
    ap.add_argument("--close")
    ap.add_argument("--beta", type=int, nargs="*", default=[])
    ap.add_argument("--corr", type=int, nargs="*", default=[])
    a = ap.parse_args()
    if a.equal_weight == bool(a.close):
        ap.error("give --equal-weight or --close FILE")
    failures = []

    def fail(msg):
        failures.append(msg)
        print("FAIL:", msg)

    bars, _, _ = valid_bars(a.input, a.symbol_col)
    if a.equal_weight:
        first, means = equal_weight(bars)
        if a.series:
            check_series(a.series, first, means, fail)
        levels = levels_from_means(first, means)
    else:
        levels = levels_from_close(a.close)
    columns = [f"beta_{n}" for n in a.beta] + [f"corr_{n}" for n in a.corr]
    store = pl.scan_parquet(f"{a.output}/**/*.parquet", hive_partitioning=True)
    got = store.select(["symbol", "ts"] + columns).collect()
    got = got.with_columns(pl.col("ts").cast(pl.Utf8))
    by_symbol = {}
    for row in got.iter_rows(named=True):
        by_symbol.setdefault(row["symbol"], {})[row["ts"]] = row
    values = nulls = 0
    worst = {c: 0.0 for c in columns}
    for sym, rows in bars.items():
        exp = expected(rows, levels, a.beta, a.corr)
        have = by_symbol.get(sym, {})
        if set(have) != set(exp):
            fail(f"{sym}: {len(set(have) ^ set(exp))} dates in one side only")
            continue
        for t, e in exp.items():
            for c in columns:
                g, w = have[t][c], e[c]
                if w is None or g is None or (isinstance(g, float) and math.isnan(g)):
                    if not (w is None and g is None):
                        fail(f"{sym} {t} {c}: got {g!r}, oracle {w!r}")
                        break
                    nulls += 1
                    continue
                values += 1
                worst[c] = max(worst[c], abs(g - w))
                if abs(g - w) > 1e-9 * max(1.0, abs(w)):
                    fail(f"{sym} {t} {c}: got {g!r}, oracle {w!r}")
        if len(failures) > 20:
            break
    if not values:
        fail("no values compared")
    print(f"{len(bars)} symbols: {values} values and {nulls} nulls compared; largest |got - exp|: "
          + ", ".join(f"{c} {v:.2e}" for c, v in worst.items()))
    if failures:
        print(f"{len(failures)} failures")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
