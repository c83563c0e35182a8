"""BLAS threads for blocks of small matrix products.

numpy's BLAS (OpenBLAS) splits a product across its own thread pool, and those threads spin a
while after each call. For products of a few hundred rows a second thread saves nothing, and on
a 2-core machine the spinning threads take the cores from torch's (OpenMP) ones, which then
wait on each other: with another process busy, the released S5 model's forward pass took 16 ms
on one torch thread and 400–500 ms on two right after a 384×120 numpy product, against 5.5 and
3.5 ms without it. Blocks of small products run under :func:`single_blas_thread`.
"""

from __future__ import annotations

import contextlib

__all__ = ["single_blas_thread"]


def single_blas_thread():
    """A context in which numpy's BLAS uses one thread (``threadpoolctl``; a no-op without it)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn, a dependency
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")
