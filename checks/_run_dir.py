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
    grokcheck did not write are kept and named. Only paths inside the folder are ever deleted:
    a manifest that lists an absolute path or one with ``..`` was not written by grokcheck and
    is refused by name before anything is deleted; a path that leaves the folder through a
    symbolic link is kept (a link itself may be removed: that never touches its target). A
    wildcard pattern that could match a user's own top-level files (``*.png``) is applied only
    to the files of an interrupted run of the same command written since it started (its
    manifest could not list them); otherwise only the exact names and the command's own
    sub-folders are cleared. Files that were in the folder before the run and that it did not
    change are never recorded as its own.
``"resume"``
    The folder must hold a manifest of the same command whose configuration (apart from the
    keys in ``may_change``) and task hash match; otherwise the differing keys are named.

Temporary files of writes that an earlier crash interrupted are removed once the lock is held.

Commands that write beside a training run's own files (``analyze RUN``, ``kkt RUN``) call
:func:`refuse_writing_into_live_run` first: a folder whose lock a live run holds is refused,
naming that run.
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
    "live_run_holder",
    "read_manifest",
    "refuse_writing_into_live_run",
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
            # files already here that the run does not write are not its own: never listed as its files
            self._before = {} if self.mode == "resume" else _signatures(p, self._listing())
            if self._before and (self.mode == "overwrite" or self.previous is not None):
                names = sorted(self._before)
                shown = ", ".join(names[:5]) + (f", … ({len(names)} in all)" if len(names) > 5 else "")
                print(f"grokcheck: kept {len(names)} file(s) in {p} that grokcheck did not write: {shown}",
                      file=sys.stderr)
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
                "files": _resumed_files(self.previous or {}, p) if self.mode == "resume" else [],
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
            before = getattr(self, "_before", {})
            now = self._listing()
            files = [f for f, sig in zip(now, _signatures(self.path, now).values()) if before.get(f) != sig]
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
        """Regular files under the folder (relative names), not following or listing symbolic links."""
        return _files_under(self.path)

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
            # symbolic links count: a run must not write through one it did not make
            others = [n for n in _files_under(p, links=True) if not Path(n).name.startswith(".")]
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
        """Delete the previous run's files (see the module docstring); refuse a manifest naming outside paths."""
        prev = self.previous or {}
        root = self.path.resolve()
        doomed = {self.path / n for n in _manifest_files(prev, self.path)}
        same_killed = prev.get("command") == self.command and prev.get("status") == "running"
        since = _timestamp(prev.get("started")) if same_killed else None
        for pattern in self.outputs:
            broad = _is_broad(pattern)
            if broad and since is None:
                continue  # could be a user's own file: only exact names without a record of this command
            for q in self.path.glob(pattern):
                if broad:
                    try:
                        if q.lstat().st_mtime < since - 2:  # 2 s: the manifest's start is rounded to the second
                            continue
                    except OSError:
                        continue
                doomed.add(q)
        parents = set()
        for q in doomed:
            if not _deletable(q, root):
                continue  # a path that leaves the folder through a symbolic link: kept
            try:
                q.unlink()
                parents.add(q.parent)
            except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError):
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


