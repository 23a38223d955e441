"""``python -m notion_mirror`` runs the CLI."""

from notion_mirror.cli import main

main()
