"""The ``scsim`` command (Typer + Rich)."""

from scsim.cli.app import main

__all__ = ["main"]
