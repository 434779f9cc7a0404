"""Baseline of the preprocess benchmark: the same work as `expman preprocess --separate-sets` with pandas.

usage: pandas_split.py SOURCE.csv OUT_DIR TRAIN_FRACTION
Reads the CSV, shuffles all rows (seed 42), writes train.csv and test.csv, then reports its peak RSS.
"""
import resource
import sys

import pandas as pd

source, out_dir, fraction = sys.argv[1], sys.argv[2], float(sys.argv[3])
df = pd.read_csv(source)
shuffled = df.sample(frac=1, random_state=42)
n_train = round(len(shuffled) * fraction)
shuffled.iloc[:n_train].to_csv(f"{out_dir}/train.csv", index=False)
shuffled.iloc[n_train:].to_csv(f"{out_dir}/test.csv", index=False)
# ru_maxrss is in KiB on Linux
print(f"BENCH_MAX_RSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
