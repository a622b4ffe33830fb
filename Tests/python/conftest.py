"""Shared fixtures: the screenplan binary (SCREENPLAN_BIN, as `make test` sets it) and the repository."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def screenplan():
    path = os.environ.get("SCREENPLAN_BIN")
    if not path:
        for config in ("release", "debug"):
            candidate = ROOT / ".build" / config / "screenplan"
            if candidate.exists():
                path = str(candidate)
                break
    assert path and os.path.exists(path), "build screenplan first (make build) or set SCREENPLAN_BIN"

    def run(*args, check=True):
        result = subprocess.run([path, *map(str, args)], capture_output=True, text=True, timeout=900)
        if check:
            assert result.returncode == 0, "screenplan %s failed (%d):\n%s" % (" ".join(map(str, args)), result.returncode, result.stderr)
        return result

    return run


@pytest.fixture(scope="session")
def sample_screens():
    return sorted((ROOT / "sample-screens").glob("*.yaml"))
