#!/usr/bin/env python3
"""The Polars peer of `bench/market_vs_polars.sh`: what a quant team writes
today for rolling betas and correlations against an equal-weight market.

    market_peer.py PANEL.csv[.gz]|PANEL.parquet OUT.parquet [--symbol-col Name]

Reads the panel; ret_1 = ln(close / previous close) per symbol; the market
= the mean ret_1 of the symbols at each date, accumulated into a log level
joined back by date, its change since the symbol's previous bar the market
move; beta_n = rolling cov / rolling var of the move, corr_n = rolling
corr, over n = 20 and 60 bars per symbol; then the cross-sectional rank
(average ties, / count) and z-score (population std) of beta_60 and
corr_60 per date. Writes one Parquet file. Rows with an invalid field are
dropped, and so are bars that break the spec's rule (low above the open
or close, high below): the panel has 23 of them.
"""
import sys

import polars as pl


def main():
    src, out = sys.argv[1], sys.argv[2]
    sym = sys.argv[sys.argv.index("--symbol-col") + 1] if "--symbol-col" in sys.argv else "Name"
    raw = pl.read_parquet(src) if src.endswith(".parquet") else pl.read_csv(src, try_parse_dates=True)
    df = (
        raw.rename({sym: "symbol"})
        .drop_nulls()
        .filter(
            (pl.min_horizontal("open", "high", "low", "close") > 0)
            & (pl.col("volume") >= 0)
            & (pl.col("low") <= pl.min_horizontal("open", "close"))
            & (pl.col("high") >= pl.max_horizontal("open", "close"))
        )
        .sort(["symbol", "date"])
        .with_columns((pl.col("close") / pl.col("close").shift(1)).log().over("symbol").alias("ret_1"))
    )
    first = df["date"].min()
    market = (
        df.group_by("date")
        .agg(pl.col("ret_1").mean().alias("m"))
        .sort("date")
        .with_columns(
            pl.when(pl.col("date") == first).then(0.0).otherwise(pl.col("m").fill_null(0.0)).cum_sum().alias("level")
        )
        .select("date", "level")
    )
    df = df.join(market, on="date", how="left").sort(["symbol", "date"])
    df = df.with_columns((pl.col("level") - pl.col("level").shift(1)).over("symbol").alias("move"))
    cols = []
    for n in (20, 60):
        cov = pl.rolling_cov(pl.col("ret_1"), pl.col("move"), window_size=n, ddof=0)
        var = pl.col("move").rolling_var(n, ddof=0)
        cols.append((cov / var).over("symbol").alias(f"beta_{n}"))
        cols.append(pl.rolling_corr(pl.col("ret_1"), pl.col("move"), window_size=n).over("symbol").alias(f"corr_{n}"))
    df = df.with_columns(cols)
    cs = []
    for f in ("beta_60", "corr_60"):
        x = pl.col(f)
        cs.append((x.rank("average") / x.count()).over("date").alias(f"cs_rank_{f}"))
        cs.append(((x - x.mean()) / x.std(ddof=0)).over("date").alias(f"cs_z_{f}"))
    df = df.with_columns(cs).drop("level", "move")
    df.sort(["date", "symbol"]).write_parquet(out)
    print(f"peer: {df.height} rows, {df.width} columns")


if __name__ == "__main__":
    main()
