"""`show`: the post beside the form (handles, spoken age/city/country), the scope with the
targets it allows, each copy's verdict, and what staff can do next."""

from __future__ import annotations

import json
from typing import Any

from review.card import NO_SCOPE
from review.side_by_side import spoken_age, spoken_place
from tests.consent.conftest import add_post, desk, form, sessions_of, write_export
from tests.sandboxed import Setup

__all__ = ["desk"]


def _card(setup: Setup, tid: int) -> tuple[str, dict[str, Any]]:
    text = setup.cli("show", str(tid))
    assert text.exit_code == 0, text.stderr
    as_json = setup.cli("show", str(tid), "--json")
    return text.stdout, json.loads(as_json.stdout)


def test_the_post_and_the_form_side_by_side_with_differences_flagged(desk: Setup) -> None:
    export = write_export(
        desk.path / "forms.csv",
        [
            form(
                "R1",
                "Amina Kamau",
                x_handle="amina_k",
                age="19",
                city="Nairobi",
                country="Kenya",
                consent_scope="website;x",
            )  # fmt: skip
        ],
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    sessions = sessions_of(desk)
    _, tid = add_post(
        sessions,
        "x",
        "1",
        handle="Amina_K",
        text="Hi, I'm Amina, I'm 21 years old from Mombasa, Kenya. #LearningNeverStops @UNESCO",
    )
    assert desk.cli("match").exit_code == 0
    text, card = _card(desk, tid)
    rows = {r["field"]: r for r in card["side_by_side"]}
    assert rows["x account"] == {
        "field": "x account",
        "post": "Amina_K",
        "form": "amina_k",
        "differs": False,
    }
    assert rows["age"] == {"field": "age", "post": 21, "form": 19, "differs": True}
    assert rows["city"] == {"field": "city", "post": "Mombasa", "form": "Nairobi", "differs": True}
    assert rows["country"]["post"] == "Kenya" and not rows["country"]["differs"]
    assert "  age               21                              19  ≠ differs\n" in text
    assert "  city              Mombasa                         Nairobi  ≠ differs\n" in text
    # the scope with the targets it allows among those the campaign enables
    assert card["scope"]["targets"] == ["x", "gallery"]
    assert "  scope: website, x → x, gallery\n" in text
    post_id = card["copies"][0]["post_id"]
    assert f"  copy 1 [x] post {post_id} goes out: the form names this handle, form R1\n" in text


def test_a_form_without_scope_is_a_problem_on_the_card(desk: Setup) -> None:
    export = write_export(
        desk.path / "forms.csv", [form("R1", "Amina Kamau", x_handle="amina_k", consent_scope="")]
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    _, tid = add_post(sessions_of(desk), "x", "1", handle="amina_k")
    assert desk.cli("match").exit_code == 0
    text, card = _card(desk, tid)
    assert NO_SCOPE in card["problems"]
    assert "problems: none" not in text
    assert f"  problems: {NO_SCOPE}\n" in text
    assert "  scope: none → no target (a problem: the form covers nothing)\n" in text


def test_consent_none_says_what_staff_can_do_next(desk: Setup) -> None:
    export = write_export(desk.path / "forms.csv", [form("R1", "Amina Kamau", x_handle="amina")])
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    _, tid = add_post(sessions_of(desk), "x", "1", handle="nobody_here")
    assert desk.cli("match").exit_code == 0
    text, card = _card(desk, tid)
    assert card["consent"] == "none" and card["form"] is None
    assert card["next"][0].startswith("no form names this account")
    assert "  next: import the latest form export (storydesk consent import FILE)" in text
    assert f"  next: or reject it: storydesk reject {tid} --reason TEXT\n" in text


def test_spoken_facts_in_the_campaign_languages() -> None:
    assert spoken_age("Bonjour, je m'appelle Léa, j'ai 15 ans, j'habite à Lyon.") == 15
    assert spoken_age("Hola, soy Lucía, tengo 12 años y vivo en Lima, Peru.") == 12
    assert spoken_age("大家好，我是李娜，9岁，来自Beijing。") == 9
    assert spoken_age("I teach music in Seoul.") is None
    assert spoken_place("j'habite à Lyon.", "Paris") == "Lyon"
    assert spoken_place("Hola, vivo en Bogota, Colombia", "Bogotá") == "Bogotá"
    assert spoken_place("no place said here", "Lima") is None
