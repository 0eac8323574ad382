"""One way to name a form on the command line: the response id the form tool shows. The
internal id is accepted only where no form has it as response id, and `consent show` and
`consent revoke` always act on the same person for the same name."""

from __future__ import annotations

import json

from tests.consent.conftest import form, write_export
from tests.consent.test_import import records, show
from tests.sandboxed import Setup


def test_show_and_revoke_name_the_same_person(desk: Setup) -> None:
    # Numeric response ids, as some form tools give them, that collide with internal ids.
    rows = [form("2", "Amina Kamau"), form("1", "Léa Dubois"), form("R3", "Juma Diop")]
    export = write_export(desk.path / "f.csv", rows)
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    internal = {r["response_id"]: r["id"] for r in records(desk)}
    assert internal["2"] != 2 or internal["1"] != 1  # the names collide: the test means it

    for name in ("1", "2"):  # a response id wins over an internal id
        assert show(desk, name)["response_id"] == name
    # the internal id works where no form has it as response id
    free = next(rid for rid, i in internal.items() if str(i) not in internal)
    assert show(desk, str(internal[free]))["response_id"] == free

    outcome = desk.cli("consent", "revoke", "1", "--reason", "asked by phone")
    assert outcome.exit_code == 0, outcome.stderr
    assert "consent 1 revoked" in outcome.stdout
    states = {r["response_id"]: r["state"] for r in records(desk)}
    assert states == {"1": "revoked", "2": "active", "R3": "active"}
    assert show(desk, "1")["full_name"] == "Léa Dubois"


def test_an_unknown_name_says_how_forms_are_named(desk: Setup) -> None:
    export = write_export(desk.path / "f.csv", [form("R1", "Amina Kamau")])
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    for args in (("show", "R9"), ("revoke", "R9", "--reason", "x"), ("show", "99")):
        outcome = desk.cli("consent", *args)
        assert outcome.exit_code == 1
        [line] = outcome.stderr.strip().splitlines()
        assert args[1] in line and "response id" in line


def test_the_list_shows_the_name_every_command_takes(desk: Setup) -> None:
    export = write_export(desk.path / "f.csv", [form("R1", "Amina Kamau")])
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    outcome = desk.cli("consent", "list")
    header, row = outcome.stdout.strip().splitlines()
    assert header.split("\t")[0] == "response_id" and row.startswith("R1\t")
    listed = json.loads(desk.cli("consent", "list", "--json").stdout)
    assert {"id", "response_id"} <= set(listed[0])  # the JSON keeps both
