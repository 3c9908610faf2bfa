"""``python -m publish`` is the ``thbkg`` command."""

from .cli import main

main(prog_name="thbkg")
