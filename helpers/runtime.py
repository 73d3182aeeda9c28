"""How the suite uses the machine's threads: one place for BLAS and torch thread limits.

- ``blas_threads(n)``: a context manager capping BLAS (numpy, scipy, sklearn) threads. Small
  dense fits on a shared 2-core machine run 10-50x faster on one thread than on two that
  spin against other work.
- ``machine_busy()``: whether other work uses the CPUs now (measured over half a second).
- ``set_torch_threads(n)``: torch's intra-op threads; ``None`` = one thread when the machine
  is busy, else torch's default. Every notebook calls it once, at the top.
"""
from __future__ import annotations


def blas_threads(n: int = 1):
    """Context manager: BLAS limited to ``n`` threads inside the block."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


def machine_busy(seconds: float = 0.5, threshold: float = 40.0) -> bool:
    """Whether other work is using the CPUs now: utilisation of all cores over the next ``seconds``
    at or above ``threshold`` percent (on 2 cores, 40% is most of one core).

    Measured, not read from the load average: the 1-minute load average lags, so right after the
    previous notebook of a run it still says busy and the next notebook would run on one thread.
    """
    import psutil

    return psutil.cpu_percent(interval=seconds) >= threshold


def set_torch_threads(n_threads: int | None = None) -> int:
    """Set torch's intra-op threads and return the number used.

    ``None`` = automatic: one thread when other work is using the CPUs (``machine_busy``; on a
    shared 2-core machine two torch threads then spin against other jobs and run 3-10x slower
    than one), otherwise torch's default.
    """
    import torch

    if n_threads is None:
        n_threads = 1 if machine_busy() else torch.get_num_threads()
    torch.set_num_threads(int(n_threads))
    return int(n_threads)
