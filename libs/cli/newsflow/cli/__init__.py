"""The `newsflow` command: every command is in `app`; `newsflow up` supervises the stack (`stack`)."""

from __future__ import annotations


def main() -> None:
    from newsflow.cli.app import app

    app()
