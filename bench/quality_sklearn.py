"""Quality bench helper (bench/quality.mjs).

`write OUT_DIR`: writes the five scikit-learn datasets as CSV with pandas (label column `target`), as a
user would bring them.
`score HIDDEN ALPHA SPLIT_JSON...`: for each expman run, the exact arrays it trained on, was validated on
and is tested on (written by bench/quality-split.ts: fitting and validation rows of the run's seeded split,
standardised with the fitting rows' statistics, the regression target scaled likewise), fits
scikit-learn's MLPRegressor / MLPClassifier with the same hidden layers and prints one JSON line with the
test score (R² in original units, or accuracy), the epochs trained and the best epoch.

The sklearn side trains like expman's defaults: Adam at 0.01, batches of 16, at most 150 epochs, one
shuffled epoch per `partial_fit` (its Adam state kept); after each epoch the validation loss (MSE on the
scaled target, or log loss) on the same validation rows; the best epoch's weights kept; stop after 20
epochs without an improvement of more than 1e-4. That is expman's early stopping rather than sklearn's own
(`early_stopping=True` would take its own 10 % of the rows and judge by score), so both libraries see the
same rows and stop by the same rule. ALPHA is sklearn's L2 penalty (its default 1e-4 unless told).
"""
import copy
import json
import sys

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor

# expman's training defaults (default-config.toml [training] and [training.early_stopping]).
EPOCHS, BATCH_SIZE, LEARNING_RATE, PATIENCE, MIN_DELTA = 150, 16, 0.01, 20, 1e-4


def write(out):
    sets = {
        'diabetes': datasets.load_diabetes(as_frame=True).frame,
        'breast_cancer': datasets.load_breast_cancer(as_frame=True).frame,
        'wine': datasets.load_wine(as_frame=True).frame,
        'digits': datasets.load_digits(as_frame=True).frame,
    }
    x, y = datasets.make_friedman1(n_samples=2000, random_state=0)
    friedman = pd.DataFrame(x, columns=[f'x{i}' for i in range(x.shape[1])])
    friedman['target'] = y
    sets['friedman1'] = friedman
    for name, frame in sets.items():
        frame.columns = [str(c).replace(' ', '_') for c in frame.columns]
        frame.to_csv(f'{out}/{name}.csv', index=False)


def score(split_files, hidden, alpha):
    """One JSON line per run: scikit-learn's MLP fitted on the exact arrays that expman run used (see
    bench/quality-split.ts), early-stopped on its validation rows by expman's rule, scored on its test rows."""
    for path in split_files:
        with open(path) as f:
            split = json.load(f)
        print(json.dumps({'seed': split['seed'], **fit_and_score(split, hidden, alpha)}), flush=True)


def fit_and_score(split, hidden, alpha):
    regression = split['task'] == 'regression'
    xf, yf = np.asarray(split['fit']['x']), np.asarray(split['fit']['y'])
    xv, yv = np.asarray(split['validation']['x']), np.asarray(split['validation']['y'])
    xt, yt = np.asarray(split['test']['x']), np.asarray(split['test']['y'])
    common = dict(hidden_layer_sizes=hidden, solver='adam', learning_rate_init=LEARNING_RATE, batch_size=BATCH_SIZE,
                  alpha=alpha, shuffle=True, random_state=split['seed'])
    model = MLPRegressor(**common) if regression else MLPClassifier(**common)
    classes = np.arange(split['classes'])
    # expman's loop (train.ts runLoop): one epoch at a time (partial_fit is one shuffled epoch of Adam, its
    # state kept), the validation loss after each, the best epoch's weights kept, stop after PATIENCE epochs
    # without an improvement larger than MIN_DELTA.
    best, best_weights, stop_best, wait, epochs = np.inf, None, np.inf, 0, 0
    for epoch in range(1, EPOCHS + 1):
        if regression:
            model.partial_fit(xf, yf)
            val = float(np.mean((model.predict(xv) - yv) ** 2))
        else:
            model.partial_fit(xf, yf, classes=classes)
            val = float(log_loss(yv, model.predict_proba(xv), labels=classes))
        epochs = epoch
        if val < best:
            best, best_weights = val, (copy.deepcopy(model.coefs_), copy.deepcopy(model.intercepts_), epoch)
        if val < stop_best - MIN_DELTA:
            stop_best, wait = val, 0
        else:
            wait += 1
        if wait >= PATIENCE:
            break
    model.coefs_, model.intercepts_, best_epoch = best_weights
    if regression:
        scaling = split['target_scaling']
        predicted = model.predict(xt)
        if scaling:
            predicted = predicted * scaling['std'] + scaling['mean']
        value = r2_score(yt, predicted)
    else:
        value = accuracy_score(yt, model.predict(xt))
    return {'score': value, 'epochs': epochs, 'best_epoch': best_epoch}


if __name__ == '__main__':
    import warnings
    warnings.filterwarnings('ignore')
    if sys.argv[1] == 'write':
        write(sys.argv[2])
    else:
        # score HIDDEN ALPHA SPLIT_JSON...
        score(sys.argv[4:], tuple(int(u) for u in sys.argv[2].split(',')), float(sys.argv[3]))
