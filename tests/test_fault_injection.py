"""Fault injection: full disks, interrupted and killed writes, stale and shared run directories.

The property under test: a killed, interrupted or disk-full run never leaves a file that a
later run trusts. Either the previous complete file is still there, or the file is absent and
the next command says so; temporary files are removed (at once, or by the next run).
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from grokcheck.checks import _io
from grokcheck.checks._run_dir import LOCK, MANIFEST, open_run_directory, read_manifest
from grokcheck.checks.cli import main
from grokcheck.errors import RunDirectoryError

TINY = ["--seeds", "1", "--width", "8", "--eval-every", "2", "--weight-decay", "0.1", "--no-plot", "--no-progress"]


def _run(argv, capsys):
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if _io.TEMP_MARKER in p.name or p.name.endswith(".tmp")]


def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# ----------------------------------------------------------------------------- injected writers


def test_disk_full_during_an_atomic_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "report.json"
    _io.atomic_write_json(path, {"v": 1})
    monkeypatch.setattr(_io.os, "fsync", _enospc)  # the data never reaches the disk
    with pytest.raises(OSError) as exc:
        _io.atomic_write_json(path, {"v": 2, "pad": "x" * 10_000})
    assert exc.value.errno == errno.ENOSPC
    assert json.loads(path.read_text()) == {"v": 1}
    assert _temps(tmp_path) == []


def test_a_figure_cut_off_by_a_full_disk_never_replaces_the_good_one(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = tmp_path / "curves.png"
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    _io.atomic_save_figure(fig, path)
    good = path.read_bytes()

    class FullDisk:
        def savefig(self, tmp, **kw):  # writes a fragment, then the disk is full
            Path(tmp).write_bytes(good[:132])
            _enospc()

    with pytest.raises(OSError):
        _io.atomic_save_figure(FullDisk(), path)
    plt.close(fig)
    assert path.read_bytes() == good
    assert _temps(tmp_path) == []


def test_an_interrupted_write_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 0}\n{"step": 10}\n')

    def killed(tmp):
        Path(tmp).write_text('{"step": 0}\n')  # half of the rewrite, then Ctrl-C
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _io.atomic_write_via(path, killed)
    assert path.read_text() == '{"step": 0}\n{"step": 10}\n'
    assert _temps(tmp_path) == []


def test_files_are_created_with_the_users_mode(tmp_path, capsys):
    old = os.umask(0o022)
    try:
        rc, _, err = _run(["train", "C5", "--out", str(tmp_path / "r"), "--steps", "4", *TINY], capsys)
    finally:
        os.umask(old)
    assert rc == 0, err
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "r").iterdir() if p.is_file()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_verify_with_a_full_disk_exits_2_and_leaves_no_fragment(tmp_path, monkeypatch, capsys):
    out = tmp_path / "v"
    rc, _, err = _run(["verify", "C3", "--only", "chartable.orthogonality", "--quiet", "--out", str(out)], capsys)
    assert rc == 0, err
    before = json.loads((out / "report.json").read_text())
    real_replace = os.replace

    def replace(src, dst):  # the report's rename is where a full disk bites last
        if str(dst).endswith("report.md"):
            _enospc()
        return real_replace(src, dst)

    monkeypatch.setattr(_io.os, "replace", replace)
    rc, _, err = _run(["verify", "C3", "--only", "chartable.orthogonality", "--quiet", "--out", str(out)], capsys)
    assert rc == 2 and "Traceback" not in err
    assert "no space left" in err.lower() and "free some space" in err.lower()
    assert json.loads((out / "report.json").read_text())["checks"] == before["checks"]  # whole, never a fragment
    assert _temps(out) == []
    assert read_manifest(out)["status"] == "failed"
    assert not (out / LOCK).exists()


def test_a_real_full_disk_on_tmpfs(tmp_path, capsys):
    """A tmpfs of 64 KiB, filled up: training fails cleanly and leaves nothing a resume trusts."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)  # fill the disk, then free 12 KiB: the manifest fits
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        os.truncate(filler, max(0, filler.stat().st_size - 12 * 1024))
        out = mnt / "run"
        rc, _, err = _run(["train", "C7", "--out", str(out), "--steps", "4", "--width", "64", *TINY[2:]], capsys)
        assert rc == 2 and "Traceback" not in err, err
        assert "no space left" in err.lower()
        assert _temps(out) == [] if out.exists() else True
        if (out / "checkpoint.pt").exists():
            torch.load(out / "checkpoint.pt", weights_only=True)  # whole, or not there
        filler.unlink()
        rc, _, err = _run(["train", "C7", "--out", str(out), "--steps", "4", "--width", "64", "--resume", *TINY[2:]],
                          capsys)
        assert rc in (0, 2) and "Traceback" not in err
        if rc == 2:
            assert "cannot resume" in err
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True)


