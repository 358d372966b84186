#!/usr/bin/env python3
"""Golden expected values for tickflow-operators, from an independent oracle.

TA-Lib (PyPI `ta-lib==0.8.2`, TA-Lib C 0.8.1) computes every TA-Lib feature of
shared/spec/features.md; the other features (returns, %b, width, vol, volume z,
Connors RSI, VIDYA, FFD) are recomputed here naively from the spec's formulas
with plain loops, sharing no code with the Rust engine.

Usage: generate.py [--data ../shared/data] [--out operators/tests/golden/out]

Writes one CSV per dataset: symbol, ts, then the standard feature columns, as
Python repr floats (round-trip exact); an empty field is a null.
"""
import argparse
import csv
import gzip
import math
import os
import sys

import numpy as np
import talib

if not talib.__ta_version__.decode().startswith("0.8.1"):
    sys.exit(f"need TA-Lib C 0.8.1 (pip install ta-lib==0.8.2), found {talib.__ta_version__!r}")

COLUMNS = [
    "ret_1", "ret_5", "ret_20", "roc_10", "sma_5", "sma_20", "sma_60", "ema_12", "ema_26",
    "kama_10", "rsi_14", "macd", "macd_signal", "macd_hist", "stoch_k", "stoch_d", "willr_14",
    "cci_20", "aroon_up_25", "aroon_down_25", "adx_14", "plus_di_14", "minus_di_14", "atr_14",
    "natr_14", "bb_upper", "bb_middle", "bb_lower", "bb_pctb", "bb_width", "stddev_20", "vol_20",
    "vol_60", "obv", "mfi_14", "volume_z_20", "crsi_3_2_100", "vidya_14_9", "ffd_0_4",
]

# A handful of S&P symbols: long clean histories, dirty rows (DHR, O, LNT, WRK),
# late listings (ALLE) and short ones (APTV: 44 bars, BHF).
SP500_SYMBOLS = ["AAPL", "MSFT", "XOM", "DHR", "O", "LNT", "WRK", "ALLE", "APTV", "BHF"]


def parse_float(s):
    try:
        return float(s)
    except ValueError:
        return math.nan


def valid(o, h, l, c, v):
    prices = (o, h, l, c)
    if not all(math.isfinite(p) and p > 0 for p in prices):
        return False
    if not (math.isfinite(v) and v >= 0):
        return False
    return l <= min(o, c) and h >= max(o, c)


def nan_array(n):
    return np.full(n, math.nan)


def naive_features(o, h, l, c, v):
    """Spec features that are not TA-Lib functions, by direct loops."""
    n = len(c)
    out = {}
    ret1 = nan_array(n)
    for i in range(1, n):
        ret1[i] = math.log(c[i] / c[i - 1])
    out["ret_1"] = ret1
    for k in (5, 20):
        r = nan_array(n)
        for i in range(k, n):
            r[i] = c[i] / c[i - k] - 1.0
        out[f"ret_{k}"] = r
    for w in (20, 60):
        s = nan_array(n)
        for i in range(w, n):  # ret_1 exists from 1, so n values end at i >= w
            xs = ret1[i - w + 1 : i + 1]
            m = sum(xs) / w
            s[i] = math.sqrt(sum((x - m) ** 2 for x in xs) / (w - 1))
        out[f"vol_{w}"] = s
    vz = nan_array(n)
    for i in range(19, n):
        xs = v[i - 19 : i + 1]
        if all(x == xs[0] for x in xs):
            continue
        m = sum(xs) / 20
        sd = math.sqrt(sum((x - m) ** 2 for x in xs) / 20)
        vz[i] = (v[i] - m) / sd
    out["volume_z_20"] = vz
    # Connors RSI (3, 2, 100)
    streak = np.zeros(n)
    for i in range(1, n):
        if c[i] > c[i - 1]:
            streak[i] = max(streak[i - 1], 0) + 1
        elif c[i] < c[i - 1]:
            streak[i] = min(streak[i - 1], 0) - 1
        else:
            streak[i] = 0
    rsi_c = talib.RSI(c, 3) if n > 3 else nan_array(n)
    rsi_s = talib.RSI(streak, 2) if n > 2 else nan_array(n)
    crsi = nan_array(n)
    r = [math.nan] + [c[i] / c[i - 1] - 1 for i in range(1, n)]
    for i in range(101, n):
        pr = 100.0 * sum(1 for j in range(i - 100, i) if r[j] < r[i]) / 100
        parts = (rsi_c[i], rsi_s[i], pr)
        if all(not math.isnan(p) for p in parts):
            crsi[i] = sum(parts) / 3
    out["crsi_3_2_100"] = crsi
    # VIDYA (14, 9)
    m = 9
    vid = nan_array(n)
    if n > m - 1:
        prev = c[m - 1]
        for i in range(m, n):
            ch = [c[j] - c[j - 1] for j in range(i - m + 1, i + 1)]
            su = sum(x for x in ch if x > 0)
            sd = sum(-x for x in ch if x < 0)
            cmo = 0.0 if su + sd == 0 else (su - sd) / (su + sd)
            k = (2 / 15) * abs(cmo)
            prev = k * c[i] + (1 - k) * prev
            vid[i] = prev
    out["vidya_14_9"] = vid
    # FFD (0.4, 1e-4)
    w = [1.0]
    k = 1
    while True:
        nxt = -w[k - 1] * (0.4 - k + 1) / k
        if abs(nxt) < 1e-4:
            break
        w.append(nxt)
        k += 1
    K = len(w)
    ffd = nan_array(n)
    logs = [math.log(x) for x in c]
    for i in range(K - 1, n):
        ffd[i] = sum(w[j] * logs[i - j] for j in range(K))
    out["ffd_0_4"] = ffd
    return out


