#!/usr/bin/env python3
"""Check a `tickflow backfill` output directory against an independent oracle.

Usage:
    backfill_oracle.py --output OUT_DIR --input BARS.csv[.gz] --sectors SECTORS.csv
                       [--universe UNIVERSE.csv] [--symbols all|N] [--exact-talib]
                       [--min-count K] [--winsorize LO HI]

e.g. (with the project's venv, which has ta-lib==0.8.2, numpy, polars, pyarrow):
    python tests/oracle/backfill_oracle.py --output /tmp/out \\
        --input ../shared/data/sp500_5yr.csv.gz --sectors ../shared/data/sp500_sectors.csv

OUT_DIR is the Hive-partitioned Parquet dataset the backfill writes
(`year=YYYY/part-WWW-SSSSSSSS.parquet`; `_manifest.json` and `_rejects.csv` are ignored).
The input is one CSV with columns date,open,high,low,close,volume and a symbol
column (`Name` by default), daily bars; the sectors file is `symbol,sector`
with an optional `from` column (the date from which a symbol's sector holds;
blank: from the start); the universe file is `symbol,from,to` (membership
from `from` inclusive to `to` exclusive, blank = open).

What is checked (the contract is shared/spec/features.md):

1. Schema: exactly the columns symbol, ts (date32), sector, open, high, low,
   close, volume, the 39 standard features (the COLUMNS of
   operators/tests/golden/generate.py), cs_rank_f, cs_z_f, sector_z_f for
   each default cross-sectional feature f and known_at (timestamp[us, UTC],
   equal to the bar's own day: a backfilled row is known from its bar time);
   each file's `year=` partition matches the year of its rows' ts.
2. Row set: the input's valid bars (the generator's validity rule; for a
   repeated (symbol, date) the later line wins) appear exactly once each, no
   other row appears; open..volume are passed through unchanged and `sector`
   is the sectors file's entry in force at the row's date (null for a symbol
   it does not list, or before its first entry).
3. Per-symbol features: recomputed for each symbol from its valid bars in date
   order by the golden-file generator itself (imported, not copied): TA-Lib
   0.8.1 (PyPI ta-lib==0.8.2) for the TA-Lib features, plain loops over the
   spec's formulas for the rest. Every column must be within the spec's and
   the golden test's (operators/tests/golden_talib.rs) tolerance
   |got - exp| <= 1e-9 * max(1, |exp|); nulls must match nulls exactly, and a
   NaN stored as a value is a mismatch. The report also counts, per column,
   the values that are not bit-identical to the oracle: tickflow reproduces
   TA-Lib's arithmetic exactly except where it deliberately does not (its SMA
   keeps a compensated rolling sum, so SMA, STOCH's SMA smoothing and BBANDS
   differ from TA-Lib in the last bits). --exact-talib turns any
   not-bit-identical value in a TA-Lib column into a failure.
4. Cross-sections: recomputed per date with numpy from the per-symbol feature
   values found in the output (those are checked independently by 3.), across
   the rows whose value is non-null: cs_rank = average-tie rank (1-based) /
   count; cs_z = (x - mean) / population std, null below 2 values (or
   --min-count) or when all values are equal; sector_z = the same within
   (date, sector of the sectors file at that date), null without a sector.
   With --universe, only the date's members take part and a non-member's
   cross-sectional values are null. Ranks are also
   null below --min-count values. With --winsorize LO HI values are first
   clipped to the linear-interpolated LO/HI quantiles of the date's
   cross-section (z-scores only). Defaults are tickflow's: min_count 1, no
   winsorizing. Tolerance: |got - exp| <= 1e-12 * max(1, |exp|) (relative
   1e-12, absolute 1e-12 below |exp| = 1, since a z-score near 0 is a
   difference of nearly equal numbers); nulls must match exactly.

--symbols N restricts step 3 (the slow one: ~35 s of the ~45 s the full S&P
file takes on one core) to the first N symbols in sorted order; steps 1, 2 and
4 always cover every row.

Prints a per-column report and exits 1 on any failure, 0 when all agree. Its
columns: values = rows where both sides are non-null; nulls = rows where the
oracle's value is null; not_exact = values not bit-identical to the oracle;
max_abs / max_rel = largest |got - exp| and |got - exp| / |exp| (inf where
exp is 0 and got is not); mismatch = rows failing the rule (tolerance, or a
null on one side only), the first of which is printed with both values.
"""
import argparse
import csv
import datetime
import gzip
import os
import sys
import time

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True  # keep the golden directory clean
sys.path.insert(0, os.path.join(REPO, "operators", "tests", "golden"))
import generate  # noqa: E402  (the golden-file generator: TA-Lib + naive loops; checks the TA-Lib version)

