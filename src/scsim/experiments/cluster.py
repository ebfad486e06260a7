"""Where experiments run: a Dask LocalCluster on this machine (one single-threaded worker
process per core) by default, or a running Dask scheduler named by ``--scheduler`` or
``SCSIM_SCHEDULER``."""

from __future__ import annotations

import logging
import numbers
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from distributed import Client, LocalCluster

from scsim.errors import ScsimError

SCHEDULER_ENV = "SCSIM_SCHEDULER"
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")  # Dask comms that take HOST:PORT
LOG_ENV = "SCSIM_DASK_LOG"  # where Dask's own messages go (default: a file in the temp dir)


def dask_log_path() -> Path:
    return Path(os.environ.get(LOG_ENV) or Path(tempfile.gettempdir()) / "scsim-dask.log")


def route_to_file(logger: logging.Logger) -> tuple[logging.Handler, tuple[list, bool]]:
    """Send ``logger``'s records to the Dask log file (``dask_log_path``) instead of the
    terminal; returns the file's handler and what to restore (the handlers removed, the
    former ``propagate``)."""
    try:
        handler: logging.Handler = logging.FileHandler(dask_log_path(), encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    saved = (list(logger.handlers), logger.propagate)
    for old in saved[0]:
        if isinstance(old, logging.StreamHandler) and not isinstance(old, logging.FileHandler):
            logger.removeHandler(old)
    logger.addHandler(handler)
    logger.propagate = False
    return handler, saved


@contextmanager
def dask_logs_to_file() -> Iterator[Path]:
    """Send the ``distributed`` loggers' records (such as "Couldn't gather keys" after a
    lost worker, which the sweep recovers from) to a log file instead of the terminal
    while the block runs. Returns the file's path."""
    logger = logging.getLogger("distributed")
    handler, saved = route_to_file(logger)
    try:
        yield dask_log_path()
    finally:
        logger.removeHandler(handler)
        handler.close()
        for old in saved[0]:
            if old not in logger.handlers:
                logger.addHandler(old)
        logger.propagate = saved[1]


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler address to use: ``scheduler`` (``--scheduler``), else
    ``SCSIM_SCHEDULER``, else None (a local cluster). A ScsimError naming where the address
    came from if it is not ``[SCHEME://]HOST:PORT`` (tcp, tls, ws, wss or ucx; a port from
    1 to 65535): commands call this before they record or run anything."""
    from distributed.comm.addressing import parse_address, parse_host_port

    given, source = (scheduler, "--scheduler") if scheduler else (
        os.environ.get(SCHEDULER_ENV), SCHEDULER_ENV)
    if not given:
        return None
    try:
        scheme, location = parse_address(given.strip())
        host, port = parse_host_port(location) if scheme in SCHEMES else ("", 0)
    except ValueError:
        host, port = "", 0
    if not host or not 0 < int(port) < 65536:
        raise ScsimError(f"{source} {given}: not a scheduler address: expected "
                         "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786)")
    return given.strip()


def check_workers(workers: object) -> None:
    """A ScsimError unless ``workers`` (the local cluster's worker processes) is None (one
    per core) or a whole number of at least 1: 0 is refused, as ``--workers 0`` is, rather
    than read as "all cores". Called before anything starts or is recorded."""
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1:
        raise ScsimError(f"workers={workers!r}: a local cluster needs at least 1 worker "
                         "process (None: one per core)")


def cluster_address(scheduler: str | None, workers: int | None) -> str | None:
    """The scheduler's address (``scheduler_address``; None: a local cluster of
    ``workers``, ``check_workers``), checked before anything starts: ``workers`` sizes
    only a local cluster, so it is refused beside an address (it was ignored)."""
    check_workers(workers)
    address = scheduler_address(scheduler)
    if address and workers is not None:
        raise ScsimError(f"workers={workers}: it sizes the local cluster, and this uses the "
                         f"scheduler at {address}; give one of them")
    return address


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None,
                timeout: float = 15.0) -> Iterator[Client]:
    """A connected Dask client (``timeout``: seconds to reach a scheduler); the local
    cluster, if one was started, stops on exit (its workers ignore Ctrl-C: the command
    stops them, ``worker_setup``). The address is checked first
    (``scheduler_address``), and so is ``workers`` (``check_workers``)."""
    address = cluster_address(scheduler, workers)
    with dask_logs_to_file():
        if address:
            with connected(address, timeout) as client:
                yield client
            return
        n = workers if workers is not None else os.cpu_count() or 1
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=":0", silence_logs=logging.ERROR,
                          preload=["scsim.experiments.worker_setup"]) as cluster, \
                Client(cluster) as client:
            yield client


CONNECT_GRACE = 5.0
"""Seconds a connection may take beyond its ``timeout`` before scsim gives up on it."""


@contextmanager
def connected(address: str, timeout: float) -> Iterator[Client]:
    """A client of the scheduler at ``address``, or a ScsimError within ``timeout`` +
    ``CONNECT_GRACE`` seconds: Dask's own timeout covers the TCP connection, not the
    handshake after it, so an address where something else listens (a web server, the
    scheduler's dashboard port) hung for good, and one where something answered with
    other bytes was an internal error (a MemoryError reading them as a frame length)."""
    box: dict = {}

    def attempt() -> None:
        try:
            box["client"] = Client(address, timeout=f"{timeout}s")
        except BaseException as exc:  # told in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=attempt, name="scsim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + CONNECT_GRACE)
    if thread.is_alive():  # left behind: a daemon thread, it does not hold the exit
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: something answers "
                         f"there, but no Dask scheduler within {timeout + CONNECT_GRACE:.0f} "
                         "s (is it the scheduler's address? its dashboard's port is not)")
    error = box.get("error")
    if isinstance(error, OSError | TimeoutError):
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    if isinstance(error, Exception):
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: what answers there "
                         f"is not a Dask scheduler ({type(error).__name__})") from None
    if error is not None:
        raise error
    with box["client"] as client:
        yield client


def worker_slots(client: Client) -> int:
    """How many tasks the cluster runs at once (its total worker threads)."""
    return max(1, sum(client.nthreads().values()))
