"""Optional parts of scsim and the packages they need (pyproject.toml's extras).

The engine, the run store and the CLI need only the core dependencies. Experiments on Dask
(sweep, calibrate, sensitivity) need ``scsim[experiments]``; charts and HTML reports need
``scsim[report]``; the browser dashboard needs ``scsim[dashboard]``. ``require`` says which
to install, in one line, before any work starts.
"""

from __future__ import annotations

from importlib import import_module

from scsim.errors import ScsimError

EXTRAS: dict[str, tuple[str, ...]] = {
    "experiments": ("distributed", "optuna", "SALib"),
    "report": ("matplotlib", "networkx"),
    "dashboard": ("starlette", "uvicorn"),
}


class MissingExtra(ScsimError):
    """An optional dependency is not installed; the message says what to install."""


def missing(*extras: str) -> list[str]:
    """The ``extras`` whose packages cannot be imported (each is imported to find out)."""
    absent = []
    for extra in extras:
        for module in EXTRAS[extra]:
            try:
                import_module(module)
            except ImportError:
                absent.append(extra)
                break
    return absent


def require(*extras: str, what: str) -> None:
    """Raise MissingExtra unless every package of ``extras`` imports; ``what`` names what
    needs them (e.g. "scsim calibrate")."""
    absent = missing(*extras)
    if absent:
        raise MissingExtra(f"{what} needs the optional packages of scsim[{','.join(absent)}]: "
                           f"pip install 'scsim[{','.join(absent)}]'")
