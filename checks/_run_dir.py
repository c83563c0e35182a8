"""Output directories owned by one run: a manifest, a lock, and the ``--overwrite`` / ``--resume`` rules.

Every command that writes a folder (``train``, ``verify``, ``analyze``, ``kkt``, ``flow``,
``grok-time``, ``accelerate``, …) opens it with :func:`open_run_directory` *before* any work,
so a bad ``--out`` (a file, a read-only mount, a folder of another run) fails in the first
second. While the run is active the folder holds

``grokcheck-run.json`` (the manifest)
    ``{"format": 1, "command", "argv", "grokcheck_version", "run_id", "config", "task_hash",
    "status": "running" | "completed" | "interrupted" | "failed", "pid", "host", "started",
    "finished", "files": [names written by the run]}``, written atomically at the start and at
    the end.
``.grokcheck.lock``
    an exclusive ``flock`` held by the running process (released by the kernel when it dies,
    even by ``kill -9``) and its pid, host and start time. A second run into the folder is
    refused while the lock is held. Where ``flock`` is unsupported the pid decides: a lock
    whose pid no longer runs on this host is stale and taken over.

Rules (``mode``):

``"new"`` (default)
    The folder must be new, empty, or hold only a run of the *same* command with the *same*
    configuration and task when ``rerun_same=True`` (reports: recomputing them replaces
    identical outputs). Anything else is refused, naming the other run and the fix.
``"overwrite"``
    The files of the previous run (those in its manifest, the names the command writes, and
    checkpoints) are deleted first, so nothing of it is left beside the new outputs. Files
    grokcheck did not write are kept and named.
``"resume"``
    The folder must hold a manifest of the same command whose configuration (apart from the
    keys in ``may_change``) and task hash match; otherwise the differing keys are named.

Temporary files of writes that an earlier crash interrupted are removed once the lock is held.
"""

from __future__ import annotations

import datetime as _dt
import errno
import hashlib
import json
import os
import secrets
import socket
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grokcheck.checks._io import atomic_write_json, remove_stale_temp_files

from grokcheck.errors import RunDirectoryError

__all__ = [
    "LOCK",
    "MANIFEST",
    "RunDirectory",
    "config_differences",
    "content_hash",
    "open_run_directory",
    "read_manifest",
    "require_run_directory",
]

MANIFEST = "grokcheck-run.json"
LOCK = ".grokcheck.lock"
_MODES = ("new", "overwrite", "resume")


def content_hash(obj: Any) -> str:
    """A SHA-256 hex digest of nested dicts, lists, scalars, numpy arrays and torch tensors.

    Arrays contribute their dtype, shape and bytes, so two tasks with the same split and
    data hash equal and any change of a single entry changes the hash.
    """
    h = hashlib.sha256()

    def feed(x):
        if hasattr(x, "detach") and hasattr(x, "cpu"):  # torch tensor, without importing torch
            x = x.detach().cpu().contiguous().numpy()
        if type(x).__module__ == "numpy" and hasattr(x, "tobytes"):
            import numpy as np

            a = np.ascontiguousarray(x)
            h.update(f"array:{a.dtype.str}:{a.shape}:".encode())
            h.update(a.tobytes())
        elif isinstance(x, dict):
            h.update(b"{")
            for k in sorted(x, key=str):
                h.update(json.dumps(str(k)).encode() + b":")
                feed(x[k])
            h.update(b"}")
        elif isinstance(x, (list, tuple)):
            h.update(b"[")
            for v in x:
                feed(v)
                h.update(b",")
            h.update(b"]")
        else:
            h.update(json.dumps(x, sort_keys=True, default=repr).encode())

    feed(obj)
    return h.hexdigest()


