"""``python -m scsim`` is the ``scsim`` command."""

from scsim.cli.app import main

main()
