"""Preloaded in every worker process of scsim's local Dask cluster
(``cluster.dask_client``): a Ctrl-C in the terminal reaches the whole process group, and the
command's own process stops the cluster (and marks a sweep interrupted), so the workers
ignore it; each used to die of it with a KeyboardInterrupt traceback on the terminal."""

from __future__ import annotations

import signal


def dask_setup(worker) -> None:
    """Called by Dask in the worker process's main thread as the worker starts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
