"""``python -m fluke``: the ``fluke`` command."""

from fluke.cli import main

main()