# ----------------------------------------------------------------------------- stale run directories


def test_a_stale_checkpoint_of_an_earlier_run_is_never_resumed(tmp_path, monkeypatch, capsys):
    """The reported case: finish run A in D, start a different run B in D, kill B before its first
    checkpoint, then --resume: it must not continue A's weights on B's split."""
    d = str(tmp_path / "D")
    rc, _, err = _run(["train", "C5", "--out", d, "--steps", "6", *TINY], capsys)
    assert rc == 0, err
    b = ["train", "C5", "--out", d, "--steps", "20", "--lr", "0.01", "--checkpoint-every", "1000", *TINY]
    rc, _, err = _run(b, capsys)
    assert rc == 2 and "another run" in err and "--overwrite" in err  # B is refused without --overwrite

    import grokcheck.checks.training._train as tr

    real = tr.per_seed_loss
    calls = {"n": 0}

    def killed_at_step_3(*a, **k):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt  # a kill before B's first checkpoint
        return real(*a, **k)

    monkeypatch.setattr(tr, "per_seed_loss", killed_at_step_3)
    rc, _, err = _run([*b, "--overwrite"], capsys)
    assert rc == 130
    monkeypatch.setattr(tr, "per_seed_loss", real)
    assert not (Path(d) / "checkpoint.pt").exists()  # A's checkpoint went with --overwrite
    rc, _, err = _run([*b, "--resume"], capsys)
    assert rc == 2 and "cannot resume" in err and "does not exist" in err
    rc, _, err = _run(["train", "C5", "--out", d, "--steps", "6", "--resume", *TINY], capsys)
    assert rc == 2 and "optimizer.lr" in err  # A's options name the key that differs from B's


def test_the_library_refuses_a_checkpoint_left_beside_a_newer_task(tmp_path):
    from grokcheck.checks.training._data import group_task
    from grokcheck.checks.training._models import MLPConfig
    from grokcheck.checks.training._optimizers import OptimizerConfig
    from grokcheck.checks.training._train import TrainConfig, train
    from grokcheck.theory import group

    cfg = TrainConfig(model=MLPConfig(widths=(8,)), optimizer=OptimizerConfig("adamw", lr=1e-2), steps=6, n_seeds=1,
                      eval_every=2, plot=False)
    train(cfg, group_task(group("C5"), train_fraction=0.6, seed=0), out_dir=tmp_path, progress=False)
    other = group_task(group("C5"), train_fraction=0.6, seed=1)  # another split

    def kill(step, model, info):
        if step >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(TrainConfig(**{**cfg.__dict__, "seed": 1}), other, out_dir=tmp_path, progress=False, callbacks=[kill])
    with pytest.raises(RunDirectoryError, match="does not exist"):
        train(TrainConfig(**{**cfg.__dict__, "seed": 1}), other, out_dir=tmp_path, progress=False, resume=True)
    # and a resume naming another task than the stored one is refused, naming the task
    train(cfg, group_task(group("C5"), train_fraction=0.6, seed=0), out_dir=tmp_path, progress=False)
    with pytest.raises(RunDirectoryError, match="task") as exc:
        train(cfg, group_task(group("C5"), train_fraction=0.8, seed=0), out_dir=tmp_path, progress=False, resume=True)
    assert exc.value.differing == ("task",)


def test_changing_only_no_plot_does_not_block_resume(tmp_path, capsys):
    d = str(tmp_path / "r")
    assert _run(["train", "C5", "--out", d, "--steps", "4", *TINY], capsys)[0] == 0
    rc, _, err = _run(["train", "C5", "--out", d, "--steps", "8", "--resume", *[a for a in TINY if a != "--no-plot"]],
                      capsys)
    assert rc == 0, err
    assert (Path(d) / "curves.png").exists()


