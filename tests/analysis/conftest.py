"""pytest setup for the analysis helper (analysis/expman_data.py).

The tests read a data folder made by analysis/make-demo-data.sh: the one in $DATA (tests/analysis/
notebooks.test.ts builds it and runs pytest with DATA set), or, without $DATA, a fresh one built here
with the CLI (it must be built: `npm run build:cli`). Run them with Debian's Python, which has pandas:

    DATA=/tmp/demo /usr/bin/python3 -m pytest tests/analysis -q
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "analysis"))


@pytest.fixture(scope="session")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("DATA"):
        return Path(os.environ["DATA"]).resolve()
    folder = tmp_path_factory.mktemp("expman-demo") / "data"
    subprocess.run([str(ROOT / "analysis" / "make-demo-data.sh"), str(folder)], check=True, stdout=subprocess.DEVNULL)
    return folder
