"""House style: ``mypy --strict`` passes on market/ and search/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_strict_market_and_search() -> None:
    # --follow-imports=silent: modules imported from elsewhere (matching/, owned and checked
    # separately) are still analysed for their types, but only market/ and search/ report errors.
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "market", "search"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"mypy --strict market search failed:\n{proc.stdout}{proc.stderr}"
