"""The backtest benchmark's peer: the same quantile backtest written the way
a quant team writes it today, vectorised with pandas and numpy (alphalens
style: pivot to date x symbol frames, rank across each row, corrwith).

Same rules as `tickflow backtest` (see dataflow/src/backtest/portfolio.rs):
signal = weighted sum of columns; eligible = a bar at t and a full 20-bar
average dollar volume >= the minimum; every `rebalance` bars the eligible
names are cut into quantiles by (value, symbol); the top (and bottom)
bucket is bought at the close of t+1 (a pick without a bar at t+1 is not
bought) and held `holding` bars with constant weights, overlapping
portfolios sharing the capital; costs in bps of traded notional; daily rank
IC at each horizon from the execution close.

    python bench/backtest_peer.py STORE CONFIG.toml OUT.json
"""

import json
import sys
import time
import tomllib

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq


def main(store, config_path, out_path):
    start = time.time()
    with open(config_path, "rb") as f:
        sig = tomllib.load(f)["signal"][0]
    weights = dict(sorted(sig.get("weights", {sig.get("column"): 1.0}).items()))
    q = sig.get("quantiles", 5)
    rebalance, holding = sig.get("rebalance", 1), sig.get("holding", 1)
    cost = sig.get("cost_bps", 0.0) / 1e4
    min_dv, window = sig.get("min_dollar_volume", 0.0), sig.get("liquidity_window", 20)
    horizons = sorted(set(sig.get("ic_horizons", [1, 5, 10, 20]) + [holding]))
    ppy = sig.get("periods_per_year", 252.0)

    manifest = json.load(open(f"{store}/_manifest.json"))
    files = [f"{store}/{f['path']}" for f in manifest["files"]]
    table = pq.read_table(files, columns=["symbol", "ts", "close", "volume", *weights])
    symbols = pc.unique(table["symbol"]).sort()
    col = pc.index_in(table["symbol"], value_set=symbols).to_numpy()
    ts = table["ts"].to_numpy().astype("datetime64[D]").astype(np.int64)
    dates = np.unique(ts)
    row = np.searchsorted(dates, ts)
    t_n, n = len(dates), len(symbols)

    def panel(name):
        p = np.full((t_n, n), np.nan)
        p[row, col] = table[name].to_numpy(zero_copy_only=False)
        return p

    close = panel("close")
    dv = close * panel("volume")
    signal = np.zeros((t_n, n))
    for name, w in weights.items():
        signal += w * panel(name)
    del table

    # Bar returns against each symbol's previous bar (forward-filled close).
    valid = ~np.isnan(close)
    last = np.where(valid, np.arange(t_n)[:, None], -1)
    np.maximum.accumulate(last, axis=0, out=last)
    prev_idx = np.vstack([np.full((1, n), -1), last[:-1]])
    prev = np.where(prev_idx >= 0, close[np.maximum(prev_idx, 0), np.arange(n)], np.nan)
    ret = np.where(valid, close / prev - 1.0, np.nan)

    # Liquidity and eligibility.
    if min_dv > 0:
        s = np.vstack([np.zeros((1, n)), np.cumsum(np.nan_to_num(dv), axis=0)])
        c = np.vstack([np.zeros((1, n)), np.cumsum(valid, axis=0)])
        lo = np.maximum(np.arange(1, t_n + 1) - window, 0)
        sums, counts = s[1:] - s[lo], c[1:] - c[lo]
        liquid = (counts == window) & (sums / window >= min_dv)
    else:
        liquid = np.ones((t_n, n), bool)
    nxt = np.vstack([valid[1:], np.zeros((1, n), bool)])
    cand = valid & liquid & np.isfinite(signal)

    # Portfolios.
    share = 1.0 / -(-holding // rebalance)
    held = np.zeros((t_n, n))
    q_sums, periods = np.zeros(q), 0
    for t in range(0, t_n - 2, rebalance):
        names = np.flatnonzero(cand[t])
        m = len(names)
        if m < q:
            continue
        order = names[np.argsort(signal[t, names], kind="stable")]
        bucket = np.arange(m) * q // m
        w = np.zeros(n)
        top = order[bucket == q - 1]
        w[top] = share / len(top)
        if sig.get("side", "long_short") == "long_short":
            bottom = order[bucket == 0]
            w[bottom] = -share / len(bottom)
        w[~nxt[t]] = 0.0
        held[t + 2 : min(t + 1 + holding, t_n - 1) + 1] += w
        end = t + 1 + holding
        if end < t_n:
            periods += 1
            fwd = close[end, order] / close[t + 1, order] - 1.0
            for b in range(q):
                r = fwd[bucket == b]
                r = r[np.isfinite(r)]
                if len(r):
                    q_sums[b] += r.mean()
    held[np.abs(held) < 1e-12] = 0.0
    gross = np.nansum(held * np.nan_to_num(ret), axis=1)
    turnover = np.zeros(t_n)
    turnover[:-1] = np.abs(np.diff(held, axis=0)).sum(axis=1)
    net = gross - turnover * cost
    first = int(np.flatnonzero((held != 0).any(axis=1))[0])

    # Daily rank IC, the pandas way.
    sig_frame = pd.DataFrame(np.where(cand, signal, np.nan))
    ic = {}
    for h in horizons:
        fwd = np.full((t_n, n), np.nan)
        fwd[: t_n - 1 - h] = close[1 + h :] / close[1 : t_n - h] - 1.0
        both = cand & np.isfinite(fwd)
        x = sig_frame.where(both).rank(axis=1)
        y = pd.DataFrame(np.where(both, fwd, np.nan)).rank(axis=1)
        v = x.corrwith(y, axis=1).to_numpy().copy()
        v[both.sum(axis=1) < 3] = np.nan
        ic[h] = v

    r = net[first:]
    equity = np.cumprod(1 + r)
    drawdown = (equity / np.maximum.accumulate(np.maximum(equity, 1.0)) - 1).min()
    hic = ic[holding][first:]
    out = {
        "bars": len(r),
        "total_return": float(equity[-1] - 1),
        "sharpe": float(r.mean() / r.std(ddof=1) * np.sqrt(ppy)),
        "max_drawdown": float(min(drawdown, 0.0)),
        "mean_ic": float(np.nanmean(hic)),
        "quantiles": (q_sums / max(periods, 1)).tolist(),
        "seconds": time.time() - start,
    }
    json.dump(out, open(out_path, "w"), indent=1)
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:4])
