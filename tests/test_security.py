"""Security: no file grokcheck reads from a run folder can run code; ``--overwrite`` never reaches outside.

* A pickle payload (an object whose ``__reduce__`` would create a marker file) is injected into
  each kind of ``.pt`` file of a real run folder (``checkpoint.pt``, ``task.pt``,
  ``checkpoints/step_*.pt``) and every command that reads that kind is run on it: the marker is
  never created, the command exits 2 and names the file.
* New run folders hold only what torch's weights-only unpickler reads without any allow-list;
  a checkpoint of an earlier version (which stored torch's version object) still loads.
* ``--overwrite`` with a crafted manifest naming ``../victim`` or an absolute path is refused
  by name and deletes nothing; ``verify`` / ``flow`` ``--overwrite`` keep a user's own
  ``holiday.png``; ``analyze RUN`` and ``kkt RUN`` refuse the folder of a training still running.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import torch

from grokcheck.checks._run_dir import MANIFEST, live_run_holder, open_run_directory, read_manifest
from grokcheck.checks.cli import main
from grokcheck.errors import RunDirectoryError

# α = 2 > 1 and λ = 0.1 > 0, so `kkt` gets past its own checks and reaches the history files
TINY = ["--seeds", "2", "--width", "8", "--eval-every", "5", "--init-scale", "2", "--weight-decay", "0.1",
        "--no-plot", "--no-progress"]


class _Payload:
    """Unpickling this creates ``marker``: what a malicious file would do, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').close()",))


def _run(argv, capsys):
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> Path:
    """A real run folder: C5, 2 seeds, 10 steps, with a checkpoint history (step_*.pt)."""
    out = tmp_path_factory.mktemp("security") / "run"
    assert main(["train", "C5", "--steps", "10", "--checkpoint-history", "2", "--out", str(out), *TINY]) == 0
    assert sorted(p.name for p in (out / "checkpoints").iterdir())
    return out


@pytest.fixture
def run(clean_run, tmp_path) -> Path:
    dst = tmp_path / "run"
    shutil.copytree(clean_run, dst)
    return dst


def _target(run: Path, kind: str) -> Path:
    if kind == "history":
        return sorted((run / "checkpoints").glob("step_*.pt"))[0]
    return run / kind


def _inject(path: Path, marker: Path) -> None:
    """Add the payload to a real file's content (everything else stays valid)."""
    obj = torch.load(path, weights_only=True)
    obj["note"] = _Payload(marker)
    torch.save(obj, path)


# --------------------------------------------------------------------------------------------- payloads

# (command, file kinds it reads, argv builder)
COMMANDS = {
    "analyze-run": (("checkpoint.pt", "task.pt"), lambda run, tmp: ["analyze", run]),
    "analyze-format-grokcheck": (("checkpoint.pt", "task.pt"),
                                 lambda run, tmp: ["analyze", run / "checkpoint.pt", "--format", "grokcheck"]),
    "verify-model-grokcheck": (("checkpoint.pt", "task.pt"),
                               lambda run, tmp: ["verify", "C5", "--model", run, "--format", "grokcheck", "--out",
                                                 tmp / "verify", "--only", "chartable.orthogonality", "--quiet"]),
    "train-resume": (("checkpoint.pt", "task.pt"),
                     lambda run, tmp: ["train", "C5", "--steps", "12", "--checkpoint-history", "2", "--out", run,
                                       "--resume", *TINY]),
    "train-init-from": (("checkpoint.pt",),
                        lambda run, tmp: ["train", "C5", "--steps", "2", "--out", tmp / "stage2", "--init-from", run,
                                          *TINY]),
    "kkt": (("checkpoint.pt", "task.pt", "history"), lambda run, tmp: ["kkt", run, "--no-progress"]),
}
CASES = [(cmd, kind) for cmd, (kinds, _) in COMMANDS.items() for kind in kinds]