FEATURES = list(generate.COLUMNS)
# Columns that are straight TA-Lib outputs (bit-exactness is reported, and
# enforced with --exact-talib); the others are the generator's naive loops.
TALIB_COLUMNS = {
    "roc_10", "sma_5", "sma_20", "sma_60", "ema_12", "ema_26", "kama_10", "rsi_14",
    "macd", "macd_signal", "macd_hist", "stoch_k", "stoch_d", "willr_14", "cci_20",
    "aroon_up_25", "aroon_down_25", "adx_14", "plus_di_14", "minus_di_14", "atr_14",
    "natr_14", "bb_upper", "bb_middle", "bb_lower", "stddev_20", "obv", "mfi_14",
}
assert TALIB_COLUMNS <= set(FEATURES)
FEATURE_TOL = 1e-9  # features.md; golden_talib.rs / common::close_enough: |d| <= 1e-9 * max(1, |exp|)
CS_TOL = 1e-12
# features.md / operators/src/cross_section/mod.rs DEFAULT_FEATURES
CS_FEATURES = [
    "ret_1", "ret_5", "ret_20", "rsi_14", "macd_hist", "bb_pctb", "natr_14", "adx_14",
    "vol_20", "volume_z_20",
]
CS_COLUMNS = [f"{k}_{f}" for f in CS_FEATURES for k in ("cs_rank", "cs_z", "sector_z")]
BAR_COLUMNS = ["open", "high", "low", "close", "volume"]
EXPECTED_COLUMNS = ["symbol", "ts", "sector"] + BAR_COLUMNS + FEATURES + CS_COLUMNS + ["known_at"]
KEYS = ["symbol", "ts"]


# ----------------------------------------------------------------------------- report

