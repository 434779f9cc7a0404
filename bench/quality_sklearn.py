"""Quality bench helper (bench/quality.mjs).

`write OUT_DIR`: writes the five scikit-learn datasets as CSV with pandas (label column `target`), as a
user would bring them.
`score DATA_CSV TASK HIDDEN SEEDS`: fits scikit-learn's MLPRegressor / MLPClassifier with the same hidden
layers on the training rows of an expman prepared dataset (data.csv with its `set` column: the same
split expman trains on) and prints one JSON line per seed with the test score (R² or accuracy).

The sklearn side is set up like expman's defaults: features standardised with training statistics,
regression targets standardised (TransformedTargetRegressor), Adam, early stopping on a 20 % validation
split, batches of 16, at most 150 epochs, patience 20.
"""
import json
import sys

import pandas as pd
from sklearn import datasets
from sklearn.compose import TransformedTargetRegressor
from sklearn.metrics import accuracy_score, r2_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


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


def score(data_csv, task, hidden, seeds):
    frame = pd.read_csv(data_csv)
    train = frame[frame['set'] == 'train'].drop(columns=['set'])
    test = frame[frame['set'] == 'test'].drop(columns=['set'])
    xtr, ytr = train.drop(columns=['target']), train['target']
    xte, yte = test.drop(columns=['target']), test['target']
    for seed in seeds:
        common = dict(hidden_layer_sizes=hidden, solver='adam', learning_rate_init=0.01, batch_size=16, max_iter=150,
                      early_stopping=True, validation_fraction=0.2, n_iter_no_change=20, random_state=seed)
        if task == 'regression':
            model = make_pipeline(StandardScaler(), TransformedTargetRegressor(MLPRegressor(**common), transformer=StandardScaler()))
            model.fit(xtr, ytr)
            value = r2_score(yte, model.predict(xte))
        else:
            model = make_pipeline(StandardScaler(), MLPClassifier(**common))
            model.fit(xtr, ytr.astype(str))
            value = accuracy_score(yte.astype(str), model.predict(xte))
        print(json.dumps({'seed': seed, 'score': value}), flush=True)


if __name__ == '__main__':
    import warnings
    warnings.filterwarnings('ignore')
    if sys.argv[1] == 'write':
        write(sys.argv[2])
    else:
        score(sys.argv[2], sys.argv[3], tuple(int(u) for u in sys.argv[4].split(',')), [int(s) for s in sys.argv[5].split(',')])
