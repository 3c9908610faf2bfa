"""The README's command reference matches the ``thbkg`` command itself: every subcommand has a
row, and every option of it appears in that row."""

from __future__ import annotations

import pytest

from publish.cli import main
from publish.config import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
REFERENCE = README.split("## Command reference\n", 1)[1].split("\n## ", 1)[0]


def test_readme_opens_with_the_run_and_test_commands() -> None:
    opening = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert "pip install -e . && thbkg serve" in opening
    assert "bash .ci/run" in opening


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_is_in_the_reference_with_all_its_options(name: str) -> None:
    rows = [line for line in REFERENCE.splitlines() if line.startswith(f"| `thbkg {name}")]
    assert len(rows) == 1, f"the command reference needs one row for `thbkg {name}`"
    options = {
        opt
        for param in main.commands[name].params
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    }
    missing = sorted(o for o in options if o not in rows[0])
    assert missing == [], f"`thbkg {name}`: options missing from its README row: {missing}"


def test_reference_names_no_command_that_does_not_exist() -> None:
    documented = {
        line.split("`thbkg ", 1)[1].split()[0].rstrip("`")
        for line in REFERENCE.splitlines()
        if line.startswith("| `thbkg ")
    }
    assert documented == set(main.commands)
