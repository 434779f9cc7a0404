# Baseline of the dataset-browse benchmark: what a researcher does in pandas for the same views.
# Arguments: <csv> <deep offset> <label column>. Prints JSON timings (ms) measured inside the process.
import json
import sys
import time

import numpy as np
import pandas as pd

csv, deep, label = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def timed(run):
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def first_page():
    # A first page with the total, as the view shows it: 50 rows, and the row count.
    pd.read_csv(csv, nrows=50)
    with open(csv, 'rb') as f:
        sum(1 for _ in f)


def deep_page():
    pd.read_csv(csv, skiprows=range(1, deep + 1), nrows=50)


def stats():
    df = pd.read_csv(csv)
    df.describe()
    df[label].value_counts(sort=False)
    for column in df.select_dtypes('number').columns:
        values = df[column].to_numpy()
        for cls in df[label].unique():
            np.histogram(values[df[label].to_numpy() == cls], bins=20, range=(values.min(), values.max()))


print(json.dumps({'page_first_ms': timed(first_page), 'page_deep_ms': timed(deep_page), 'stats_ms': timed(stats)}))
