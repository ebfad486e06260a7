"""Where experiments run: a Dask LocalCluster on this machine (one single-threaded worker
process per core) by default, or a running Dask scheduler named by ``--scheduler`` or
``SCSIM_SCHEDULER``."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from scsim.errors import ScsimError

SCHEDULER_ENV = "SCSIM_SCHEDULER"


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None,
                timeout: float = 15.0) -> Iterator[Client]:
    """A connected Dask client (``timeout``: seconds to reach a scheduler); the local
    cluster, if one was started, stops on exit."""
    address = scheduler or os.environ.get(SCHEDULER_ENV)
    if address:
        try:
            client = Client(address, timeout=f"{timeout}s")
        except (OSError, TimeoutError) as exc:
            raise ScsimError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        with client:
            yield client
        return
    n = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=":0", silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        yield client


def worker_slots(client: Client) -> int:
    """How many tasks the cluster runs at once (its total worker threads)."""
    return max(1, sum(client.nthreads().values()))