def config_differences(old: Any, new: Any, *, ignore: Iterable[str] = (), prefix: str = "") -> list[str]:
    """The dotted keys at which two JSON-like configurations differ (``ignore`` by top-level or dotted key).

    >>> config_differences({"lr": 0.1, "model": {"width": 8}}, {"lr": 0.1, "model": {"width": 16}})
    ['model.width']
    """
    ignore = set(ignore)
    out: list[str] = []
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new), key=str):
            key = f"{prefix}{k}"
            if key in ignore:
                continue
            if k not in old or k not in new:
                out.append(key)
            else:
                out += config_differences(old[k], new[k], ignore=ignore, prefix=key + ".")
        return out
    def norm(v):  # tuples and lists compare equal, as in the JSON the manifest holds
        return json.loads(json.dumps(v, default=repr))

    if norm(old) != norm(new):
        out.append(prefix[:-1] if prefix.endswith(".") else prefix or "<value>")
    return out


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of ``folder``, ``None`` if it has none; a corrupt one raises :class:`RunDirectoryError`."""
    p = Path(folder) / MANIFEST
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunDirectoryError(
            f"{p} is unreadable ({exc}); it is not a run this version wrote: choose another folder or "
            "use --overwrite", path=folder) from None
    if not isinstance(data, dict) or "command" not in data:
        raise RunDirectoryError(f"{p} is not a grokcheck manifest: choose another folder or use --overwrite",
                                path=folder)
    return data


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _describe(m: dict) -> str:
    argv = m.get("argv")
    cmd = "grokcheck " + " ".join(argv) if argv else f"grokcheck {m.get('command')}"
    if len(cmd) > 120:
        cmd = cmd[:119] + "…"
    return f"`{cmd}` ({m.get('status', '?')}, started {m.get('started', '?')})"


@dataclass
class RunDirectory:
    """An output folder held by this process (see the module docstring). Use as a context manager.

    Attributes
    ----------
    path : the folder.
    manifest : the manifest as written.
    previous : the manifest found at the start (``None`` for a new folder).
    """

    path: Path
    command: str
    config: dict
    task_hash: str | None = None
    mode: str = "new"
    may_change: tuple[str, ...] = ()
    rerun_same: bool = False
    outputs: tuple[str, ...] = ()
    argv: tuple[str, ...] | None = None
    manifest: dict = field(default_factory=dict)
    previous: dict | None = None
    _lock_fd: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> RunDirectory:  # noqa: PYI034 - Python 3.10 has no typing.Self
        if self._lock_fd is None:  # open_run_directory has opened it already
            self.open()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            status = "completed"
        elif issubclass(exc_type, KeyboardInterrupt):
            status = "interrupted"
        else:
            status = "failed"
        self.close(status)

    def open(self) -> None:
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {self.mode!r}")
        p = self.path
        if p.exists() and not p.is_dir():
            raise RunDirectoryError(f"--out {p} is a file, not a directory: choose a folder name", path=p)
        self._created = not p.exists()
        try:
            p.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise RunDirectoryError(f"--out {p}: a part of this path is a file, not a directory", path=p) from None
        self._lock()
        try:
            self.previous = read_manifest(p) if self.mode != "overwrite" else _safe_manifest(p)
            self._check()
            remove_stale_temp_files(p)
            if self.mode == "overwrite" or (self.mode == "new" and self.previous is not None):
                self._clear()
            self.manifest = {
                "format": 1,
                "command": self.command,
                "argv": list(self.argv) if self.argv is not None else list(sys.argv[1:]),
                "grokcheck_version": _version(),
                "run_id": (self.previous or {}).get("run_id") if self.mode == "resume" else secrets.token_hex(8),
                "config": self.config,
                "task_hash": self.task_hash,
                "status": "running",
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": _now(),
                "finished": None,
                "files": sorted(set((self.previous or {}).get("files", []))) if self.mode == "resume" else [],
            }
            if self.mode == "resume" and self.manifest["run_id"] is None:
                self.manifest["run_id"] = secrets.token_hex(8)
            atomic_write_json(p / MANIFEST, self.manifest)
        except BaseException:
            self._unlock()
            raise

    def close(self, status: str = "completed") -> None:
        """Record ``status`` and the files now in the folder, then release the lock."""
        if self._lock_fd is None:
            return
        try:
            files = self._listing()
            if status != "completed" and not files and self.mode != "resume":
                # stopped before writing anything (bad input, say): leave no trace that blocks a new run
                (self.path / MANIFEST).unlink(missing_ok=True)
                if getattr(self, "_created", False):
                    self._unlock()
                    try:
                        self.path.rmdir()
                    except OSError:
                        pass
                return
            self.manifest["status"] = status
            self.manifest["finished"] = _now()
            self.manifest["files"] = sorted(set(self.manifest.get("files", [])) | set(files))
            atomic_write_json(self.path / MANIFEST, self.manifest)
        except OSError:
            pass  # a full disk at the end must not hide the run's own error; the lock still goes
        finally:
            self._unlock()

    @property
    def run_id(self) -> str:
        """The id shared by the manifest and every checkpoint of this run."""
        return self.manifest["run_id"]

    # ------------------------------------------------------------------ rules
    def _listing(self) -> list[str]:
        out = []
        for q in self.path.rglob("*"):
            if q.is_file() and q.name not in (MANIFEST, LOCK):
                out.append(str(q.relative_to(self.path)))
        return out

    def _check(self) -> None:
        p, prev = self.path, self.previous
        if self.mode == "resume":
            if prev is None:
                has = [n for n in self._listing()]
                if not has:
                    raise RunDirectoryError(f"cannot resume: {p} holds no run (it is empty); start it without --resume",
                                            path=p)
                return  # a run directory from before manifests existed: the command checks its checkpoint
            if prev.get("command") != self.command:
                raise RunDirectoryError(
                    f"cannot resume: {p} holds a `{prev.get('command')}` run, not `{self.command}`", path=p)
            diff = config_differences(prev.get("config"), self.config, ignore=self.may_change)
            if prev.get("task_hash") != self.task_hash:
                diff.append("task")
            if diff:
                raise RunDirectoryError(
                    f"cannot resume {p}: the run there differs in {', '.join(diff)} (only "
                    f"{', '.join(self.may_change) or 'nothing'} may change on --resume); give the same options as "
                    f"{_describe(prev)}, or use --overwrite to start afresh", path=p, differing=tuple(diff))
            return
        if self.mode == "overwrite":
            return
        if prev is None:
            others = [n for n in self._listing() if not Path(n).name.startswith(".")]
            if others:
                shown = ", ".join(sorted(others)[:5]) + (", …" if len(others) > 5 else "")
                raise RunDirectoryError(
                    f"--out {p} is not empty ({len(others)} file(s): {shown}) and no grokcheck run owns it: "
                    "choose a new folder, or use --overwrite to write there (grokcheck's own outputs are "
                    "replaced, other files kept)", path=p)
            return
        same = (prev.get("command") == self.command and prev.get("task_hash") == self.task_hash
                and not config_differences(prev.get("config"), self.config))
        if self.rerun_same and same:
            return
        hint = "--resume to continue it, " if self.command == "train" else ""
        raise RunDirectoryError(
            f"--out {p} holds the outputs of another run, {_describe(prev)}: choose a new folder, or use "
            f"{hint}--overwrite to replace them", path=p)

    def _clear(self) -> None:
        prev = self.previous or {}
        doomed = {self.path / n for n in prev.get("files", [])}
        for pattern in self.outputs:
            doomed |= set(self.path.glob(pattern))
        parents = set()
        for q in doomed:
            try:
                if q.is_file() or q.is_symlink():
                    q.unlink()
                    parents.add(q.parent)
            except FileNotFoundError:
                pass
        for d in sorted(parents, key=lambda q: -len(q.parts)):  # sub-folders the old outputs leave empty
            while d != self.path and d.is_relative_to(self.path):
                try:
                    d.rmdir()
                except OSError:
                    break
                d = d.parent
        (self.path / MANIFEST).unlink(missing_ok=True)

    # ------------------------------------------------------------------ lock
    def _lock(self) -> None:
        lock = self.path / LOCK
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": _now(),
                           "command": self.command})
        for _ in range(5):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except ImportError:  # pragma: no cover - not POSIX: the pid decides
                self._lock_by_pid(fd, lock)
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    held = _read_lock(fd)
                    os.close(fd)
                    raise RunDirectoryError(
                        f"another grokcheck run (pid {held.get('pid', '?')} on {held.get('host', '?')}, "
                        f"`{held.get('command', '?')}` since {held.get('started', '?')}) is writing {self.path}: "
                        "wait for it to finish or choose another --out", path=self.path) from None
                if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    self._lock_by_pid(fd, lock)
                else:
                    os.close(fd)
                    raise
            # the file may have been removed and re-created by the holder we waited for: retry then
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, info.encode())
            os.fsync(fd)
            self._lock_fd = fd
            return
        raise RunDirectoryError(f"could not take the lock {lock}: it keeps changing; is another run starting?",
                                path=self.path)

    def _lock_by_pid(self, fd: int, lock: Path) -> None:
        held = _read_lock(fd)
        pid = held.get("pid")
        if pid and pid != os.getpid() and held.get("host") == socket.gethostname() and _pid_alive(int(pid)):
            os.close(fd)
            raise RunDirectoryError(f"another grokcheck run (pid {pid}) is writing {self.path}: wait for it to finish "
                                    "or choose another --out", path=self.path)
        if pid and held.get("host") not in (None, socket.gethostname()):
            os.close(fd)
            raise RunDirectoryError(f"{lock} is held by a run on host {held.get('host')}; if no run is active there, "
                                    "delete the lock file", path=self.path)

    def _unlock(self) -> None:
        fd, self._lock_fd = self._lock_fd, None
        if fd is None:
            return
        try:
            os.unlink(self.path / LOCK)
        except OSError:
            pass
        os.close(fd)


def _read_lock(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096).decode() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _safe_manifest(folder: Path) -> dict | None:
    try:
        return read_manifest(folder)
    except RunDirectoryError:
        return None


def _version() -> str:
    from grokcheck import __version__

    return __version__


def open_run_directory(
    path: str | os.PathLike,
    *,
    command: str,
    config: dict,
    task_hash: str | None = None,
    overwrite: bool = False,
    resume: bool = False,
    may_change: Iterable[str] = (),
    rerun_same: bool = False,
    outputs: Iterable[str] = (),
    argv: Iterable[str] | None = None,
) -> RunDirectory:
    """Take ownership of the output folder ``path`` for one run (see the module docstring).

    Parameters
    ----------
    command : the subcommand (``"train"``, ``"verify"``, …), recorded and compared.
    config : the JSON-able configuration of the run, compared on resume and re-run.
    task_hash : :func:`content_hash` of the data the run works on (``None`` if it has none).
    overwrite, resume : the ``--overwrite`` / ``--resume`` flags (not both).
    may_change : configuration keys (top-level or dotted) a resume may change (``steps``, ``plot``).
    rerun_same : allow a new run with the same command, configuration and task to replace the
        outputs of a finished one (deterministic reports).
    outputs : names the command writes, deleted by ``--overwrite`` even without a manifest.

    Returns
    -------
    RunDirectory : already open (lock held, manifest written); use it in a ``with`` block so
        the lock is released and the status recorded.

    Raises
    ------
    RunDirectoryError : the folder is a file, is held by another run, holds another run's
        outputs, or (resume) holds a run that differs; the message names the fix.
    """
    if overwrite and resume:
        raise RunDirectoryError("--overwrite and --resume contradict each other: give one of them", path=path)
    rd = RunDirectory(Path(path), command, dict(config), task_hash, "overwrite" if overwrite else
                      ("resume" if resume else "new"), tuple(may_change), rerun_same, tuple(outputs),
                      None if argv is None else tuple(argv))
    rd.open()
    return rd


def require_run_directory(path: str | os.PathLike, *, option: str = "RUN_DIR") -> Path:
    """``path`` as a :class:`~pathlib.Path` if it is a training run's folder (it has ``checkpoint.pt``).

    Raises
    ------
    InvalidInputError : it does not exist, is a file, or holds no checkpoint; the message says
        what a run directory is.
    """
    from grokcheck.errors import InvalidInputError

    p = Path(path)
    if not p.exists():
        raise InvalidInputError(f"{option} {p} does not exist: give the --out folder of a `grokcheck train` run",
                                option=option)
    if not p.is_dir():
        raise InvalidInputError(f"{option} {p} is a file: give the --out folder of a `grokcheck train` run",
                                option=option)
    if not (p / "checkpoint.pt").is_file():
        m = _safe_manifest(p)
        why = (f"its run (`{m.get('command')}`, {m.get('status')}) wrote no checkpoint yet" if m
               else "it has no checkpoint.pt")
        raise InvalidInputError(f"{option} {p} is not a training run: {why}; give the --out folder of a "
                                "`grokcheck train` run", option=option)
    return p