def _files_under(root: Path, *, links: bool = False) -> list[str]:
    """Relative names of the regular files under ``root`` (no manifest or lock; symbolic links are never
    followed, and listed only with ``links=True``)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        d = Path(dirpath)
        for name in filenames + [n for n in dirnames if (d / n).is_symlink()]:
            q = d / name
            if (q.is_symlink() and not links) or not (q.is_symlink() or q.is_file()):
                continue
            rel = str(q.relative_to(root))
            if rel not in (MANIFEST, LOCK):
                out.append(rel)
    return sorted(out)


def _signatures(root: Path, names: Iterable[str]) -> dict[str, tuple]:
    """``{name: (inode, size, mtime_ns)}``: a file the run rewrote (or replaced) has another signature."""
    out = {}
    for n in names:
        try:
            st = (root / n).lstat()
            out[n] = (st.st_ino, st.st_size, st.st_mtime_ns)
        except OSError:
            out[n] = None
    return out


def _manifest_files(manifest: dict, folder: Path) -> list[str]:
    """The ``files`` of a manifest, each a relative path inside ``folder``.

    Raises
    ------
    RunDirectoryError : ``files`` is not a list of names, or names an absolute path or one with
        ``..`` (grokcheck writes only inside the folder: the manifest was altered); the
        offending entries are named and nothing has been deleted.
    """
    files = manifest.get("files", [])
    if files is None:
        return []
    where = Path(folder) / MANIFEST
    if not isinstance(files, list):
        raise RunDirectoryError(f"{where} is not a grokcheck manifest: its 'files' is a {type(files).__name__}, not "
                                "a list of names; nothing was deleted. Delete the manifest by hand if you trust the "
                                "folder, or choose another --out", path=folder)
    bad = []
    for e in files:
        if not isinstance(e, str) or not e or "\x00" in e:
            bad.append(repr(e))
            continue
        q = Path(e)
        if q.is_absolute() or ".." in q.parts or e.startswith("~") or "\\" in e:
            bad.append(e)
    if bad:
        shown = ", ".join(bad[:5]) + (f", … ({len(bad)} in all)" if len(bad) > 5 else "")
        raise RunDirectoryError(
            f"refusing to delete what {where} lists: {shown} (outside the folder, or not a file name); a grokcheck "
            "run writes only inside its folder, so the manifest was altered and nothing was deleted. Delete "
            f"{MANIFEST} by hand if you trust the rest of the folder, or choose another --out", path=folder)
    return sorted(set(files))


def _resumed_files(manifest: dict, folder: Path) -> list[str]:
    """The files a resumed run inherits: the previous manifest's, or none when it lists outside paths
    (the run lists its files again when it ends)."""
    try:
        return _manifest_files(manifest, folder)
    except RunDirectoryError:
        return []


def _deletable(q: Path, root: Path) -> bool:
    """``q`` sits in a folder whose real location is inside ``root`` (resolved) and is a regular file
    or a symbolic link (removing a link never touches what it points to)."""
    try:
        if not q.parent.resolve(strict=True).is_relative_to(root):
            return False  # reached through a symbolic link that leaves the folder
        return q.is_symlink() or (q.is_file() and q.resolve(strict=True).is_relative_to(root))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def _is_broad(pattern: str) -> bool:
    """A pattern whose first component starts with a wildcard (``*.png``) can match a user's own top-level file."""
    first = pattern.split("/", 1)[0]
    return bool(first) and first[0] in "*?["


def _timestamp(text) -> float | None:
    """POSIX time of an ISO-8601 manifest time stamp, ``None`` if it is missing or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        return _dt.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def live_run_holder(folder: str | os.PathLike) -> dict | None:
    """The lock record (``pid``, ``host``, ``command``, ``started``) of the live run holding ``folder``'s lock.

    ``None`` when no process holds it (no lock file, or a lock left by a run that died: the
    kernel released its ``flock``). Where ``flock`` is unsupported the pid decides, as in
    :class:`RunDirectory`.
    """
    lock = Path(folder) / LOCK
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: the pid decides
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # conflicts with the holder's exclusive lock
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    return _read_lock(fd)
                if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS):
                    return None
            else:
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None
        held = _read_lock(fd)
        try:
            pid = int(held.get("pid"))
        except (TypeError, ValueError):
            return None
        if pid != os.getpid() and held.get("host") == socket.gethostname() and _pid_alive(pid):
            return held
        return None
    finally:
        os.close(fd)


def refuse_writing_into_live_run(run_dir: str | os.PathLike, out: str | os.PathLike | None = None, *,
                                 command: str) -> None:
    """Refuse to write into the folder of a run that is still running (it holds the folder's lock).

    Parameters
    ----------
    run_dir : the run folder the command reads (``analyze RUN``, ``kkt RUN``).
    out : where the command will write; ``None`` means into ``run_dir`` itself. An ``out``
        outside ``run_dir`` is always allowed.
    command : the subcommand, for the message.

    Raises
    ------
    RunDirectoryError : ``out`` lies in ``run_dir`` and a live process holds ``run_dir``'s lock;
        the message names that run (command, pid, host, start) and the fix.
    """
    run_dir = Path(run_dir)
    target = run_dir if out is None else Path(out)
    try:
        inside = target.resolve().is_relative_to(run_dir.resolve())
    except (OSError, RuntimeError):
        inside = True
    if not inside:
        return
    held = live_run_holder(run_dir)
    if held is None:
        return
    raise RunDirectoryError(
        f"{run_dir} belongs to a running `grokcheck {held.get('command', '?')}` (pid {held.get('pid', '?')} on "
        f"{held.get('host', '?')}, since {held.get('started', '?')}): `grokcheck {command}` would write into it "
        "while it runs; wait for that run to finish, or give --out DIR outside its folder", path=run_dir)


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
