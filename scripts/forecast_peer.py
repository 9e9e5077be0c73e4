#!/usr/bin/env python3
"""The forecasting benchmark's peer: statsforecast on the same series.

    target/peer-venv/bin/python scripts/forecast_peer.py IN.csv OUT.csv HORIZON [N_JOBS]

IN.csv: unique_id,ds,y (daily, the training part of each series).
OUT.csv: unique_id,step,AutoETS,CrostonSBA,TSB (step 1..HORIZON).
Models: AutoETS(season_length=7), CrostonSBA(), TSB(alpha_d=0.1,
alpha_p=0.1), n_jobs = N_JOBS (default 2). Prints one line
`fit_forecast_seconds=<s>` with the wall time of the forecast call alone
(reading the CSV, importing and a warm-up call on one series excluded) and `version=<statsforecast version>`.
"""
import sys
import time

import pandas as pd
import statsforecast
from statsforecast import StatsForecast
from statsforecast.models import TSB, AutoETS, CrostonSBA


def main() -> None:
    src, dst, horizon = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n_jobs = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    df = pd.read_csv(src, dtype={"unique_id": str}, parse_dates=["ds"])
    sf = StatsForecast(
        models=[AutoETS(season_length=7), CrostonSBA(), TSB(alpha_d=0.1, alpha_p=0.1)],
        freq="D",
        n_jobs=n_jobs,
    )
    # Warm-up on one series, so that one-off compilation (numba) is not
    # counted in the timed call.
    first = df["unique_id"].iloc[0]
    sf.forecast(df=df[df["unique_id"] == first], h=horizon)
    start = time.perf_counter()
    fc = sf.forecast(df=df, h=horizon)
    elapsed = time.perf_counter() - start
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc = fc.sort_values(["unique_id", "ds"])
    fc["step"] = fc.groupby("unique_id").cumcount() + 1
    fc[["unique_id", "step", "AutoETS", "CrostonSBA", "TSB"]].to_csv(dst, index=False)
    print(f"fit_forecast_seconds={elapsed:.3f}")
    print(f"version={statsforecast.__version__}")


if __name__ == "__main__":
    main()
