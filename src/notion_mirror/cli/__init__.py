"""The command line: thin commands over the library (parse, call, render, exit)."""

from notion_mirror.cli.app import app, main

__all__ = ["app", "main"]
