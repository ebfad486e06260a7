"""Where experiments run: a Dask LocalCluster on this machine (one single-threaded worker
process per core) by default, or a running Dask scheduler named by ``--scheduler`` or
``SCSIM_SCHEDULER`` (``workers=0``, ``--workers 0``: no cluster, ``runner.Sequential``)."""

from __future__ import annotations

import logging
import numbers
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from distributed import Client, LocalCluster
from distributed.deploy.spec import SpecCluster

from scsim.errors import ScsimError

SCHEDULER_ENV = "SCSIM_SCHEDULER"
LOCAL = "local"  # the scheduler "address" of a local cluster (--scheduler local)
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


DASK_LOGGERS = ("distributed", "tornado")  # with their children: Dask's messages


@contextmanager
def dask_logs_to_file() -> Iterator[Path]:
    """Send the records of Dask's loggers (such as "Couldn't gather keys" after a lost
    worker, which the sweep recovers from) to a log file instead of the terminal while the
    block runs: ``distributed`` and ``tornado`` (the event loop Dask runs on), and each of
    their loggers that Dask gave a terminal handler of its own (``distributed.client``,
    whose messages leaked past the first; ``tornado.application``, whose traceback of a
    callback Dask left failing as a Ctrl-C stopped a local cluster followed "interrupted").
    Returns the file's path."""
    loggers = [logging.getLogger(name) for name in DASK_LOGGERS] + [
        logger for name, logger in sorted(logging.root.manager.loggerDict.items())
        if name.startswith(tuple(f"{top}." for top in DASK_LOGGERS))
        and isinstance(logger, logging.Logger) and logger.handlers]
    routed = [(logger, *route_to_file(logger)) for logger in loggers]
    try:
        yield dask_log_path()
    finally:
        for logger, handler, (handlers, propagate) in routed:
            logger.removeHandler(handler)
            handler.close()
            for old in handlers:
                if old not in logger.handlers:
                    logger.addHandler(old)
            logger.propagate = propagate


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler address to use: ``scheduler`` (``--scheduler``), else
    ``SCSIM_SCHEDULER``, else None (a local cluster); ``LOCAL`` (``--scheduler local``) is
    None too, whatever SCSIM_SCHEDULER says (it could not be overridden from the command
    line). A ScsimError naming where the address came from if it is not
    ``[SCHEME://]HOST:PORT`` (tcp, tls, ws, wss or ucx; a port from 1 to 65535): commands
    call this before they record or run anything."""
    from distributed.comm.addressing import parse_address, parse_host_port

    given, source = (scheduler, "--scheduler") if scheduler else (
        os.environ.get(SCHEDULER_ENV), SCHEDULER_ENV)
    if not given or given.strip().lower() == LOCAL:
        return None
    try:
        scheme, location = parse_address(given.strip())
        host, port = parse_host_port(location) if scheme in SCHEMES else ("", 0)
    except ValueError:
        host, port = "", 0
    if not host or not 0 < int(port) < 65536:
        raise ScsimError(f"{source} {given}: not a scheduler address: expected "
                         "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786), or local")
    return given.strip()


def check_workers(workers: object) -> None:
    """A ScsimError unless ``workers`` (the local cluster's worker processes) is None (one
    per core), 0 (no cluster: the runs go here, in this process, one after another,
    ``runner.Sequential``) or a whole number of at least 1. Called before anything starts
    or is recorded."""
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 0:
        raise ScsimError(f"workers={workers!r}: a local cluster needs at least 1 worker "
                         "process (0: no cluster, the runs go here, in this process, one "
                         "after another; None: one per core)")


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
        with local_cluster(n) as cluster, Client(cluster) as client:
            yield client


TRACKER_QUIET = "ignore::UserWarning:multiprocessing.resource_tracker"
"""A warning filter for the processes Python starts beside this one: the resource tracker
that outlives a command killed with SIGKILL (the out-of-memory killer, a batch system)
warned of "leaked semaphore objects" on the terminal, Python's words and file path after
"Killed", while it cleaned them up as it should."""


def local_cluster(workers: int) -> LocalCluster:
    """A LocalCluster of ``workers`` single-threaded worker processes. Interrupted while
    it starts (a Ctrl-C in its first seconds), the cluster half started is closed here
    and forgotten: Dask's exit hook closed it again, and a worker still starting made
    that an AssertionError's traceback after the "interrupted" line. Clusters that were
    there before (a notebook's own) are left alone. The processes it starts get
    ``TRACKER_QUIET`` (as ``-W``: Python passes ``sys.warnoptions`` on to them)."""
    if TRACKER_QUIET not in sys.warnoptions:
        sys.warnoptions.append(TRACKER_QUIET)
    before = set(SpecCluster._instances)
    try:
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=":0", silence_logs=logging.ERROR,
                            preload=["scsim.experiments.worker_setup"])
    except BaseException:
        for half in set(SpecCluster._instances) - before:
            with suppress(Exception):  # (the AssertionError of a worker still starting)
                half.close(timeout=5)
            SpecCluster._instances.discard(half)
        raise


CONNECT_GRACE = 5.0
"""Seconds a connection may take beyond its ``timeout`` before scsim gives up on it."""


@contextmanager
def connected(address: str, timeout: float) -> Iterator[Client]:
    """A client of the scheduler at ``address``, or a ScsimError within ``timeout`` +
    ``CONNECT_GRACE`` seconds: Dask's own timeout covers the TCP connection, not the
    handshake after it, so an address where something else listens (a web server, the
    scheduler's dashboard port) hung for good, and one where something answered with
    other bytes was an internal error (a MemoryError reading them as a frame length)."""
    unreachable = _unreachable(address)
    if unreachable:
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: {unreachable}")
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
    if isinstance(error, TypeError) and "ssl_context" in str(error):
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: a tls:// address "
                         "needs Dask's TLS settings (distributed.comm.tls: ca-file, and the "
                         "client's cert and key, in Dask's configuration or DASK_* "
                         "variables); none are set") from None
    if isinstance(error, Exception):  # (a MemoryError, reading a web page as a frame)
        raise ScsimError(f"cannot reach the Dask scheduler at {address}: what answers there "
                         "is not a Dask scheduler (it speaks another protocol: is it the "
                         "scheduler's address? its dashboard's port is not)") from None
    if error is not None:
        raise error
    with box["client"] as client:
        check_workers_run_scsim(client, address)
        yield client


def _unreachable(address: str) -> str | None:
    """Why a TCP connection to ``address`` (``tcp://HOST:PORT``) fails at once, when it
    does: nothing listens on that port, or no computer has that name (Dask retried both
    until its timeout, 15 s, and then said "timed out"); None when it connects, or is not
    refused within a second, or is not plain TCP (Dask tells those)."""
    import socket

    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address)
    if scheme != "tcp":
        return None
    host, port = parse_host_port(location)
    try:
        socket.create_connection((host, int(port)), timeout=1.0).close()
    except ConnectionRefusedError as exc:
        return (f"nothing listens there ({exc.strerror or 'connection refused'}); is the "
                "scheduler started, on that port?")
    except socket.gaierror as exc:
        return f"no computer is known by the name {host} ({exc.strerror}); is it spelt right?"
    except OSError:
        return None
    return None


WORKERS_SCSIM = "__import__('scsim').__version__"
"""What each worker is asked (``eval``, by reference: no function of scsim's is sent, as a
worker without scsim could not read one): the version of the scsim it imports."""


def check_workers_run_scsim(client: Client, address: str) -> None:
    """A ScsimError when the scheduler's workers cannot import scsim, or import another
    version than this machine's (same seed, same bits holds for one version): a sweep on
    workers without scsim waited for good, each worker dying on its first task and the
    reason only in its own log. Workers that join later are not asked; with none yet, the
    experiment waits for them as before."""
    from scsim import __version__

    answers = client.run(eval, WORKERS_SCSIM, on_error="return")
    broken = {worker: answer for worker, answer in answers.items()
              if isinstance(answer, BaseException)}
    if broken:
        worker, error = sorted(broken.items())[0]
        raise ScsimError(
            f"{len(broken)} of the {len(answers)} workers of the Dask scheduler at {address} "
            f"cannot import scsim (worker {worker}: {type(error).__name__}: {error}); "
            f"install scsim {__version__} with its experiments extra in the Python that "
            "runs them")
    versions = sorted({str(answer) for answer in answers.values()} - {__version__})
    if versions:
        raise ScsimError(f"workers of the Dask scheduler at {address} run scsim "
                         f"{', '.join(versions)}, this machine {__version__}: install one "
                         "version everywhere (the same seed gives the same bits only so)")


def result_of(future, client: Client, then: str):
    """``future.result()``, or a ScsimError when the client lost its scheduler (it stopped,
    or the network failed), saying what to do ``then``: Dask cancels every task then, and
    a finished one's result cannot be fetched; either was an internal error with Dask's
    paragraph ("Please check your connection and re-run your work") or its traceback."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError

    try:
        if future.status == "cancelled":  # by Dask, not by us: the scheduler is gone
            raise CancelledError
        return future.result()
    except (CancelledError, CommClosedError):
        address = getattr(client.scheduler, "address", None) or "its address"
        raise ScsimError(f"lost the connection to the Dask scheduler at {address} (it "
                         f"stopped, or the network failed); {then}") from None

