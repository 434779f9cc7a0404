"""Read an Experiment Manager data folder into pandas DataFrames.

The notebooks beside this file use it so that they stay short; it is just as usable on its own::

    import expman_data as ed

    ed.data_dir()                      # $DATA, else the data/ folder of this expman checkout
    train, test = ed.load_dataset()    # the prepared dataset's train and test sets
    ed.runs("demo")                    # one row per run: status, task, best epoch, test score, config
    ed.epochs("demo", "small")         # one row per epoch, as in logs/metrics.jsonl
    ed.results("demo", "small")        # the test results: metrics, per-class, confusion matrix, predictions

Every function takes ``data=`` (a path) to read another data folder than ``$DATA``. Nothing here ever
writes into the data folder. It needs pandas and Python 3.11+ (``tomllib``).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "data_dir",
    "datasets",
    "dataset_info",
    "load_dataset",
    "experiments",
    "run_names",
    "run_dir",
    "run_config",
    "run_status",
    "events",
    "epochs",
    "epochs_by_run",
    "runs",
    "config_diff",
    "score_column",
    "Results",
    "results",
]

DEFAULT_DATASET = "prepared-dataset"
# Fields of an epoch_end event that describe the event rather than the epoch.
_EVENT_FIELDS = ("event", "epochs")
# Config sections that describe where a run came from, not how it trains.
_NOT_CONFIG = ("provenance",)

DataPath = str | os.PathLike[str] | None


def data_dir(data: DataPath = None) -> Path:
    """The data folder: ``data`` if given, else ``$DATA``, else the data/ folder of this checkout."""
    if data is None or str(data) == "":
        data = os.environ.get("DATA") or Path(__file__).resolve().parent.parent / "data"
    path = Path(data).expanduser().resolve()
    if not path.is_dir():
        raise FileNotFoundError(f"data folder {path} does not exist (set $DATA or pass data=...)")
    return path


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as f:
        return tomllib.load(f)


# ---- Prepared datasets ---------------------------------------------------------------------------------


def datasets(data: DataPath = None) -> list[str]:
    """Names of the prepared datasets (folders under datasets/ with an info.toml)."""
    root = data_dir(data) / "datasets"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "info.toml").is_file())


def dataset_info(name: str = DEFAULT_DATASET, data: DataPath = None) -> dict[str, Any]:
    """The dataset's info.toml: columns and dtypes, statistics, row counts, class balance, split, hashes."""
    path = data_dir(data) / "datasets" / name / "info.toml"
    if not path.is_file():
        raise FileNotFoundError(f"prepared dataset {name!r} not found: no {path} (run `expman preprocess`)")
    return _read_toml(path)


def _dtypes(info: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["dtype"] for c in info.get("columns", []) if "dtype" in c}


