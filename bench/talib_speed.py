#!/usr/bin/env python3
"""TA-Lib's own speed on a long series: its batch C functions, called through
the Python package over one long array, as ns per bar (best of 3).

Also writes the series (open, high, low, close, volume as little-endian f64
columns) so tickflow's `speed` example times the same bars.

Usage: talib_speed.py --bars 2000000 --series /tmp/series.f64
"""
import argparse
import json
import time

import numpy as np
import talib


def walk(n, seed=42):
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    high = np.maximum(open_, close) * (1 + 0.01 * rng.random(n))
    low = np.minimum(open_, close) * (1 - 0.01 * rng.random(n))
    volume = np.round(1e5 + 1e6 * rng.random(n))
    return open_, high, low, close, volume


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bars", type=int, default=2_000_000)
    ap.add_argument("--series", required=True)
    a = ap.parse_args()
    o, h, l, c, v = walk(a.bars)
    np.stack([o, h, l, c, v]).astype("<f8").tofile(a.series)
    calls = {
        "ROC(10)": lambda: talib.ROC(c, 10),
        "SMA(5)": lambda: talib.SMA(c, 5),
        "SMA(20)": lambda: talib.SMA(c, 20),
        "SMA(60)": lambda: talib.SMA(c, 60),
        "EMA(12)": lambda: talib.EMA(c, 12),
        "EMA(26)": lambda: talib.EMA(c, 26),
        "KAMA(10)": lambda: talib.KAMA(c, 10),
        "RSI(14)": lambda: talib.RSI(c, 14),
        "MACD(12,26,9)": lambda: talib.MACD(c, 12, 26, 9),
        "STOCH(14,3,3)": lambda: talib.STOCH(h, l, c, 14, 3, 0, 3, 0),
        "WILLR(14)": lambda: talib.WILLR(h, l, c, 14),
        "CCI(20)": lambda: talib.CCI(h, l, c, 20),
        "AROON(25)": lambda: talib.AROON(h, l, 25),
        "ADX(14)": lambda: talib.ADX(h, l, c, 14),
        "PLUS_DI(14)": lambda: talib.PLUS_DI(h, l, c, 14),
        "MINUS_DI(14)": lambda: talib.MINUS_DI(h, l, c, 14),
        "ATR(14)": lambda: talib.ATR(h, l, c, 14),
        "NATR(14)": lambda: talib.NATR(h, l, c, 14),
        "BBANDS(20,2,2)": lambda: talib.BBANDS(c, 20, 2, 2, 0),
        "STDDEV(20)": lambda: talib.STDDEV(c, 20, 1),
        "OBV": lambda: talib.OBV(c, v),
        "MFI(14)": lambda: talib.MFI(h, l, c, v, 14),
    }
    total = 0.0
    outputs = 0
    for name, fn in calls.items():
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            r = fn()
            best = min(best, time.perf_counter() - t)
        outputs += len(r) if isinstance(r, tuple) else 1
        ns = best * 1e9 / a.bars
        total += ns
        print(json.dumps({"peer": "talib", "function": name, "ns_per_bar": round(ns, 2)}))
    print(json.dumps({"peer": "talib", "function": f"all {len(calls)} functions ({outputs} outputs)", "ns_per_bar": round(total, 2)}))


if __name__ == "__main__":
    main()
