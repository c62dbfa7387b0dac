"""`rectrack` commands: audit (filled in by its issue)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this group's sub-commands to the `rectrack` parser."""
