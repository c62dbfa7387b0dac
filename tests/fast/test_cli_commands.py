"""`rectrack COMMAND` imports only the module that registers COMMAND (services/cli): the
table must name the right module for every command (tests/unit/test_cli_imports.py checks
what each process then loads)."""

from __future__ import annotations

import argparse

import pytest

from services.cli import COMMANDS, build_parser


def commands_of(parser: argparse.ArgumentParser) -> list[str]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_the_table_lists_every_command_in_help_order() -> None:
    assert commands_of(build_parser()) == list(COMMANDS)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_command_alone_is_registered_by_the_module_the_table_names(command: str) -> None:
    assert command in commands_of(build_parser(command))


def test_an_unknown_command_gets_the_whole_parser_and_its_error() -> None:
    assert commands_of(build_parser("nonsense")) == list(COMMANDS)