def load_dataset(name: str = DEFAULT_DATASET, data: DataPath = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The (train, test) DataFrames of a prepared dataset, with the dtypes recorded in info.toml.

    Datasets made with ``--separate-sets`` have train.csv and test.csv; the others have one data.csv
    whose ``set`` column says train or test (it is dropped here).
    """
    info = dataset_info(name, data)
    folder = data_dir(data) / "datasets" / name
    dtypes = _dtypes(info)
    if (folder / "train.csv").is_file():
        train = pd.read_csv(folder / "train.csv", dtype=dtypes)
        test = pd.read_csv(folder / "test.csv", dtype=dtypes)
    else:
        both = pd.read_csv(folder / "data.csv", dtype=dtypes)
        train = both[both["set"] == "train"].drop(columns="set").reset_index(drop=True)
        test = both[both["set"] == "test"].drop(columns="set").reset_index(drop=True)
    return train, test


# ---- Experiments and runs ------------------------------------------------------------------------------


def experiments(data: DataPath = None) -> list[str]:
    """Names of the experiments that have at least one run."""
    root = data_dir(data) / "experiments"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "models").is_dir() and any((p / "models").iterdir()))


def run_names(experiment: str, data: DataPath = None) -> list[str]:
    """The runs (model folders) of an experiment that have a config.toml, oldest first."""
    models = data_dir(data) / "experiments" / experiment / "models"
    if not models.is_dir():
        return []
    found = [p for p in models.iterdir() if (p / "config.toml").is_file() and not p.name.startswith(".tmp")]
    return [p.name for p in sorted(found, key=lambda p: (_created(p), p.name))]


def _created(run: Path) -> str:
    try:
        return str(_read_toml(run / "config.toml").get("provenance", {}).get("created", ""))
    except (OSError, tomllib.TOMLDecodeError):
        return ""


def run_dir(experiment: str, model: str, data: DataPath = None) -> Path:
    path = data_dir(data) / "experiments" / experiment / "models" / model
    if not path.is_dir():
        raise FileNotFoundError(f"run {experiment}/{model} not found: no {path}")
    return path


def run_config(experiment: str, model: str, data: DataPath = None) -> dict[str, Any]:
    """The run's completed config.toml, [provenance] included, as nested dicts."""
    return _read_toml(run_dir(experiment, model, data) / "config.toml")


def run_status(experiment: str, model: str, data: DataPath = None) -> dict[str, Any]:
    """The run's status.json (status, epoch, epochs, best, backend, ...); {} if it has none yet."""
    path = run_dir(experiment, model, data) / "status.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def events(experiment: str, model: str, data: DataPath = None) -> pd.DataFrame:
    """Every event of the run's logs/metrics.jsonl, in order; ``time`` parsed as a timestamp."""
    path = run_dir(experiment, model, data) / "logs" / "metrics.jsonl"
    records = []
    if path.is_file():
        with path.open() as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    # A run killed mid-write may leave a partial last line; the complete ones still count.
                    continue
    frame = pd.DataFrame.from_records(records)
    if "time" in frame:
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
    return frame


def epochs(experiment: str, model: str, data: DataPath = None) -> pd.DataFrame:
    """One row per epoch (index ``epoch``): loss, accuracy, val_loss, val_accuracy, duration_ms, ...

    After a resume an epoch may be logged twice; the last record of each epoch is the one that counts.
    """
    frame = events(experiment, model, data)
    columns = ["loss", "accuracy", "val_loss", "val_accuracy"]
    if frame.empty or "event" not in frame:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="epoch", dtype="int64"))
    frame = frame[frame["event"] == "epoch_end"].dropna(axis=1, how="all")
    frame = frame.drop(columns=[c for c in _EVENT_FIELDS if c in frame])
    frame["epoch"] = frame["epoch"].astype("int64")
    frame = frame.drop_duplicates("epoch", keep="last").set_index("epoch").sort_index()
    first = [c for c in columns if c in frame]
    return frame[first + [c for c in frame.columns if c not in first]]


def epochs_by_run(experiment: str, data: DataPath = None) -> pd.DataFrame:
    """The epochs of every run of an experiment in one long table, with a ``model`` column."""
    frames = [epochs(experiment, m, data).reset_index().assign(model=m) for m in run_names(experiment, data)]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["model", "epoch", "loss", "accuracy", "val_loss", "val_accuracy"])
    frame = pd.concat(frames, ignore_index=True)
    return frame[["model", *[c for c in frame.columns if c != "model"]]]


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"model": {"hidden_units": [8]}} → {"model.hidden_units": "[8]"}: lists as text, so they compare."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if not prefix and key in _NOT_CONFIG:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            flat[name] = json.dumps(value, separators=(", ", ": "))
        else:
            flat[name] = value
    return flat


def _test_metrics(experiment: str, model: str, data: DataPath) -> pd.Series:
    path = data_dir(data) / "experiments" / experiment / "results" / model / "metrics.csv"
    if not path.is_file():
        return pd.Series(dtype="float64")
    return pd.read_csv(path).set_index("metric")["value"]


_SCORES = ("best_val_loss", "best_val_accuracy", "test_accuracy", "best_val_r2", "best_val_rmse", "test_r2", "test_rmse")


def score_column(table: pd.DataFrame, test: bool = True) -> str:
    """The column that ranks the runs of a runs() table by their task's metric (higher is better):
    ``test_accuracy``/``best_val_accuracy`` for classification, ``test_r2``/``best_val_r2`` for regression.
    A table that mixes tasks has no single ranking: that is a ValueError."""
    tasks = set(table["task"].dropna()) if "task" in table else {"classification"}
    if len(tasks) > 1:
        raise ValueError(f"runs of different tasks ({', '.join(sorted(tasks))}) have no common score; select one task first")
    metric = "r2" if tasks == {"regression"} else "accuracy"
    return f"test_{metric}" if test else f"best_val_{metric}"


