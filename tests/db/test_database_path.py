"""--db naming something that is not a storydesk database: a folder, or a file of another
kind. Whoever typed the URL must fix it, so it is configuration (78), one line naming the
path, never an "unexpected error" (1), and the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import invoke
from tests.sandboxed import SHIPPED

COMMANDS = [["queue"], ["status"], ["match"], ["init"], ["consent", "list"], ["gallery"]]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_folder_as_database_is_a_configuration_error(tmp_path: Path, args: list[str]) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    outcome = invoke("--config", str(SHIPPED), "--db", f"sqlite:///{folder}", *args)
    assert outcome.exit_code == 78, outcome.stderr
    assert f"{folder} is a folder, not a database file" in outcome.stderr
    assert "unexpected error" not in outcome.stderr
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_file_that_is_not_a_database_is_a_configuration_error(
    tmp_path: Path, args: list[str]
) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n")
    outcome = invoke("--config", str(SHIPPED), "--db", f"sqlite:///{path}", *args)
    assert outcome.exit_code == 78, outcome.stderr
    assert f"SQLite file {path} is not a storydesk database" in outcome.stderr
    assert "--db or STORYDESK_DB" in outcome.stderr
    assert path.read_text() == "shopping list\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]
