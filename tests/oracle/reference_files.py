#!/usr/bin/env python3
"""Write time-varying reference files for the S&P 500 panel, for the end-to-end
check of sector and universe changes (scripts/test.sh runs a backfill with
them and tests/oracle/backfill_oracle.py recomputes the cross-sections).

Usage:
    reference_files.py --sectors ../shared/data/sp500_sectors.csv --out DIR

Writes DIR/sectors.csv (`symbol,sector,from`) and DIR/universe.csv
(`symbol,from,to`) from the real sector file, with changes chosen by rule
(by symbol name order, so that they are the same on every machine):
- every symbol keeps its sector from the start; every 25th symbol moves to
  the next sector (in name order) from 2015-07-01, and every 40th has no
  sector until 2014-03-03;
- every symbol is a member from the start, except every 30th, which joins on
  2014-06-02, and every 35th (from the 7th), which leaves on 2016-09-01;
  every 45th (from the 3rd) leaves on 2017-01-03 and rejoins on 2017-06-01.
"""

import argparse
import csv
import os


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sectors", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    with open(a.sectors, newline="") as fh:
        sector = {r["symbol"].strip(): r["sector"].strip() for r in csv.DictReader(fh)}
    symbols = sorted(sector)
    names = sorted(set(sector.values()))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "sectors.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["symbol", "sector", "from"])
        for i, s in enumerate(symbols):
            w.writerow([s, sector[s], "2014-03-03" if i % 40 == 0 else ""])
            if i % 25 == 0:
                moved = names[(names.index(sector[s]) + 1) % len(names)]
                w.writerow([s, moved, "2015-07-01"])
    with open(os.path.join(a.out, "universe.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["symbol", "from", "to"])
        for i, s in enumerate(symbols):
            if i % 45 == 3:
                w.writerow([s, "", "2017-01-03"])
                w.writerow([s, "2017-06-01", ""])
            else:
                w.writerow([s, "2014-06-02" if i % 30 == 0 else "", "2016-09-01" if i % 35 == 7 else ""])


if __name__ == "__main__":
    main()
