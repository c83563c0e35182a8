"""Where the cells of a sweep run: in this process, or as Ray tasks on a cluster.

An executor takes the cells still to do and yields one :class:`CellOutcome` per cell as cells
finish (in any order); the driver (:func:`~grokcheck.checks.experiments._sweep.run_sweep`)
writes the results table. Every executor retries a failed cell once and then reports it as
failed with its error (``ok=False``, ``error`` = the exception and its traceback) — a cell is
never dropped.

* :class:`LocalExecutor` – one cell after the other in this process (nothing to start).
* :class:`RayExecutor` – one Ray task per cell with the cell's CPU/GPU requirements
  (``num_cpus``, ``num_gpus``), ``max_retries=1`` and ``retry_exceptions=True`` (a worker that
  dies and a cell that raises are both retried once); results return to the driver through the
  object store. ``address=None`` starts a local Ray instance, ``"auto"`` joins the cluster this
  machine belongs to (``ray start --head`` / ``ray start --address=HEAD:6379`` on every node, or
  Ray's cluster launcher), ``"HOST:PORT"`` joins that head node; ``ray://HOST:10001`` uses Ray
  Client. Install with ``pip install grokcheck[ray]``. Before it joins a cluster the executor
  checks that the head's port answers within ``connect_timeout`` seconds (30 by default;
  ``grokcheck sweep --connect-timeout``) and gives joining it as long again, so a dead, stopped
  or unreachable head fails with a message naming it instead of leaving ``ray.init`` to retry for
  minutes.
"""

from __future__ import annotations

import abc
import os
import socket
import time
import traceback
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence

from grokcheck.errors import InvalidInputError

__all__ = ["CellOutcome", "AbstractExecutor", "LocalExecutor", "RayExecutor", "make_executor", "ATTEMPTS",
           "CONNECT_TIMEOUT", "check_reachable"]

#: A cell is tried at most this many times (the first try and one retry).
ATTEMPTS = 2
#: Seconds to wait for a Ray head to answer before giving up (a live head answers in milliseconds;
#: the bound covers a slow network, not a dead head, which Ray itself retries for minutes).
CONNECT_TIMEOUT = 30.0


@dataclass(frozen=True)
class CellOutcome:
    """The result of one cell: ``columns`` (``{name: [values]}``) when ``ok``, else ``error``.

    ``attempts`` is the number of tries when the executor knows it (``None`` for a Ray success).
    """

    cell_id: str
    ok: bool
    columns: Mapping | None
    error: str | None
    attempts: int | None
    seconds: float
    worker: str


class AbstractExecutor(abc.ABC):
    """Runs sweep cells; see the module docstring."""

    name: str = "abstract"
    #: whether cells run in this process (so their device must exist on this machine)
    local: bool = True

    def start(self) -> None:
        """Connect to or start what the cells run on, failing fast with a clear message (default: nothing)."""

    @abc.abstractmethod
    def run(self, cells: Sequence, *, threads="auto", resources: Mapping | None = None) -> Iterator[CellOutcome]:
        """Yield one :class:`CellOutcome` per cell of ``cells`` as they finish."""


def _timed_cell(payload: Mapping, threads, cores) -> tuple[dict, float, str]:
    from grokcheck.checks.experiments._sweep import run_sweep_cell, worker_name

    t0 = time.perf_counter()
    cols = run_sweep_cell(payload, threads=threads, cores=cores)
    return cols, time.perf_counter() - t0, worker_name()


class LocalExecutor(AbstractExecutor):
    """Every cell in this process, one after the other (``threads="auto"``: capped by the free cores)."""

    name = "local"

    def run(self, cells, *, threads="auto", resources=None):
        from grokcheck.checks.training._threads import available_cores

        for cell in cells:
            errors = []
            t0 = time.perf_counter()
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    cols, dt, who = _timed_cell(cell.payload, threads, available_cores())
                except Exception:  # noqa: BLE001 - a failing cell is recorded, the sweep goes on
                    errors.append(traceback.format_exc(limit=12))
                    continue
                yield CellOutcome(cell.id, True, cols, None, attempt, dt, who)
                break
            else:
                yield CellOutcome(cell.id, False, None, errors[-1], ATTEMPTS, time.perf_counter() - t0, "local")


def _ray_cell(payload, threads, cores):
    """The Ray task: one cell (module level, so workers import it by reference)."""
    return _timed_cell(payload, threads, cores)