class Report:
    """Per-column comparison results and failures of the structural checks."""

    def __init__(self):
        self.rows = []  # (section, column, rule, compared, nulls, not_exact, max_abs, max_rel, mismatches, first)
        self.failures = []
        self.values_compared = 0

    def fail(self, msg):
        self.failures.append(msg)
        print(f"FAIL: {msg}")

    def compare(self, section, column, got, got_null, exp, exp_null, tol, where):
        """got/exp: float arrays; *_null: bool masks; tol None = exact equality.

        `where(i)` describes row i for the report."""
        got_nan_value = np.isnan(got) & ~got_null
        null_bad = got_null != exp_null
        both = ~got_null & ~exp_null & ~got_nan_value
        g, e = got[both], exp[both]
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(g == e, 0.0, np.abs(g - e))  # inf == inf is no error
            if tol is None:
                bad = d != 0
            else:
                bad = ~(d <= tol * np.maximum(1.0, np.abs(e)))
            rel = np.where(d == 0, 0.0, d / np.abs(e))
        not_exact = int((d != 0).sum())
        bad_full = np.zeros(len(got), dtype=bool)
        bad_full[both] = bad
        mism = null_bad | got_nan_value | bad_full
        n_bad = int(mism.sum())
        first = ""
        if n_bad:
            i = int(np.flatnonzero(mism)[0])
            fmt = lambda v, null: "null" if null else repr(float(v))  # noqa: E731
            first = f"{where(i)}: got {fmt(got[i], got_null[i])}, expected {fmt(exp[i], exp_null[i])}"
            if got_nan_value[i]:
                first += " (NaN stored as a value)"
            first += f" [null mismatches {int(null_bad.sum())}, NaN values {int(got_nan_value.sum())}, value mismatches {int(bad.sum())}]"
        rule = "exact" if tol is None else f"tol {tol:g}"
        max_abs = float(d.max()) if d.size else 0.0
        max_rel = float(np.nanmax(rel)) if rel.size else 0.0
        self.rows.append((section, column, rule, int(both.sum()), int(exp_null.sum()), not_exact, max_abs, max_rel, n_bad, first))
        self.values_compared += len(got)
        return n_bad

    def print_table(self, section):
        rows = [r for r in self.rows if r[0] == section]
        if not rows:
            return
        print(f"\n{section}:")
        print(f"  {'column':<26} {'rule':<10} {'values':>8} {'nulls':>7} {'not_exact':>9} {'max_abs':>10} {'max_rel':>10} {'mismatch':>8}")
        for _, col, rule, n, nulls, ne, ma, mr, bad, first in rows:
            print(f"  {col:<26} {rule:<10} {n:>8} {nulls:>7} {ne:>9} {ma:>10.3g} {mr:>10.3g} {bad:>8}"
                  + ("  <-- MISMATCH" if bad else ""))
        for _, col, _, _, _, _, _, _, bad, first in rows:
            if bad:
                print(f"  ! {col}: {bad} mismatches; first at {first}")

    def column_failures(self):
        return [(r[0], r[1], r[8]) for r in self.rows if r[8]]


def series_arrays(s):
    """A polars Float64 series -> (values with NaN at nulls, null mask)."""
    null = s.is_null().to_numpy()
    vals = s.fill_null(float("nan")).to_numpy().astype(np.float64, copy=False)
    return vals, null


# ----------------------------------------------------------------------------- input

