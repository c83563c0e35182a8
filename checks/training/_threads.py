"""How many torch threads a training run should use, chosen from the size of its step.

A batched ensemble step is a handful of large operations; each is split across the intra-op
threads only when it is large enough to pay for waking them, and on a machine whose cores are
already busy (other processes, other agents, a Ray worker per core) extra threads only wait for
each other. :func:`auto_threads` therefore asks for one thread per ``ELEMENTS_PER_THREAD``
elements of the step's largest activation (S · batch · width), capped by the cores that are
free: the cores this process may run on (``os.sched_getaffinity``) less the one-minute load
average of the *other* processes (the load average counts this process's own busy threads too,
so its share, CPU time over wall time since it started, is taken off), and never fewer than one.
An evaluation (a forward pass without a backward one) asks for one thread per
``MACS_PER_THREAD`` multiply-adds of its matrix product instead (:func:`forward_threads`).

``threads`` arguments (CLI ``--threads``, sweep specs) accept ``"auto"`` (this policy), or a
positive integer. :func:`torch_threads` applies a choice for the duration of a block and
restores the previous setting afterwards.
"""

from __future__ import annotations

import contextlib
import os

from grokcheck.errors import InvalidInputError

__all__ = ["ELEMENTS_PER_THREAD", "MACS_PER_THREAD", "available_cores", "auto_threads", "forward_threads",
           "step_elements", "train_step_elements", "resolve_threads", "torch_threads"]

#: Elements of the largest activation of a step per intra-op thread: below about this size a
#: second thread costs more (waking, splitting, joining) than it saves on this class of CPU.
ELEMENTS_PER_THREAD = 1 << 21

#: Multiply-adds of an evaluation's matrix product per intra-op thread. The one-layer MLP's
#: forward pass (n² pairs × 128 hidden × n outputs) on one and two threads of this class of CPU:
#: n = 40 (8e6 multiply-adds) 0.27 against 0.26 ms, n = 60 (2.8e7) 0.93 against 0.74 ms, n = 80
#: (6.6e7) 1.55 against 1.25 ms: a second thread pays from about 2^23.
MACS_PER_THREAD = 1 << 23


def _own_load() -> float:
    """This process's average number of busy threads since it started (CPU time / wall time).

    The part of the load average that is this process itself (Linux ``/proc``; 0 elsewhere)."""
    try:
        with open("/proc/self/stat", "rb") as fh:
            start_ticks = int(fh.read().rsplit(b")", 1)[1].split()[19])  # field 22: start time, clock ticks
        with open("/proc/uptime", "rb") as fh:
            uptime = float(fh.read().split()[0])
        wall = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0
    t = os.times()
    return (t.user + t.system) / wall if wall > 1.0 else 0.0  # too young to judge: count nothing


def available_cores() -> int:
    """Cores this process may run on that the other processes leave free, ≥ 1.

    The affinity's cores less the 1-minute load average, from which this process's own share
    (:func:`_own_load`, at most the load itself) is removed first.
    """
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    others = load - min(load, _own_load())
    return max(1, min(cores, int(cores - others + 0.5)))


def step_elements(n_seeds: int, batch: int, width: int) -> int:
    """Elements of a step's largest activation: S · batch · width."""
    return int(n_seeds) * int(batch) * int(width)


def train_step_elements(config, task) -> int:
    """:func:`step_elements` of a :class:`~grokcheck.checks.training._train.TrainConfig` on ``task``.

    The width is the model's widest hidden layer (``width``, ``widths``, ``d_mlp``); the batch is
    ``batch_size`` or the whole training set.
    """
    m = config.model
    widths = [getattr(m, a) for a in ("width", "d_mlp", "d_model") if isinstance(getattr(m, a, None), int)]
    widths += list(getattr(m, "widths", ()) or ())
    batch = config.batch_size or task.n_train
    return step_elements(config.n_seeds, batch, max(widths, default=1))


def auto_threads(elements: int, *, cores: int | None = None) -> int:
    """Threads for a step whose largest activation has ``elements`` entries.

    ``cores`` defaults to :func:`available_cores`; the result is in ``[1, cores]``.
    """
    cores = available_cores() if cores is None else max(1, int(cores))
    return max(1, min(cores, int(elements) // ELEMENTS_PER_THREAD))


def forward_threads(threads, pairs: int, width: int, outputs: int, *, cores: int | None = None) -> int:
    """Threads for evaluating a model on ``pairs`` inputs: hidden ``width``, ``outputs`` logits.

    ``"auto"`` (or ``None``): one thread per ``MACS_PER_THREAD`` (2^23) multiply-adds of the readout
    product (pairs × width × outputs), capped by the free cores (``cores``, default
    :func:`available_cores`); an integer is taken as given (:func:`resolve_threads`).
    """
    if threads is None or (isinstance(threads, str) and threads.strip().lower() == "auto"):
        cores = available_cores() if cores is None else max(1, int(cores))
        return max(1, min(cores, int(pairs) * int(width) * int(outputs) // MACS_PER_THREAD))
    return resolve_threads(threads)


def resolve_threads(threads, elements: int | None = None) -> int:
    """An explicit thread count, or the :func:`auto_threads` choice for ``"auto"`` / ``None``.

    ``elements`` (see :func:`step_elements`) is needed for ``"auto"``; without it the choice is
    one thread.
    """
    if threads is None or (isinstance(threads, str) and threads.strip().lower() == "auto"):
        return 1 if elements is None else auto_threads(elements)
    try:
        n = int(threads)
    except (TypeError, ValueError):
        raise InvalidInputError(f"threads must be 'auto' or a positive integer, got {threads!r}") from None
    if n < 1 or (isinstance(threads, float) and threads != n):
        raise InvalidInputError(f"threads must be 'auto' or a positive integer, got {threads!r}")
    return n


@contextlib.contextmanager
def torch_threads(n: int):
    """Run the block with ``torch.set_num_threads(n)`` and restore the previous count after it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(int(n))
    try:
        yield int(n)
    finally:
        torch.set_num_threads(before)