class RayExecutor(AbstractExecutor):
    """One Ray task per cell (see the module docstring).

    Parameters
    ----------
    address : ``None`` (start a local instance), ``"auto"``, ``"HOST:PORT"`` or ``"ray://…"``.
    num_cpus : CPUs of a local instance started here (``address=None``); default all.
    init_kwargs : passed to ``ray.init`` when this executor starts or joins Ray.
    """

    name = "ray"
    local = False

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, init_kwargs: Mapping | None = None,
                 connect_timeout: float = CONNECT_TIMEOUT):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise InvalidInputError("the ray executor needs Ray: pip install 'grokcheck[ray]'") from None
        if isinstance(connect_timeout, bool) or not isinstance(connect_timeout, (int, float)) or not (
                0 < connect_timeout < float("inf")):
            raise InvalidInputError(f"connect_timeout must be a number of seconds > 0, got {connect_timeout!r}",
                                    option="--connect-timeout")
        self.address = address
        self.num_cpus = num_cpus
        self.init_kwargs = dict(init_kwargs or {})
        self.connect_timeout = float(connect_timeout)

    def start(self) -> None:
        self._ensure()

    def _ensure(self):
        import ray

        if not ray.is_initialized():
            if self.address is not None:
                check_reachable(self.address, self.connect_timeout)
            kw = {"include_dashboard": False, "log_to_driver": False, **self.init_kwargs}
            if self.address is None:
                kw.setdefault("num_cpus", self.num_cpus)
                ray.init(address=None, **kw)  # starting a local instance: Ray's own time
            else:
                _init_within(ray, self.address, self.connect_timeout, kw)
        return ray

    def run(self, cells, *, threads="auto", resources=None):
        ray = self._ensure()
        res = {"num_cpus": 1.0, "num_gpus": 0.0, **dict(resources or {})}
        cores = max(1, int(res["num_cpus"]))
        task = ray.remote(_ray_cell).options(num_cpus=res["num_cpus"], num_gpus=res["num_gpus"],
                                             max_retries=ATTEMPTS - 1, retry_exceptions=True)
        t0 = time.perf_counter()
        pending = {task.remote(dict(c.payload), threads, cores): c for c in cells}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                cell = pending.pop(ref)
                try:
                    cols, dt, who = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError, …: recorded
                    yield CellOutcome(cell.id, False, None, f"{type(exc).__name__}: {exc}", ATTEMPTS,
                                      time.perf_counter() - t0, "ray")
                    continue
                yield CellOutcome(cell.id, True, cols, None, None, dt, who)  # Ray does not say whether it retried


def _head_of(address: str) -> str | None:
    """The ``HOST:PORT`` that ``address`` leads to, ``None`` where Ray decides alone (no cluster named)."""
    a = address.strip()
    if a in ("auto", ""):
        env = os.environ.get("RAY_ADDRESS", "").strip()
        if env and env not in ("auto", "local"):
            return _head_of(env)
        try:  # the head this machine started last (`ray start --head` writes it)
            with open(os.path.join(os.environ.get("RAY_TMPDIR", "/tmp"), "ray", "ray_current_cluster")) as f:
                return f.read().strip() or None
        except (OSError, UnicodeDecodeError):
            return None  # no cluster here: ray.init says so at once
    if a == "local":
        return None
    for scheme in ("ray://", "http://", "https://"):
        if a.startswith(scheme):
            a = a[len(scheme):]
    return a.split("/", 1)[0] or None


class _Late(BaseException):
    """Raised by the alarm in :func:`_init_within` (a ``BaseException``: no ``except Exception`` in Ray swallows it)."""


def _init_within(ray, address: str, timeout: float, kw: dict) -> None:
    """``ray.init(address, **kw)``, given up after ``timeout`` seconds (a head whose port answers but that
    never completes Ray's handshake: a stopped process, another service on the port).

    The bound is a ``SIGALRM`` timer, so it applies in the main thread of a POSIX process; elsewhere
    the reachability check of :func:`check_reachable` is the only bound.
    """
    import signal
    import threading

    def join():
        try:
            ray.init(address=address, **kw)
        except Exception as exc:  # noqa: BLE001 - ConnectionError, RuntimeError, …: the cluster, not grokcheck
            raise InvalidInputError(f"--address {address}: Ray could not join the cluster: "
                                    f"{type(exc).__name__}: {str(exc).strip()[:300]}", option="--address") from None

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        join()
        return

    def on_alarm(signum, frame):
        raise _Late()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        join()
    except _Late:
        raise InvalidInputError(
            f"--address {address}: the Ray head accepts connections but did not complete joining within {timeout:g} s "
            "(is it a stopped head, or another service on that port? Ray's head listens on 6379, Ray Client on "
            "10001); raise --connect-timeout on a slow network", option="--address") from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_reachable(address: str, timeout: float = CONNECT_TIMEOUT) -> None:
    """Raise :class:`~grokcheck.errors.InvalidInputError` unless the Ray head of ``address`` accepts a TCP
    connection within ``timeout`` seconds (a dead head would leave ``ray.init`` retrying for minutes)."""
    head = _head_of(address)
    if head is None:
        return
    host, sep, port = head.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise InvalidInputError(f"--address {address!r}: expected 'auto', HOST:PORT or ray://HOST:PORT",
                                option="--address")
    host = host.strip("[]")  # [::1]:6379
    t0 = time.perf_counter()
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        waited = time.perf_counter() - t0
        why = "no answer" if isinstance(exc, TimeoutError) else (exc.strerror or type(exc).__name__)
        shown = f"{address} ({head})" if head != address else address
        raise InvalidInputError(
            f"--address {shown}: no Ray head reachable ({why} after {waited:.1f} s, timeout {timeout:g} s); start "
            "the cluster (ray start --head) or check the address, or raise --connect-timeout on a slow network",
            option="--address") from None


def make_executor(name: str, *, address: str | None = None, connect_timeout: float = CONNECT_TIMEOUT) -> AbstractExecutor:
    """``"local"`` or ``"ray"`` (with ``address`` and ``connect_timeout`` seconds to reach it)."""
    if name == "local":
        if address is not None:
            raise InvalidInputError("--address needs --executor ray")
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address, connect_timeout=connect_timeout)
    raise InvalidInputError(f"unknown executor {name!r}; one of local, ray")
