"""``python -m assistant``: the same as the ``assistant`` command."""

from assistant.cli.app import main

main()
