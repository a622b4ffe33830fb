"""Output safety (issue 17, docs/reliability.md): `--force` replaces only a previous screenplan
output, temporary files never follow a planted link, no command overwrites its own input, an
unusable `--out` is refused before anything is simulated, and the leftovers of killed runs are
cleaned (a `.old` sibling of a killed `--force` swap is put back)."""
import json
import os
import subprocess

import pytest

TINY = """\
name: tiny
system:
  genes: 30
  network: {seed: 3, regulators: 6, mean_in_degree: 2}
perturbations: {targets: 5, guides_per_target: 1}
protocol:
  - {medium: growth, perturb: true, duration_h: 24}
sampling: {cells_per_perturbation: 20}
measurement: {measured_genes: 60}
batching: {batches: 2, max_cells_per_batch: 1000}
"""


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "tiny.yaml").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def refused(result, fragment):
    assert result.returncode == 2, result.stderr
    assert fragment in result.stderr, result.stderr


def dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


@pytest.mark.parametrize("out, fragment", [("", "is empty"), (".", "current folder"), ("/", "root folder")])
def test_force_never_replaces_empty_current_or_root(screenplan, folder, out, fragment):
    before = sorted(os.listdir(folder))
    refused(screenplan("simulate", "tiny.yaml", "--out", out, "--force", check=False), fragment)
    assert sorted(os.listdir(folder)) == before


def test_force_never_replaces_home(screenplan, folder):
    refused(screenplan("simulate", "tiny.yaml", "--out", os.path.expanduser("~"), "--force", check=False), "home folder")


def test_force_never_replaces_the_folder_holding_the_design(screenplan, folder):
    sub = folder / "plans"
    sub.mkdir()
    (sub / "d.yaml").write_text(TINY)
    refused(screenplan("simulate", sub / "d.yaml", "--out", sub, "--force", check=False), "an input of this run")
    assert (sub / "d.yaml").read_text() == TINY


def test_force_replaces_only_a_previous_output(screenplan, folder):
    (folder / "mine").mkdir()
    (folder / "mine" / "thesis.tex").write_text("years of work")
    refused(screenplan("simulate", "tiny.yaml", "--out", "mine", "--force", check=False), "not a previous screenplan output")
    assert (folder / "mine" / "thesis.tex").exists()
    screenplan("simulate", "tiny.yaml", "--out", "run")
    assert json.loads((folder / "run" / "run.json").read_text())["generator"] == "screenplan"
    (folder / "run" / "notes.txt").write_text("mine")
    refused(screenplan("simulate", "tiny.yaml", "--out", "run", "--force", check=False), "notes.txt")
    os.remove(folder / "run" / "notes.txt")
    screenplan("simulate", "tiny.yaml", "--out", "run", "--force", "--seed", 2)
    assert json.loads((folder / "run" / "run.json").read_text())["seed"] == 2


def test_unusable_out_is_refused_before_simulating(screenplan, folder):
    os.symlink(folder / "missing", folder / "dangling")
    refused(screenplan("simulate", "tiny.yaml", "--out", "dangling", check=False), "dangling symbolic link")
    refused(screenplan("simulate", "tiny.yaml", "--out", "tiny.yaml/x", check=False), "is not a folder")
    # /sys refuses new entries even to root, where a chmod-ed folder would not.
    refused(screenplan("simulate", "tiny.yaml", "--out", "/sys/screenplan-test", check=False), "cannot write in `/sys`")


def test_report_does_not_replace_its_own_design(screenplan, folder):
    design = json.dumps({"name": "tiny json", "system": {"genes": 30, "network": {"regulators": 6}},
                         "perturbations": {"targets": 5}, "measurement": {"measured_genes": 60},
                         "batching": {"batches": 2, "max_cells_per_batch": 1000}})
    (folder / "screen.json").write_text(design)
    refused(screenplan("report", "screen.json", "-o", "screen.json", "--no-solve", check=False), "an input of this run")
    refused(screenplan("report", "screen.json", "-o", "./screen.json", "--no-solve", check=False), "an input of this run")
    assert (folder / "screen.json").read_text() == design


def test_planted_temporary_link_is_not_followed(screenplan, folder):
    victim = folder / "victim.txt"
    victim.write_text("precious")
    # The old name of writeAtomically's temporary file; any PID-based guess is the same.
    for pid in range(os.getpid(), os.getpid() + 200):
        os.symlink(victim, folder / (".plan.md.tmp-%d" % pid))
    screenplan("report", "tiny.yaml", "-o", "plan.md", "--no-solve")
    assert victim.read_text() == "precious"
    assert (folder / "plan.md").read_text().startswith("#")
    assert not os.path.islink(folder / "plan.md")


def test_killed_swap_leaves_nothing_hidden(screenplan, folder):
    screenplan("simulate", "tiny.yaml", "--out", "run")
    pid = dead_pid()
    # A SIGKILL between the two renames of a --force swap: the old output is only in .run.old-PID.
    os.rename(folder / "run", folder / (".run.old-%d" % pid))
    os.mkdir(folder / (".run.tmp-%d-1" % pid))
    open(folder / (".plan.md.tmp-%d-abc" % pid), "w").close()
    screenplan("simulate", "tiny.yaml", "--out", "other")
    screenplan("report", "tiny.yaml", "-o", "plan.md", "--no-solve")
    # The next run writing `run` puts the old output back before refusing to replace it.
    refused(screenplan("simulate", "tiny.yaml", "--out", "run", check=False), "already exists")
    assert (folder / "run" / "run.json").exists()
    leftovers = [n for n in os.listdir(folder) if n.startswith(".")]
    assert leftovers == [], leftovers


def test_merge_never_writes_into_a_shard(screenplan, folder):
    screenplan("simulate", "tiny.yaml", "--out", "s1", "--shard", "1/1")
    refused(screenplan("merge", "s1", "--out", "s1", "--force", check=False), "input of this run")
    refused(screenplan("merge", "s1", "--out", ".", "--force", check=False), "current folder")


@pytest.fixture
def full_disk(tmp_path):
    """A 200 KiB tmpfs: a real full disk (needs root and mount rights; skipped without them)."""
    mount_point = tmp_path / "full"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    yield mount_point
    subprocess.run(["umount", str(mount_point)], capture_output=True)


@pytest.mark.parametrize("fmt", ["mtx", "h5ad"])
def test_full_disk_fails_cleanly(screenplan, folder, full_disk, fmt):
    d = TINY.replace("cells_per_perturbation: 20", "cells_per_perturbation: 300").replace("max_cells_per_batch: 1000", "max_cells_per_batch: 5000")
    (folder / "big.yaml").write_text(d)
    result = screenplan("simulate", "big.yaml", "--out", full_disk / "out", "--format", fmt, check=False)
    # libhdf5 used to segfault at exit after a failed close (exit 139).
    assert result.returncode == 1, result.stderr[-2000:]
    assert "No space left on device" in result.stderr or "disk full" in result.stderr, result.stderr
    assert os.listdir(full_disk) == []