@pytest.mark.parametrize(("command", "kind"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_a_pickle_payload_in_a_run_file_never_runs(command, kind, run, tmp_path, capsys):
    marker = tmp_path / "PAYLOAD_RAN"
    target = _target(run, kind)
    _inject(target, marker)
    rc, out, err = _run(COMMANDS[command][1](run, tmp_path), capsys)
    assert not marker.exists(), f"{command} ran code from {target.name}"
    assert rc == 2, (rc, out, err)
    assert target.name in err and "refusing" in err and "Nothing in it was run" in err, err


def test_a_payload_in_a_legacy_pickle_file_is_refused_too(run, tmp_path, capsys):
    # the pre-zip torch format is read by the same weights-only unpickler
    marker = tmp_path / "PAYLOAD_RAN"
    obj = torch.load(run / "checkpoint.pt", weights_only=True)
    obj["note"] = _Payload(marker)
    torch.save(obj, run / "checkpoint.pt", _use_new_zipfile_serialization=False)
    rc, _, err = _run(["analyze", run], capsys)
    assert (rc, marker.exists()) == (2, False)
    assert "checkpoint.pt" in err


def test_new_run_files_load_with_weights_only_and_no_allow_list(clean_run, tmp_path):
    """Every .pt file of new runs, over the optimizers and states that write extra tensors."""
    runs = [clean_run]
    for i, extra in enumerate((["--optimizer", "sgd", "--momentum", "0.9", "--batch-size", "7"],
                               ["--optimizer", "egd", "--egd-method", "rsvd", "--egd-rank", "2"],
                               ["--optimizer", "muon"],
                               ["--model", "transformer", "--d-model", "8", "--heads", "2", "--d-mlp", "8"])):
        out = tmp_path / f"r{i}"
        assert main(["train", "C5", "--steps", "3", "--out", str(out), *TINY, *extra]) == 0
        runs.append(out)
    files = [p for r in runs for p in r.rglob("*.pt")]
    assert len(files) >= 2 * len(runs)
    for p in files:
        torch.load(p, weights_only=True)  # raises on any object that is not a tensor or plain data
    ck = torch.load(clean_run / "checkpoint.pt", weights_only=True)
    assert type(ck["torch_version"]) is str


def test_a_checkpoint_of_an_earlier_version_still_loads(run, capsys):
    # earlier versions stored torch.__version__ itself (a TorchVersion object), the one allowed type
    ck = torch.load(run / "checkpoint.pt", weights_only=True)
    ck["torch_version"] = torch.__version__
    assert type(ck["torch_version"]) is not str
    torch.save(ck, run / "checkpoint.pt")
    with pytest.raises(Exception, match="TorchVersion"):
        torch.load(run / "checkpoint.pt", weights_only=True)  # not loadable without the allow-list
    rc, out, err = _run(["analyze", run, "--json"], capsys)
    assert rc == 0, err
    assert json.loads(out)["step"] == 10


@pytest.mark.parametrize(("kind", "edit", "words"), [
    ("task.pt", lambda o: o["train_idx"].add_(1000), ["train_idx", "outside"]),
    ("task.pt", lambda o: o.update(y=o["y"] + 50), ["labels", "outside"]),
    ("task.pt", lambda o: o.update(extra=1), ["unknown keys", "extra"]),
    ("checkpoint.pt", lambda o: o.update(model={"w": [1.0]}), ["'model' maps", "not a tensor"]),
    ("checkpoint.pt", lambda o: o.update(step=-3), ["step"]),
    ("checkpoint.pt", lambda o: o["model"].update({k: v[:1] for k, v in o["model"].items()}), ["do not fit"]),
    ("checkpoint.pt", lambda o: o["config"].update(model={"kind": "nope"}), ["configuration"]),
])
def test_a_crafted_but_safe_file_is_a_named_error_not_a_traceback(kind, edit, words, run, capsys):
    obj = torch.load(run / kind, weights_only=True)
    edit(obj)
    torch.save(obj, run / kind)
    rc, _, err = _run(["analyze", run], capsys)
    assert rc == 2, err
    assert kind in err and "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


# --------------------------------------------------------------------------------------------- --overwrite

def _crafted_manifest(folder: Path, command: str, files: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps({"format": 1, "command": command, "config": {}, "status": "completed",
                                               "files": files}))


@pytest.mark.parametrize("argv", [
    ["train", "C5", "--steps", "2", *TINY],
    ["verify", "C5", "--only", "chartable.orthogonality", "--quiet"],
    ["flow", "C5", "--no-progress"],
], ids=["train", "verify", "flow"])
def test_overwrite_never_deletes_what_a_crafted_manifest_lists_outside(argv, tmp_path, capsys):
    out = tmp_path / "out"
    (tmp_path / "victim").write_text("keep me")
    absolute = tmp_path / "elsewhere" / "victim2"
    absolute.parent.mkdir()
    absolute.write_text("keep me too")
    _crafted_manifest(out, argv[0], ["../victim", str(absolute), "report.json"])
    (out / "report.json").write_text("{}")
    rc, _, err = _run([*argv, "--out", out, "--overwrite"], capsys)
    assert (tmp_path / "victim").read_text() == "keep me"
    assert absolute.read_text() == "keep me too"
    assert rc == 2, err
    assert "../victim" in err and str(absolute) in err and "nothing was deleted" in err
    assert (out / "report.json").exists()  # refused before anything was deleted


def test_overwrite_keeps_what_a_symlink_leads_outside_to(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep me")
    out = tmp_path / "out"
    _crafted_manifest(out, "verify", ["sub/victim", "link", "old.json"])
    (out / "sub").symlink_to(outside, target_is_directory=True)
    (out / "link").symlink_to(outside / "victim")
    (out / "old.json").write_text("{}")
    with open_run_directory(out, command="verify", config={}, overwrite=True, outputs=("sub/*",)) as rd:
        pass
    assert (outside / "victim").read_text() == "keep me"
    assert not (out / "old.json").exists()  # the run's own file inside the folder is deleted
    assert not (out / "link").is_symlink()  # a link may go: its target stays
    assert read_manifest(out)["files"] == [] and rd.manifest["status"] == "completed"


@pytest.mark.parametrize("argv", [
    ["verify", "C5", "--only", "chartable.orthogonality", "--quiet"],
    ["flow", "C5", "--no-progress"],
], ids=["verify", "flow"])
def test_overwrite_keeps_a_users_own_png_and_says_so(argv, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "holiday.png").write_bytes(b"\x89PNG my holiday")
    for _ in range(2):  # without a manifest, then with the one the first run wrote
        rc, _, err = _run([*argv, "--out", out, "--overwrite"], capsys)
        assert rc in (0, 1), err  # (flow's exit 1 would be a failed acceptance, not a refusal)
        assert (out / "holiday.png").read_bytes() == b"\x89PNG my holiday"
        assert "kept 1 file(s)" in err and "holiday.png" in err
        assert "holiday.png" not in read_manifest(out)["files"]


def test_an_interrupted_runs_own_pngs_are_cleared_but_not_older_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "holiday.png").write_bytes(b"mine")
    old = time.time() - 3600
    os.utime(out / "holiday.png", (old, old))  # there an hour before the run started
    started = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 60))
    (out / MANIFEST).write_text(json.dumps({"format": 1, "command": "flow", "config": {}, "status": "running",
                                            "started": started, "files": []}))  # killed before it listed its files
    (out / "omega.png").write_bytes(b"the killed run's")
    with open_run_directory(out, command="flow", config={}, overwrite=True, outputs=("flow.json", "*.png")):
        pass
    assert (out / "holiday.png").exists() and not (out / "omega.png").exists()


