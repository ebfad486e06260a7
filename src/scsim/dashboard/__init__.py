"""The browser dashboard (``scsim dashboard``): the simulator for people who do not write
YAML. A local web application (Starlette, served by uvicorn) with a hand-written page and
hand-drawn SVG charts, every file served from this package, so it works with no internet.

Modules: ``app`` (routes and the JSON API), ``jobs`` (the queue, in the server),
``worker`` (the child process that compiles the kernels and runs the jobs), ``settings``
(a question to a validated scenario; the "all settings" panel), ``levers`` (the main
sliders), ``views`` (what the page draws of a run or a comparison), ``static/`` (the page).
It needs ``scsim[dashboard]``.
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

from scsim.extras import require


def free_port(host: str) -> int:
    """A port that is free on ``host`` now."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def serve(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True,
          store: str | Path | None = None, max_agent_days: int = 20_000_000,
          announce: Callable[[str], None] = print) -> None:
    """Serve the dashboard until Ctrl-C; ``port`` 0 takes a free one. ``announce(url)``
    is called once the address is known."""
    require("dashboard", what="scsim dashboard")
    import uvicorn

    from scsim.dashboard.app import create_app
    from scsim.errors import ScsimError
    from scsim.store import default_store_path

    try:
        port = port or free_port(host)
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except socket.gaierror as exc:  # (an OSError too)
        raise ScsimError(f"cannot listen on {host} ({exc.strerror}): give --host an address "
                         "of this machine, e.g. 127.0.0.1") from None
    except OSError as exc:
        raise ScsimError(f"cannot listen on {host}:{port} ({exc.strerror}): choose another "
                         "--port (0: any free one)") from None
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    hosts = ("127.0.0.1", "localhost", "[::1]", "::1") if host in (
        "127.0.0.1", "localhost", "::1") else ("*",)
    app = create_app(Path(store) if store else default_store_path(),
                     max_agent_days=max_agent_days, hosts=hosts)
    announce(url)
    if open_browser:
        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(app, host=host, port=port, log_level="warning")