def runs(experiment: str | None = None, data: DataPath = None) -> pd.DataFrame:
    """One row per run (of one experiment, or of all): what ``expman list`` shows, plus the run's config.

    Columns: experiment, model, status, task, epoch, epochs, best_epoch, best_val_loss, the task's
    metrics (classification: best_val_accuracy, test_accuracy; regression: best_val_r2, best_val_rmse,
    test_r2, test_rmse; NaN where they do not apply or until tested), backend, device, dataset, created,
    then one column per config key ("model.hidden_units", "training.learning_rate", ...). List values
    appear as text, e.g. "[32, 32]". ``score_column(table)`` names the column to rank by.
    """
    rows = []
    for exp in [experiment] if experiment else experiments(data):
        for model in run_names(exp, data):
            config = run_config(exp, model, data)
            provenance = config.get("provenance", {})
            status = run_status(exp, model, data)
            best = status.get("best") or {}
            test = _test_metrics(exp, model, data)
            rows.append(
                {
                    "experiment": exp,
                    "model": model,
                    "status": status.get("status"),
                    "task": "regression" if "val_r2" in best or "r2" in test else "classification",
                    "epoch": status.get("epoch"),
                    "epochs": status.get("epochs"),
                    "best_epoch": best.get("epoch"),
                    "best_val_loss": best.get("val_loss"),
                    "best_val_accuracy": best.get("val_accuracy"),
                    "test_accuracy": test.get("accuracy"),
                    "best_val_r2": best.get("val_r2"),
                    "best_val_rmse": best.get("val_rmse"),
                    "test_r2": test.get("r2"),
                    "test_rmse": test.get("rmse"),
                    "backend": status.get("backend", provenance.get("backend")),
                    "device": status.get("device", provenance.get("device")),
                    "dataset": provenance.get("dataset"),
                    "created": pd.to_datetime(provenance.get("created"), utc=True),
                    **_flatten(config),
                }
            )
    frame = pd.DataFrame.from_records(rows)
    for column in ("epoch", "epochs", "best_epoch"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    for column in _SCORES:
        if column in frame:
            frame[column] = frame[column].astype("float64")
    return frame


def config_diff(table: pd.DataFrame) -> pd.DataFrame:
    """The config columns (those with a "." in their name) of a runs() table whose values differ."""
    config = table[[c for c in table.columns if "." in c]]
    return config.loc[:, config.astype(str).nunique() > 1]


# ---- Test results --------------------------------------------------------------------------------------


@dataclass
class Results:
    """The CSV files that `expman test` writes to experiments/<exp>/results/<model>/."""

    metrics: pd.Series  # metric → value (accuracy, macro_precision, ...; regression: mae, rmse, r2)
    per_class: pd.DataFrame  # index class: precision, recall, f1, support (empty for regression)
    confusion: pd.DataFrame  # index actual class, columns predicted class: counts (empty for regression)
    predictions: pd.DataFrame  # one row per test row: features, actual, predicted, then correct and
    # probabilities (classification) or residual = actual - predicted (regression)


def results(experiment: str, model: str, data: DataPath = None) -> Results:
    folder = data_dir(data) / "experiments" / experiment / "results" / model
    if not folder.is_dir():
        raise FileNotFoundError(f"run {experiment}/{model} has no test results: no {folder} (run `expman test`)")
    if not (folder / "per-class.csv").is_file():  # regression: metrics and predictions only
        return Results(
            metrics=pd.read_csv(folder / "metrics.csv").set_index("metric")["value"],
            per_class=pd.DataFrame(columns=["precision", "recall", "f1", "support"], index=pd.Index([], name="class")),
            confusion=pd.DataFrame(),
            predictions=pd.read_csv(folder / "predictions.csv"),
        )
    confusion = pd.read_csv(folder / "confusion-matrix.csv").set_index("actual")
    confusion.columns = [c.removeprefix("predicted_") for c in confusion.columns]
    confusion.columns.name = "predicted"
    return Results(
        metrics=pd.read_csv(folder / "metrics.csv").set_index("metric")["value"],
        per_class=pd.read_csv(folder / "per-class.csv").set_index("class"),
        confusion=confusion,
        predictions=pd.read_csv(folder / "predictions.csv"),
    )
