"""The Python peer of `tickflow samples` (bench/samples_vs_python.sh): the
same windows a typical research script builds, vectorised with numpy
(sliding_window_view per symbol, no per-window Python loop), one process.

    python bench/samples_peer.py BARS.parquet OUT.parquet COUNT SEED

Windows of 60 bars; open, high, low, close divided by the window's last
close; ln(1+volume) z-scored over all bars; labels fwd_ret_1/5/20; no step
over 5 days inside a window and its labels; COUNT windows sampled with
SEED; written as zstd Parquet with one fixed-size list column per feature
in row groups of 16,384 windows.
"""
import sys

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.lib.stride_tricks import sliding_window_view as windows

L, HORIZONS, MAX_GAP = 60, (1, 5, 20), 5
src, out, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

df = pl.read_parquet(src).rename({"date": "ts"}).sort(["symbol", "ts"])
vol_log = np.log1p(df["volume"].to_numpy())
mean, std = vol_log.mean(), vol_log.std()
H = max(HORIZONS)

parts = []
for sym, g in df.group_by("symbol", maintain_order=True):
    ts = g["ts"].cast(pl.Int32).to_numpy()
    n = len(ts)
    if n < L + H:
        continue
    ends = np.arange(L - 1, n - H)
    gap = np.concatenate([[0], (np.diff(ts) > MAX_GAP).astype(np.int64)]).cumsum()
    ok = gap[ends + H] == gap[ends - L + 1]
    parts.append((sym[0], g, ends[ok]))

total = sum(len(e) for _, _, e in parts)
rng = np.random.default_rng(seed)
keep = np.zeros(total, dtype=bool)
keep[rng.choice(total, size=min(count, total), replace=False)] = True

item = pa.field("item", pa.float32(), nullable=False)
writer = None
pending = []


def flush(frames):
    global writer
    table = pa.concat_tables(frames)
    if writer is None:
        writer = pq.ParquetWriter(out, table.schema, compression="zstd", compression_level=1)
    writer.write_table(table, row_group_size=16384)


offset = 0
rows_pending = 0
for sym, g, ends in parts:
    sel = ends[keep[offset : offset + len(ends)]]
    offset += len(ends)
    if len(sel) == 0:
        continue
    close = g["close"].to_numpy()
    last = close[sel]
    cols = {"symbol": pa.array([sym] * len(sel)), "ts": pa.array(g["ts"].to_numpy()[sel])}
    for name in ("open", "high", "low", "close", "volume"):
        x = g[name].to_numpy()
        w = windows(x, L)[sel - L + 1]
        if name == "volume":
            v = ((np.log1p(w) - mean) / std).astype(np.float32)
        else:
            v = (w / last[:, None]).astype(np.float32)
        cols[name] = pa.FixedSizeListArray.from_arrays(pa.array(v.ravel()), L)
    for h in HORIZONS:
        cols[f"fwd_ret_{h}"] = pa.array(close[sel + h] / last - 1.0)
    pending.append(pa.table(cols))
    rows_pending += len(sel)
    if rows_pending >= 16384:
        flush(pending)
        pending, rows_pending = [], 0
if pending:
    flush(pending)
writer.close()
print(min(count, total))
