"""Preloaded in every worker process of scsim's local Dask cluster
(``cluster.dask_client``): a Ctrl-C in the terminal reaches the whole process group, and the
command's own process stops the cluster (and marks a sweep interrupted), so the workers
ignore it (each used to die of it with a KeyboardInterrupt traceback on the terminal); and
their ``distributed`` log goes to the Dask log file, as the command's own does, not to the
terminal (a worker outliving the scheduler by a heartbeat logged a traceback there)."""

from __future__ import annotations

import logging
import signal


def dask_setup(worker) -> None:
    """Called by Dask in the worker process's main thread as the worker starts."""
    from scsim.experiments.cluster import route_to_file

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    route_to_file(logging.getLogger("distributed"))