def count_data_lines(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def valid_bars(path, symbol_col):
    """{symbol: [(date, o, h, l, c, v), ...]} of valid bars in date order, one per date.

    Validity and parsing are the generator's (`generate.read_bars`, which keeps
    file order); of two valid bars for one (symbol, date) the later line wins."""
    raw = generate.read_bars(path, symbol_col, None)
    out, dups, corrections = {}, 0, 0
    for sym, rows in raw.items():
        by_date = {}
        for r in rows:
            prev = by_date.get(r[0])
            if prev is not None:
                if prev == r:
                    dups += 1
                else:
                    corrections += 1
            by_date[r[0]] = r
        out[sym] = [by_date[t] for t in sorted(by_date)]
    return out, dups, corrections


EARLIEST = datetime.date(1, 1, 1)


def parse_date(s):
    return datetime.date.fromisoformat(s.strip()) if s and s.strip() else None


def read_sectors(path):
    """The sector schedule: (symbol, from, sector) rows, from = EARLIEST when blank."""
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["symbol"].strip() and r["sector"].strip():
                rows.append((r["symbol"].strip(), parse_date(r.get("from")) or EARLIEST, r["sector"].strip()))
    return pl.DataFrame(rows, schema={"symbol": pl.Utf8, "from": pl.Date, "sector": pl.Utf8}, orient="row")


def sectors_of_rows(df, schedule):
    """The sector in force at each row of df (columns symbol, ts), in df's order."""
    rows = df.select(KEYS).with_row_index("row").sort("ts")
    j = rows.join_asof(schedule.sort("from"), left_on="ts", right_on="from", by="symbol", strategy="backward")
    return j.sort("row")["sector"]


def read_universe(path):
    rows = []
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            rows.append((r["symbol"].strip(), parse_date(r["from"]) or EARLIEST,
                         parse_date(r["to"]) or datetime.date(9999, 12, 31)))
    return pl.DataFrame(rows, schema={"symbol": pl.Utf8, "from": pl.Date, "to": pl.Date}, orient="row")


def members_of_rows(df, universe):
    """Whether each row of df is a member at its date (all True without a universe)."""
    if universe is None:
        return np.ones(df.height, dtype=bool)
    rows = df.select(KEYS).with_row_index("row")
    inside = (rows.join(universe, on="symbol", how="inner")
              .filter((pl.col("from") <= pl.col("ts")) & (pl.col("ts") < pl.col("to")))["row"].to_numpy())
    mask = np.zeros(df.height, dtype=bool)
    mask[inside] = True
    return mask


def oracle_frame(bars, symbols, with_features):
    """Oracle rows (symbol, ts, bars, and the 39 features when asked; NaN = null)."""
    cols = {c: [] for c in BAR_COLUMNS + (FEATURES if with_features else [])}
    syms, dates = [], []
    for sym in symbols:
        rows = bars[sym]
        syms.append(np.full(len(rows), sym, dtype=object))
        dates.extend(r[0] for r in rows)
        arr = [np.ascontiguousarray([r[k] for r in rows], dtype=np.float64) for k in range(1, 6)]
        for name, a in zip(BAR_COLUMNS, arr):
            cols[name].append(a)
        if with_features:
            f = generate.features(*arr)
            for name in FEATURES:
                cols[name].append(np.asarray(f[name], dtype=np.float64))
    data = {
        "symbol": pl.Series("symbol", np.concatenate(syms) if syms else [], dtype=pl.Utf8),
        "ts": pl.Series("ts", dates, dtype=pl.Utf8).str.to_date("%Y-%m-%d"),
    }
    for name, parts in cols.items():
        data[name] = pl.Series(name, np.concatenate(parts) if parts else [], dtype=pl.Float64)
    return pl.DataFrame(data)


# ----------------------------------------------------------------------------- output

def read_output(out_dir, report):
    dataset = ds.dataset(out_dir, format="parquet", partitioning="hive")
    names = [f.name for f in dataset.schema if f.name != "year"]
    missing = [c for c in EXPECTED_COLUMNS if c not in names]
    extra = [c for c in names if c not in EXPECTED_COLUMNS]
    if missing or extra:
        report.fail(f"output columns differ: missing {missing}, unexpected {extra}")
    elif names != EXPECTED_COLUMNS:
        report.fail(f"output columns out of order: {names}")
    if missing:
        return None
    if dataset.schema.field("ts").type != pa.date32():
        report.fail(f"ts is {dataset.schema.field('ts').type}, expected date32 (daily bars)")
        return None
    for c in BAR_COLUMNS + FEATURES + CS_COLUMNS:
        if dataset.schema.field(c).type != pa.float64():
            report.fail(f"column {c} is {dataset.schema.field(c).type}, expected double")
    has_year = "year" in dataset.schema.names
    table = dataset.to_table(columns=EXPECTED_COLUMNS + (["year"] if has_year else []))
    df = pl.from_arrow(table)
    if not has_year:
        report.fail("output is not partitioned by year=")
    else:
        bad = df.filter(pl.col("year") != pl.col("ts").dt.year())
        if bad.height:
            r = bad.row(0, named=True)
            report.fail(f"{bad.height} rows in the wrong year= partition, e.g. {r['symbol']} {r['ts']} in year={r['year']}")
        df = df.drop("year")
    if dataset.schema.field("known_at").type != pa.timestamp("us", tz="UTC"):
        report.fail(f"known_at is {dataset.schema.field('known_at').type}, expected timestamp[us, UTC]")
    else:
        # a backfilled row is known from its own bar time
        late = df.filter(pl.col("known_at") != pl.col("ts").cast(pl.Datetime("us", "UTC")))
        if late.height:
            r = late.row(0, named=True)
            report.fail(f"{late.height} rows not known from their bar time, e.g. {r['symbol']} {r['ts']}: {r['known_at']}")
    return df.drop("known_at").sort(KEYS)


def check_rows(got, exp, sectors, report):
    """Row set, pass-through bar columns and sector column."""
    dup = got.group_by(KEYS).len().filter(pl.col("len") > 1)
    if dup.height:
        r = dup.sort(KEYS).row(0, named=True)
        report.fail(f"{dup.height} (symbol, ts) keys appear more than once in the output, e.g. {r['symbol']} {r['ts']} x{r['len']}")
    missing = exp.join(got, on=KEYS, how="anti")
    extra = got.join(exp, on=KEYS, how="anti")
    if missing.height:
        ex = ", ".join(f"{s} {t}" for s, t in missing.select(KEYS).head(5).iter_rows())
        report.fail(f"{missing.height} valid input bars are missing from the output, e.g. {ex}")
    if extra.height:
        ex = ", ".join(f"{s} {t}" for s, t in extra.select(KEYS).head(5).iter_rows())
        report.fail(f"{extra.height} output rows are not valid input bars, e.g. {ex}")
    if got.height != exp.height:
        report.fail(f"row count: output {got.height}, valid input bars {exp.height}")
    j = exp.select(KEYS + BAR_COLUMNS).join(got.select(KEYS + BAR_COLUMNS + ["sector"]), on=KEYS, how="inner", suffix="_got")
    where = lambda i: f"{j['symbol'][i]} {j['ts'][i]}"  # noqa: E731
    for c in BAR_COLUMNS:
        g, gn = series_arrays(j[f"{c}_got"])
        e = j[c].to_numpy()
        report.compare("input bars (pass-through)", c, g, gn, e, np.isnan(e), None, where)
    exp_sector = sectors_of_rows(j, sectors)
    bad = ~((exp_sector == j["sector"]).fill_null(False) | (exp_sector.is_null() & j["sector"].is_null()))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        report.fail(f"sector column: {int(bad.sum())} rows differ from the sectors file, first {where(i)}: got {j['sector'][i]!r}, expected {exp_sector[i]!r}")


def check_features(got, exp, exact_talib, report):
    j = exp.join(got.select(KEYS + FEATURES), on=KEYS, how="inner", suffix="_got")
    where = lambda i: f"{j['symbol'][i]} {j['ts'][i]}"  # noqa: E731
    for c in FEATURES:
        g, gn = series_arrays(j[f"{c}_got"])
        e = j[c].to_numpy()
        tol = None if exact_talib and c in TALIB_COLUMNS else FEATURE_TOL
        report.compare("per-symbol features", c, g, gn, e, np.isnan(e), tol, where)
    return j.height


# ----------------------------------------------------------------------------- cross-sections

def group_starts(g):
    """Start offsets of the runs of equal values in the sorted array g."""
    return np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if len(g) else np.zeros(0, dtype=np.int64)


def zscores(x, g, need, n_groups):
    """(x - mean_g) / pstd_g for rows sorted by (group, symbol); NaN where the
    group has fewer than `need` values or all its values are equal.
    Sums run in row order (np.bincount accumulates sequentially)."""
    out = np.full(len(x), np.nan)
    if not len(x):
        return out
    cnt = np.bincount(g, minlength=n_groups).astype(np.float64)
    mean = np.bincount(g, weights=x, minlength=n_groups) / np.maximum(cnt, 1)
    dev = x - mean[g]
    std = np.sqrt(np.bincount(g, weights=dev * dev, minlength=n_groups) / np.maximum(cnt, 1))
    starts = group_starts(g)
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    lo[g[starts]] = np.minimum.reduceat(x, starts)
    hi[g[starts]] = np.maximum.reduceat(x, starts)
    ok = (cnt >= need) & (lo != hi)
    sel = ok[g]
    out[sel] = dev[sel] / std[g][sel]
    return out


def cross_section_oracle(df, sectors, members, min_count, winsorize):
    """Expected cs_rank_f, cs_z_f, sector_z_f for df sorted by (ts, symbol),
    whose rows have `sectors` (names or None) and are `members` (bools)."""
    n = df.height
    ts_id = df["ts"].rank("dense").to_numpy().astype(np.int64) - 1
    n_ts = int(ts_id.max()) + 1 if n else 0
    names = sorted({s for s in sectors if s is not None})
    code = {s: i for i, s in enumerate(names)}
    sec_id = np.array([code.get(s, -1) for s in sectors], dtype=np.int64)
    need_z = max(min_count, 2)
    out = {}
    for f in CS_FEATURES:
        x_all, null = series_arrays(df[f])
        present = ~null & ~np.isnan(x_all) & members
        idx = np.flatnonzero(present)  # (ts, symbol) order
        x, g = x_all[idx], ts_id[idx]
        cnt = np.bincount(g, minlength=n_ts)
        # ranks: sort by (ts, value); a run of equal values in a ts shares the
        # mean of its 1-based positions start+1 .. end
        order = np.lexsort((x, g))
        gs, xs = g[order], x[order]
        gstart = group_starts(gs)
        first_of_group = np.zeros(n_ts, dtype=np.int64)
        first_of_group[gs[gstart]] = gstart
        pos = np.arange(len(order)) - first_of_group[gs]  # 0-based position in its ts
        run_start_flag = np.r_[True, (gs[1:] != gs[:-1]) | (xs[1:] != xs[:-1])] if len(order) else np.zeros(0, bool)
        run_id = np.cumsum(run_start_flag) - 1
        run_first = pos[run_start_flag]
        run_last = np.r_[pos[np.flatnonzero(run_start_flag)[1:] - 1], pos[-1:]] if len(order) else pos
        rank_sorted = (run_first[run_id] + 1 + run_last[run_id] + 1) / 2.0 / cnt[gs]
        rank_sorted[cnt[gs] < min_count] = np.nan
        rank = np.full(n, np.nan)
        rank[idx[order]] = rank_sorted
        # winsorize: clip to the ts cross-section's linear-interpolated quantiles
        if winsorize is not None and len(x):
            c = cnt[gs[gstart]]
            bounds = []
            for q in winsorize:
                p = q * (c - 1)
                lo = np.floor(p).astype(np.int64)
                hi = np.minimum(lo + 1, c - 1)
                a, b = xs[gstart + lo], xs[gstart + hi]
                bounds.append(a + (b - a) * (p - lo))
            lo_b = np.full(n_ts, np.nan)
            hi_b = np.full(n_ts, np.nan)
            lo_b[gs[gstart]], hi_b[gs[gstart]] = bounds
            x = np.clip(x, lo_b[g], hi_b[g])
        z = np.full(n, np.nan)
        z[idx] = zscores(x, g, need_z, n_ts)
        # sector z: groups (ts, sector), rows with a sector, symbol order kept (stable sort)
        s = sec_id[idx]
        has = s >= 0
        xi, gi, si, ii = x[has], g[has], s[has], idx[has]
        so = np.lexsort((si, gi))
        gid = gi[so] * (len(names) + 1) + si[so]
        dense = np.r_[0, np.cumsum(gid[1:] != gid[:-1])] if len(gid) else gid
        sz = np.full(n, np.nan)
        sz[ii[so]] = zscores(xi[so], dense, need_z, int(dense[-1]) + 1 if len(dense) else 0)
        out[f"cs_rank_{f}"], out[f"cs_z_{f}"], out[f"sector_z_{f}"] = rank, z, sz
    return out


def check_cross_sections(got, sectors, universe, min_count, winsorize, report):
    df = got.select(KEYS + CS_FEATURES + CS_COLUMNS).sort(["ts", "symbol"])
    exp = cross_section_oracle(df, sectors_of_rows(df, sectors).to_list(),
                               members_of_rows(df, universe), min_count, winsorize)
    where = lambda i: f"{df['symbol'][i]} {df['ts'][i]}"  # noqa: E731
    for c in CS_COLUMNS:
        g, gn = series_arrays(df[c])
        e = exp[c]
        report.compare("cross-sectional features", c, g, gn, e, np.isnan(e), CS_TOL, where)


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", required=True, help="backfill output directory (Hive-partitioned Parquet)")
    ap.add_argument("--input", required=True, help="the bar CSV the backfill read (.csv or .csv.gz)")
    ap.add_argument("--sectors", required=True, help="symbol,sector[,from] CSV the backfill was given")
    ap.add_argument("--universe", help="symbol,from,to CSV the backfill was given (default: every symbol)")
    ap.add_argument("--symbol-col", default="Name", help="symbol column of the input (default Name)")
    ap.add_argument("--symbols", default="all", help="'all' or N: recompute per-symbol features for the first N symbols only")
    ap.add_argument("--exact-talib", action="store_true",
                    help="require TA-Lib columns to be bit-identical to TA-Lib (default: the spec's 1e-9 tolerance)")
    ap.add_argument("--min-count", type=int, default=1, help="cross_section.min_count the backfill used (default 1)")
    ap.add_argument("--winsorize", type=float, nargs=2, metavar=("LO", "HI"), default=None,
                    help="cross_section.winsorize the backfill used (default none)")
    a = ap.parse_args()
    if a.symbols != "all" and not (a.symbols.isdigit() and int(a.symbols) > 0):
        ap.error("--symbols must be 'all' or a positive integer")
    if not os.path.isdir(a.output):
        ap.error(f"{a.output} is not a directory")

    t0 = time.monotonic()
    report = Report()
    print(f"oracle: TA-Lib C {generate.talib.__ta_version__.decode()}, generator {generate.__file__}")

    total_lines = count_data_lines(a.input)
    bars, dups, corrections = valid_bars(a.input, a.symbol_col)
    sectors = read_sectors(a.sectors)
    all_symbols = sorted(bars)
    n_valid = sum(len(v) for v in bars.values())
    print(f"input: {total_lines} rows, {len(all_symbols)} symbols, {n_valid} valid distinct bars "
          f"({total_lines - n_valid - dups - corrections} invalid, {dups} duplicates, {corrections} corrections)")
    checked = all_symbols if a.symbols == "all" else all_symbols[: int(a.symbols)]

    got = read_output(a.output, report)
    if got is None:
        print("\nFAIL: output unreadable as a tickflow backfill dataset")
        return 1
    print(f"output: {got.height} rows, {got['symbol'].n_unique()} symbols, {len(got.columns)} columns "
          f"({time.monotonic() - t0:.1f} s)")

    bar_frame = oracle_frame(bars, all_symbols, with_features=False)
    check_rows(got, bar_frame, sectors, report)
    del bar_frame

    t1 = time.monotonic()
    exp = oracle_frame(bars, checked, with_features=True)
    print(f"oracle features for {len(checked)} symbols, {exp.height} rows ({time.monotonic() - t1:.1f} s)")
    n_feature_rows = check_features(got, exp, a.exact_talib, report)
    del exp

    universe = read_universe(a.universe) if a.universe else None
    check_cross_sections(got, sectors, universe, a.min_count, a.winsorize, report)

    for section in ("input bars (pass-through)", "per-symbol features", "cross-sectional features"):
        report.print_table(section)

    bad_cols = report.column_failures()
    print(f"\nsummary: {got.height} output rows; per-symbol features checked on {n_feature_rows} rows "
          f"({len(checked)}/{len(all_symbols)} symbols); cross-sections on {got.height} rows; "
          f"{len(report.rows)} columns, {report.values_compared} values compared; "
          f"{time.monotonic() - t0:.1f} s")
    if report.failures or bad_cols:
        for msg in report.failures:
            print(f"FAIL: {msg}")
        for section, col, n in bad_cols:
            print(f"FAIL: {section}: {col}: {n} mismatches")
        print("RESULT: FAIL")
        return 1
    print("RESULT: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