def test_a_malformed_files_entry_is_refused(tmp_path):
    out = tmp_path / "out"
    _crafted_manifest(out, "flow", "not-a-list")
    with pytest.raises(RunDirectoryError, match="files"):
        open_run_directory(out, command="flow", config={}, overwrite=True)
    _crafted_manifest(out, "flow", [None, 3])
    with pytest.raises(RunDirectoryError, match="None"):
        open_run_directory(out, command="flow", config={}, overwrite=True)


# --------------------------------------------------------------------------------------------- live runs

def test_analyze_and_kkt_refuse_the_folder_of_a_running_train(run, tmp_path, capsys):
    m = read_manifest(run)
    held = open_run_directory(run, command="train", config=m["config"], task_hash=m["task_hash"], resume=True,
                              may_change=("steps", "plot"))
    try:
        assert live_run_holder(run)["pid"] == os.getpid()
        before = sorted(p.name for p in run.iterdir())
        for argv in (["analyze", run], ["kkt", run, "--no-progress"], ["analyze", run, "--out", run / "sub"]):
            rc, _, err = _run(argv, capsys)
            assert rc == 2, err
            assert "running `grokcheck train`" in err and f"pid {os.getpid()}" in err, err
        assert sorted(p.name for p in run.iterdir()) == before  # nothing written into it
        rc, _, err = _run(["analyze", run, "--out", tmp_path / "elsewhere"], capsys)  # outside: allowed
        assert rc == 0, err
    finally:
        held.close("interrupted")
    assert live_run_holder(run) is None


def test_a_lock_left_by_a_dead_run_does_not_block_analyze(run, capsys):
    from grokcheck.checks._run_dir import LOCK

    # kill -9 leaves the lock file; its flock went with the process
    (run / LOCK).write_text(json.dumps({"pid": 2**22 + 17, "host": "gone", "command": "train", "started": "then"}))
    assert live_run_holder(run) is None
    rc, _, err = _run(["kkt", run, "--no-progress", "--out", run / "kkt2"], capsys)
    assert rc == 0, err