def features(o, h, l, c, v):
    n = len(c)
    f = naive_features(o, h, l, c, v)

    def ta(fn, *args, **kw):
        try:
            return fn(*args, **kw)
        except Exception:  # too few rows for TA-Lib's lookback: all null
            return None

    def col(values):
        return values if values is not None else nan_array(n)

    f["roc_10"] = col(ta(talib.ROC, c, 10))
    for p in (5, 20, 60):
        f[f"sma_{p}"] = col(ta(talib.SMA, c, p))
    for p in (12, 26):
        f[f"ema_{p}"] = col(ta(talib.EMA, c, p))
    f["kama_10"] = col(ta(talib.KAMA, c, 10))
    f["rsi_14"] = col(ta(talib.RSI, c, 14))
    macd = ta(talib.MACD, c, 12, 26, 9) or (nan_array(n),) * 3
    f["macd"], f["macd_signal"], f["macd_hist"] = macd
    st = ta(talib.STOCH, h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0, slowd_period=3, slowd_matype=0) or (nan_array(n),) * 2
    f["stoch_k"], f["stoch_d"] = st
    f["willr_14"] = col(ta(talib.WILLR, h, l, c, 14))
    f["cci_20"] = col(ta(talib.CCI, h, l, c, 20))
    ar = ta(talib.AROON, h, l, 25) or (nan_array(n),) * 2
    f["aroon_down_25"], f["aroon_up_25"] = ar
    f["adx_14"] = col(ta(talib.ADX, h, l, c, 14))
    f["plus_di_14"] = col(ta(talib.PLUS_DI, h, l, c, 14))
    f["minus_di_14"] = col(ta(talib.MINUS_DI, h, l, c, 14))
    f["atr_14"] = col(ta(talib.ATR, h, l, c, 14))
    f["natr_14"] = col(ta(talib.NATR, h, l, c, 14))
    bb = ta(talib.BBANDS, c, 20, 2, 2, 0) or (nan_array(n),) * 3
    f["bb_upper"], f["bb_middle"], f["bb_lower"] = bb
    up, mid, lo = bb
    pctb = nan_array(n)
    width = nan_array(n)
    for i in range(n):
        if math.isnan(up[i]):
            continue
        window = c[i - 19 : i + 1]
        if not all(x == window[0] for x in window):
            pctb[i] = (c[i] - lo[i]) / (up[i] - lo[i])
        if mid[i] != 0:
            width[i] = (up[i] - lo[i]) / mid[i]
    f["bb_pctb"], f["bb_width"] = pctb, width
    f["stddev_20"] = col(ta(talib.STDDEV, c, 20, 1))
    f["obv"] = talib.OBV(c, v)
    f["mfi_14"] = col(ta(talib.MFI, h, l, c, v, 14))
    return f


def read_bars(path, symbol_col, default_symbol):
    opener = gzip.open if path.endswith(".gz") else open
    bars = {}
    with opener(path, "rt", newline="") as fh:
        for row in csv.DictReader(fh):
            sym = row[symbol_col] if symbol_col else default_symbol
            vals = [parse_float(row[k]) for k in ("open", "high", "low", "close", "volume")]
            if not valid(*vals):
                continue
            bars.setdefault(sym, []).append((row["date"], *vals))
    return bars


def write(out_path, bars_by_symbol, symbols):
    with open(out_path + ".tmp", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["symbol", "ts"] + COLUMNS)
        for sym in symbols:
            rows = sorted(bars_by_symbol[sym])
            ts = [r[0] for r in rows]
            arr = [np.array([r[k] for r in rows], dtype=float) for k in range(1, 6)]
            f = features(*arr)
            for i, t in enumerate(ts):
                w.writerow([sym, t] + ["" if math.isnan(f[c][i]) else repr(float(f[c][i])) for c in COLUMNS])
    os.replace(out_path + ".tmp", out_path)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.abspath(os.path.join(here, "..", "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(repo, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(here, "out"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    spy_d = read_bars(os.path.join(a.data, "spy_daily_2017_2018.csv"), None, "SPY")
    write(os.path.join(a.out, "spy_daily.csv"), spy_d, ["SPY"])
    spy_m = read_bars(os.path.join(a.data, "spy_1min_2020_12.csv"), None, "SPY")
    write(os.path.join(a.out, "spy_1min.csv"), spy_m, ["SPY"])
    sp = read_bars(os.path.join(a.data, "sp500_5yr.csv.gz"), "Name", None)
    write(os.path.join(a.out, "sp500_subset.csv"), sp, SP500_SYMBOLS)
    print(f"golden files written to {a.out}")


if __name__ == "__main__":
    main()
