"""``scsim dashboard``: the browser dashboard (``scsim.dashboard``) on a local port."""

from __future__ import annotations

from typing import Annotated

import typer

from scsim.cli.app import StoreOption, app, err

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@app.command()
def dashboard(
    host: Annotated[str, typer.Option(
        help="Address to listen on. The default answers this machine only; any other "
             "exposes the dashboard (which has no login) to whoever can reach it.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).")] = 8765,
    browser: Annotated[bool, typer.Option(
        "--browser/--no-browser", help="Open the dashboard in the web browser.")] = True,
    store: StoreOption = None,
    max_agent_days: Annotated[int, typer.Option(
        help="Largest question the page may ask: agents × days × runs.")] = 20_000_000,
) -> None:
    """Start the dashboard in the web browser: ask a question with sliders, watch it run,
    compare A with B, look at the charts and keep the runs (in the run store). Works with
    no internet: every file of the page is served from this machine."""
    from scsim.dashboard import serve
    from scsim.errors import ScsimError

    if not 0 <= port <= 65535:
        raise ScsimError(f"--port must be from 0 to 65535 (0: any free one), got {port}")
    if max_agent_days < 1:
        raise ScsimError(f"--max-agent-days must be at least 1, got {max_agent_days}")
    if host not in LOCAL_HOSTS:
        err.print(f"[bold yellow]warning:[/bold yellow] --host {host} makes the dashboard "
                  "reachable by anyone who can reach this machine on that address; it has "
                  "no login.", highlight=False)
    serve(host=host, port=port, open_browser=browser, store=store,
          max_agent_days=max_agent_days,
          announce=lambda url: err.print(f"scsim dashboard: {url} (Ctrl-C to stop)",
                                         highlight=False))
