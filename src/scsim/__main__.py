"""``python -m scsim`` is the ``scsim`` command."""

from scsim.cli import main

main()
