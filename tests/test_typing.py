"""House style: ``mypy --strict`` passes on market/, matching/ and search/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_mypy_strict_market_matching_and_search() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "market", "matching", "search"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"mypy --strict market matching search failed:\n{proc.stdout}{proc.stderr}"
