"""How many torch threads a training run should use, chosen from the size of its step.

A batched ensemble step is a handful of large operations; each is split across the intra-op
threads only when it is large enough to pay for waking them, and on a machine whose cores are
already busy (other processes, other agents, a Ray worker per core) extra threads only wait for
each other. :func:`auto_threads` therefore asks for one thread per ``ELEMENTS_PER_THREAD``
elements of the step's largest activation (S · batch · width), capped by the cores that are
free: the cores this process may run on (``os.sched_getaffinity``) less the one-minute load
average, and never fewer than one.

``threads`` arguments (CLI ``--threads``, sweep specs) accept ``"auto"`` (this policy), or a
positive integer. :func:`torch_threads` applies a choice for the duration of a block and
restores the previous setting afterwards.
"""

from __future__ import annotations

import contextlib
import os

from grokcheck.errors import InvalidInputError

__all__ = ["ELEMENTS_PER_THREAD", "available_cores", "auto_threads", "step_elements", "train_step_elements",
           "resolve_threads", "torch_threads"]

#: Elements of the largest activation of a step per intra-op thread: below about this size a
#: second thread costs more (waking, splitting, joining) than it saves on this class of CPU.
ELEMENTS_PER_THREAD = 1 << 21


def available_cores() -> int:
    """Cores this process may run on that are not busy (affinity less the 1-minute load), ≥ 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = 0.0
    return max(1, min(cores, int(cores - load + 0.5)))


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
