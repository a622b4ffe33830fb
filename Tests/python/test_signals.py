"""SIGINT/SIGTERM stop simulate, montecarlo and fit within a second in any phase, set-up
included, and leave no output or temporary folder behind (issue 17, docs/reliability.md)."""
import os
import pathlib
import signal
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
K562 = ROOT / "sample-screens" / "k562-essential-crispri.yaml"


@pytest.fixture(scope="module")
def binary(screenplan):
    # The conftest fixture runs to completion; signals need the path and Popen.
    path = os.environ.get("SCREENPLAN_BIN")
    for config in ("release", "debug"):
        candidate = ROOT / ".build" / config / "screenplan"
        if not path and candidate.exists():
            path = str(candidate)
    return path


def stop(binary, args, delay, sig, cwd):
    p = subprocess.Popen([binary, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    assert p.poll() is None, "finished before the signal: %s" % p.communicate()[1]
    sent = time.monotonic()
    p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        pytest.fail("%s did not stop on %s" % (args[0], sig.name))
    return p.returncode, time.monotonic() - sent, err


@pytest.mark.parametrize("delay", [0.15, 1.5])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_simulate_stops_within_a_second_in_any_phase(binary, tmp_path, delay, sig):
    code, seconds, err = stop(binary, ["simulate", K562, "--out", tmp_path / "out"], delay, sig, tmp_path)
    assert code in (1, 128 + sig.value), err
    assert seconds <= 1.0, "%.2f s" % seconds
    assert "stopped" in err or "cancelled" in err, err
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)


@pytest.mark.parametrize("command", [["montecarlo", K562, "--reps", 5], ["fit", K562]])
def test_montecarlo_and_fit_stop_within_a_second(binary, tmp_path, command):
    code, seconds, err = stop(binary, command, 1.0, signal.SIGTERM, tmp_path)
    assert code in (1, 143), err
    assert seconds <= 1.0, "%.2f s" % seconds
    assert "Traceback" not in err and "backtrace" not in err.lower(), err
