"""Minute bars for the live benchmark: SYMBOLS symbols x MINUTES one-minute
bars from 2024-01-02 14:30Z, a seeded random walk, in time order.

python3 bench/gen_minutes.py OUT.csv SYMBOLS MINUTES
"""
import datetime as dt
import random
import sys

out, symbols, minutes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(7)
price = [50.0 + 100.0 * rng.random() for _ in range(symbols)]
t0 = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.timezone.utc)
with open(out, "w") as f:
    f.write("symbol,ts,open,high,low,close,volume\n")
    for m in range(minutes):
        ts = (t0 + dt.timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for s in range(symbols):
            o = price[s]
            c = round(max(1.0, o * (1.0 + rng.gauss(0.0, 0.001))), 2)
            h = round(max(o, c) * (1.0 + abs(rng.gauss(0.0, 0.0005))), 2)
            lo = round(min(o, c) * (1.0 - abs(rng.gauss(0.0, 0.0005))), 2)
            price[s] = c
            f.write(f"S{s:04d},{ts},{o:.2f},{h:.2f},{lo:.2f},{c:.2f},{rng.randint(100, 100000)}\n")