def test_stale_temp_files_of_a_crash_are_removed_at_start(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    junk = [d / f".checkpoint.pt{_io.TEMP_MARKER}dead.pt", d / "tmpab12cd.png.tmp", d / ".report.json.x1y2.tmp"]
    for j in junk:
        j.write_bytes(b"half")
    keep = d / "notes.txt"
    keep.write_text("mine")
    with open_run_directory(d, command="verify", config={}, overwrite=True):
        pass
    assert not any(j.exists() for j in junk)
    assert keep.read_text() == "mine"  # --overwrite keeps what grokcheck did not write


def test_overwrite_clears_the_previous_runs_outputs(tmp_path, capsys):
    d = str(tmp_path / "v")
    assert _run(["verify", "S3", "--only", "flow.omega-star", "--quiet", "--out", d], capsys)[0] == 0
    pngs = sorted(p.name for p in Path(d).glob("*.png"))
    assert pngs  # the flow check draws figures
    rc, _, err = _run(["verify", "C7", "--only", "chartable.orthogonality", "--quiet", "--out", d], capsys)
    assert rc == 2 and "another run" in err
    rc, _, err = _run(["verify", "C7", "--only", "chartable.orthogonality", "--quiet", "--out", d, "--overwrite"],
                      capsys)
    assert rc == 0, err
    assert sorted(p.name for p in Path(d).glob("*.png")) == []  # no S3 figure beside the C7 report
    assert json.loads((Path(d) / "report.json").read_text())["group"] == "C7"


# ----------------------------------------------------------------------------- other processes


_HOLD = """
import sys, time
from grokcheck.checks._run_dir import open_run_directory
rd = open_run_directory(sys.argv[1], command="verify", config={"x": 1}, rerun_same=True)
print("held", flush=True)
time.sleep(600)
"""


def test_two_concurrent_runs_and_a_stale_lock(tmp_path):
    d = tmp_path / "shared"
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(d)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        with pytest.raises(RunDirectoryError, match=f"pid {p.pid}"):
            open_run_directory(d, command="verify", config={"x": 1}, rerun_same=True)
        p.send_signal(signal.SIGKILL)  # dies holding the lock: the kernel releases it
        p.wait(timeout=60)
        assert read_manifest(d)["status"] == "running"  # what it left says it never finished
        with open_run_directory(d, command="verify", config={"x": 1}, rerun_same=True) as rd:
            assert rd.manifest["pid"] == os.getpid()
        assert read_manifest(d)["status"] == "completed"
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdout.close()


def _train_argv(out, steps, extra=()):
    return [sys.executable, "-m", "grokcheck.checks.cli", "train", "C5", "--out", str(out), "--steps", str(steps),
            "--seeds", "2", "--width", "16", "--eval-every", "5", "--batch-size", "8", "--weight-decay", "0.1",
            "--no-plot", "--no-progress", *extra]


def _wait_for_metrics(out: Path, lines: int, proc, timeout=240.0):
    t0 = time.time()
    while time.time() - t0 < timeout:
        m = out / "metrics.jsonl"
        if m.exists() and len(m.read_text().splitlines()) >= lines:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the run ended early: {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError("the run did not start in time")


def _weights(out: Path):
    ck = torch.load(out / "checkpoint.pt", weights_only=True)
    return ck["step"], ck["model"]


@pytest.mark.slow  # two training subprocesses: about 35 s on two shared cores
def test_kill_9_during_checkpoint_writes_then_resume_is_bit_identical(tmp_path):
    """Checkpoints every step, so the kill lands in or next to a checkpoint write."""
    steps = 4000
    ref = tmp_path / "ref"
    assert subprocess.run(_train_argv(ref, 60, ["--checkpoint-every", "1"]), capture_output=True,
                          timeout=600).returncode == 0
    out = tmp_path / "killed"
    p = subprocess.Popen(_train_argv(out, steps, ["--checkpoint-every", "1"]), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _wait_for_metrics(out, 4, p)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=60)
    step, _ = _weights(out)  # loadable: never a torn checkpoint
    assert step >= 1
    r = subprocess.run(_train_argv(out, 60, ["--checkpoint-every", "1", "--resume"]), capture_output=True, text=True,
                       timeout=600)
    if step > 60:  # the kill came late: the budget was already passed; nothing to compare
        pytest.skip(f"killed at step {step}, beyond the comparison budget")
    assert r.returncode == 0, r.stderr[-2000:]
    s_ref, w_ref = _weights(ref)
    s_out, w_out = _weights(out)
    assert s_ref == s_out == 60
    for k in w_ref:
        assert torch.equal(w_ref[k], w_out[k]), k  # bit-identical
    assert (ref / "metrics.jsonl").read_text() == (out / "metrics.jsonl").read_text()
    assert _temps(out) == []


def test_sigint_writes_a_final_checkpoint_and_exits_130(tmp_path):
    out = tmp_path / "int"
    p = subprocess.Popen(_train_argv(out, 10**6, ["--checkpoint-every", "100000"]), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _wait_for_metrics(out, 3, p)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err[-2000:]
    assert "--resume" in err and "Traceback" not in err
    step, _ = _weights(out)
    assert step >= 10  # the steps done since the last periodic checkpoint are kept
    assert read_manifest(out)["status"] == "interrupted"
    assert not (out / LOCK).exists() and (out / MANIFEST).exists()
