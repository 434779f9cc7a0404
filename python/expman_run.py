"""expman_run: the Python side of an expman command run, in one dependency-free file (stdlib only).

Copy this file into your experiment's code folder (experiments/<experiment>/code/) next to your
training script. expman starts the script with these environment variables (README, "Command runs"):

    EXPMAN_RUN_DIR          the run folder (outputs go here)
    EXPMAN_CONFIG           the run's completed config.toml ([params] holds your own keys)
    EXPMAN_DATASET_DIR      the prepared dataset (data.csv or train.csv/test.csv, info.toml)
    EXPMAN_METRICS          logs/metrics.jsonl: append events here (this module does it)
    EXPMAN_CHECKPOINT_DIR   where checkpoints go
    EXPMAN_RESUME_FROM      set on resume: the last complete checkpoint
    EXPMAN_RESULTS_DIR      set for the test command: where its CSV files go
    DATA                    the data folder

Each event is one JSON object on one line, written with a single append (O_APPEND, one write call), so a
reader never sees half an event and a kill loses at most the event being written. Outside expman (the
variables unset) the script still runs: events go nowhere and the config comes from the path given.
"""

import csv
import json
import math
import os
import time
import tomllib

__all__ = ["Run", "load_dataset"]


def _clean(value):
    """JSON has no NaN or infinity: they are written as null (readers show a gap)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy / torch scalars
        return _clean(value.item())
    return value


class Run:
    """The run a script trains: its config, params, folders and metrics file."""

    def __init__(self, config_path=None):
        env = os.environ
        self.run_dir = env.get("EXPMAN_RUN_DIR", ".")
        path = config_path or env.get("EXPMAN_CONFIG")
        self.config = {}
        if path:
            with open(path, "rb") as f:
                self.config = tomllib.load(f)
        self.params = self.config.get("params", {})
        self.dataset_dir = env.get("EXPMAN_DATASET_DIR")
        self.checkpoint_dir = env.get("EXPMAN_CHECKPOINT_DIR", os.path.join(self.run_dir, "checkpoints"))
        self.resume_from = env.get("EXPMAN_RESUME_FROM") or None
        self.results_dir = env.get("EXPMAN_RESULTS_DIR")
        self.metrics_file = env.get("EXPMAN_METRICS")
        self._epoch_started = time.monotonic()

    def get(self, dotted, default=None):
        """A config value by its dotted key, e.g. run.get("training.epochs", 10)."""
        node = self.config
        for part in dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def event(self, name, **fields):
        """Appends one event {"event": name, "time": ..., **fields} to metrics.jsonl."""
        if not self.metrics_file:
            return
        record = {"event": name, "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"}
        record.update(_clean(fields))
        line = (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.metrics_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def epoch_end(self, epoch, epochs, **metrics):
        """One epoch's metrics (any names: loss, val_loss, val_accuracy, lr, ...); duration since the last call."""
        now = time.monotonic()
        self.event("epoch_end", epoch=epoch, epochs=epochs, duration_ms=round((now - self._epoch_started) * 1000), **metrics)
        self._epoch_started = now

    def batch_end(self, epoch, batch, batches, **metrics):
        self.event("batch_end", epoch=epoch, batch=batch, batches=batches, **metrics)

    def checkpoint_path(self, epoch):
        return os.path.join(self.checkpoint_dir, f"model-checkpoint-epoch-{epoch}.pth")

    def save_atomic(self, path, save):
        """Calls save(temp_path) and renames the file into place, so `path` is always complete."""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        temp = f"{path}.tmp-{os.getpid()}"
        save(temp)
        os.replace(temp, path)

    def checkpoint_saved(self, epoch, path):
        """Records a complete checkpoint: a resume continues from the last one (EXPMAN_RESUME_FROM)."""
        self.event("checkpoint_saved", epoch=epoch, path=os.path.relpath(path, self.run_dir))

    def best_model_saved(self, epoch, path, **val_metrics):
        self.event("best_model_saved", epoch=epoch, path=os.path.relpath(path, self.run_dir), **val_metrics)


def load_dataset(dataset_dir=None):
    """A prepared dataset as plain lists: {"features", "classes", "task", "train": (x, y), "test": (x, y)}.

    Classification labels are class indices in info.toml's order; regression targets are floats.
    """
    dataset_dir = dataset_dir or os.environ["EXPMAN_DATASET_DIR"]
    with open(os.path.join(dataset_dir, "info.toml"), "rb") as f:
        info = tomllib.load(f)
    label = info["label"]["column"]
    features = [c["name"] for c in info["columns"] if c.get("role") == "feature"]
    task = info.get("task", "classification")
    classes = info["label"].get("classes", [])
    index = {name: i for i, name in enumerate(classes)}
    sets = {"train": ([], []), "test": ([], [])}

    def read(path, fixed_set=None):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                x, y = sets[fixed_set or row["set"]]
                x.append([float(row[name]) for name in features])
                y.append(float(row[label]) if task == "regression" else index[row[label]])

    if info["split"].get("separate_sets"):
        read(os.path.join(dataset_dir, "train.csv"), "train")
        read(os.path.join(dataset_dir, "test.csv"), "test")
    else:
        read(os.path.join(dataset_dir, "data.csv"))
    return {"features": features, "classes": classes, "task": task, "train": sets["train"], "test": sets["test"]}
