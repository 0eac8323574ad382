"""approve of over-long, non-video, guardian-required and revoked testimonies: refused or
approved in part, with the same words in the CLI, its --json and the domain function the
terminal and web review call (review.actions.approve)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from review.actions import approve
from tests.consent.conftest import NOW, add_post, desk, form, sessions_of, write_export
from tests.sandboxed import Setup, load

__all__ = ["desk"]


@dataclass
class Desk:
    setup: Setup
    ids: dict[str, int]


@pytest.fixture
def cases(desk: Setup) -> Desk:
    export = write_export(
        desk.path / "forms.csv",
        [
            form(
                "R1",
                "Amina Kamau",
                x_handle="amina_k",
                age="30",
                youtube_channel="UC0000000000000000000001",
            ),  # fmt: skip
            form("R2", "Juma Baraka", x_handle="juma_b", age="12"),  # no guardian signed
            form("R3", "Grace Otieno", x_handle="grace_o", age="30"),
            form("R4", "Omar Haddad", x_handle="omar_h", age="40"),
            form("R5", "Lea Dubois", x_handle="lea_d", age="22"),
        ],
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    assert desk.cli("consent", "revoke", "R3", "--reason", "asked by email").exit_code == 0
    sessions = sessions_of(desk)
    ids = {
        "over-long": add_post(sessions, "x", "1", handle="omar_h", duration=106.0)[1],
        "not-a-video": add_post(sessions, "x", "2", handle="lea_d", media_type=None)[1],
        "guardian-required": add_post(sessions, "x", "3", handle="juma_b")[1],
        "revoked": add_post(sessions, "x", "4", handle="grace_o")[1],
    }
    _, partial = add_post(sessions, "x", "5", handle="amina_k")
    add_post(sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000001",
             duration=106.0, testimony=partial)  # fmt: skip
    ids["partial"] = partial
    assert desk.cli("match").exit_code == 0
    return Desk(desk, ids)


HARD = {
    "guardian-required": "refused: consent is guardian-required: the participant is under the "
    "age of consent and no guardian has signed the form; only a guardian's signature on the "
    "form can change this",
    "revoked": "refused: consent is revoked: the participant withdrew consent",
}
RULES = {
    "over-long": "refused: no copy can go out: [x] 106 s, over the 60 s limit; approve only "
    "with --override --reason to reshare it anyway (kept in the audit trail)",
    "not-a-video": "refused: no copy can go out: [x] not a video; approve only with "
    "--override --reason to reshare it anyway (kept in the audit trail)",
}


def _three_ways(desk: Desk, case: str, *extra: str) -> tuple[Any, Any, Any]:
    tid = desk.ids[case]
    text = desk.setup.cli("approve", str(tid), "--as", "kim", *extra)
    as_json = desk.setup.cli("approve", str(tid), "--as", "kim", "--json", *extra)
    reason = extra[extra.index("--reason") + 1] if "--reason" in extra else None
    with sessions_of(desk.setup).begin() as session:
        (domain,) = approve(session, load(desk.setup), [tid], "kim", NOW, override_reason=reason)
        session.rollback()  # only the answer is wanted here
    return text, as_json, domain


@pytest.mark.parametrize("case", ["guardian-required", "revoked"])
def test_guardian_required_and_revoked_are_refused_with_or_without_override(
    cases: Desk, case: str
) -> None:
    tid = cases.ids[case]
    for extra in ((), ("--override", "--reason", "the school said it is fine")):
        text, as_json, domain = _three_ways(cases, case, *extra)
        said = f"testimony {tid}: {HARD[case]}"
        assert (text.exit_code, text.stdout, text.stderr) == (1, "", f"storydesk: {said}\n")
        assert "override" not in text.stderr  # no override exists: none is suggested
        (answer,) = json.loads(as_json.stdout)
        assert as_json.exit_code == 1
        assert (answer["ok"], answer["result"], answer["message"]) == (False, "refused", said)
        assert answer["overridable"] is False and answer["queued"] == []
        assert (domain.ok, domain.message, domain.overridable) == (False, said, False)


@pytest.mark.parametrize("case", ["over-long", "not-a-video"])
def test_a_rule_broken_by_every_copy_is_refused_and_may_be_overridden(
    cases: Desk, case: str
) -> None:
    tid = cases.ids[case]
    text, as_json, domain = _three_ways(cases, case)
    said = f"testimony {tid}: {RULES[case]}"
    assert (text.exit_code, text.stderr) == (1, f"storydesk: {said}\n")
    (answer,) = json.loads(as_json.stdout)
    assert (answer["result"], answer["overridable"], answer["message"]) == ("refused", True, said)
    assert answer["copies"][0]["goes_out"] is False
    assert (domain.ok, domain.overridable, domain.message) == (False, True, said)

    forced = cases.setup.cli(
        "approve", str(tid), "--as", "kim", "--json", "--override", "--reason", "cut by hand"
    )
    (answer,) = json.loads(forced.stdout)
    assert forced.exit_code == 0 and answer["result"] == "approved" and answer["override"]
    assert answer["copies"][0]["goes_out"] and answer["copies"][0]["overridden"]


def test_one_copy_over_the_limit_is_approved_in_part(cases: Desk) -> None:
    tid = cases.ids["partial"]
    text, as_json, domain = _three_ways(cases, "partial")
    assert text.exit_code == 0, text.stderr
    first, *copies = text.stdout.splitlines()
    assert first.startswith(f"testimony {tid}: approved in part; queued for x, ")
    assert "not for youtube (the YouTube copy does not go out: 106 s, over the 60 s limit)" in first
    assert copies == [
        "  goes out: [x] https://example.org/x/5, form R1",
        "  stays:    [youtube] https://example.org/youtube/abcdefghijk: 106 s, over the 60 s limit",
    ]
    (answer,) = json.loads(as_json.stdout)
    assert answer["result"] == "already-approved"  # the text run approved it already
    assert domain.result == "already-approved"
