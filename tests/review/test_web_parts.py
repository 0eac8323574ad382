"""The review page's pure parts: which player each platform gets, which links are shown, and
what differs between a post and its form."""

from __future__ import annotations

from typing import Any

import pytest

from review.differences import ages_said, differences
from storydesk.web.embeds import embed, web_url


def post(platform: str, **extra: Any) -> dict[str, Any]:
    return {"platform": platform, "native_id": "", "url": "", "media_type": "video", **extra}


def test_each_platform_gets_its_own_player_or_a_link() -> None:
    youtube = embed(
        post("youtube", native_id="3ZW1GJsrm_9", url="https://www.youtube.com/watch?v=3ZW1GJsrm_9")
    )
    assert youtube.player == "https://www.youtube-nocookie.com/embed/3ZW1GJsrm_9"
    assert youtube.thumbnail == "https://i.ytimg.com/vi/3ZW1GJsrm_9/hqdefault.jpg"
    tiktok = embed(post("tiktok", native_id="6718335390845095173"))
    assert tiktok.player == "https://www.tiktok.com/player/v1/6718335390845095173"
    facebook = embed(
        post(
            "facebook",
            url="https://www.facebook.com/100000000000001/posts/2000000000072",
            media_url="https://www.facebook.com/watch/?v=2000000000072",
        )
    )
    assert facebook.player == (
        "https://www.facebook.com/plugins/video.php?href="
        "https%3A%2F%2Fwww.facebook.com%2Fwatch%2F%3Fv%3D2000000000072"
    )
    assert facebook.thumbnail is None
    for platform, url, thumb in (
        ("x", "https://x.com/a/status/1", "https://pbs.twimg.com/x.jpg"),
        ("instagram", "https://www.instagram.com/p/CsFaZNTtgAb/", "https://scontent.x/1.jpg"),
    ):
        shown = embed(post(platform, url=url, media_url=thumb))
        # their embeds run a script of theirs in our page: thumbnail and link instead
        assert (shown.player, shown.link, shown.thumbnail) == (None, url, thumb)
    not_a_video = embed(post("facebook", url="https://www.facebook.com/1/posts/2", media_type=None))
    assert not_a_video.player is None


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/x",
        "https://",
        "ftp://example.org/x",
        None,
        42,
    ],
)
def test_only_http_urls_are_shown(value: Any) -> None:
    assert web_url(value) is None
    assert embed(post("x", url=value, media_url=value)).link is None


def test_youtube_ids_that_are_not_ids_get_no_player() -> None:
    shown = embed(post("youtube", native_id='x"><script>', url="javascript:1"))
    assert shown.player is None and shown.link is None


def card(**form: Any) -> dict[str, Any]:
    base = {
        "full_name": "Wei Sharma",
        "age": 14,
        "city": "Beijing",
        "country": "China",
        "role": "learner",
        "guardian_name": "Amina Sharma",
        "guardian_signed": True,
    }
    return {
        "role": "learner",
        "consent_evidence": {
            "by": "handle_similar",
            "value": "weisharma.42",
            "form_value": "weisharma.74",
        },
        "form": {**base, **form},
        "posts": [
            {
                "text": "大家好，我是Wei，11岁，来自Shanghai。I am a student",
                "author": "weisharma.42",
            }
        ],
    }


def test_what_the_post_says_otherwise_is_flagged() -> None:
    found = {d.field: d for d in differences(card())}
    assert set(found) == {"age", "city", "country", "handle"}
    assert found["age"].note == "the form says 14, the post says 11"
    assert found["city"].note == "the posts do not name Beijing"
    assert found["handle"].post == "weisharma.42" and found["handle"].form == "weisharma.74"


def test_a_minor_without_a_guardians_signature_and_another_name_are_flagged() -> None:
    found = {d.field for d in differences(card(guardian_signed=False, full_name="Lucía Ruiz"))}
    assert {"guardian", "name"} <= found
    assert "guardian" not in {d.field for d in differences(card(age=18, guardian_signed=False))}


def test_names_and_places_compare_without_case_or_accents() -> None:
    matching = card(full_name="LUCIA Ruiz", city="Bogotá", country="Colombia", age=12)
    matching["posts"] = [
        {"text": "Hola, soy Lucía, tengo 12 años, de Bogota, colombia", "author": "x"}
    ]
    assert differences(matching) == [d for d in differences(matching) if d.field == "handle"]


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("I'm 39 years old from Cork", [39]),
        ("j'ai 12 ans", [12]),
        ("tengo 15 años", [15]),
        ("我是Wei，11岁", [11]),
        ("ich bin 16 Jahre alt", [16]),
        ("I teach 30 students in 2026", []),
    ],
)
def test_ages_said_in_several_languages(text: str, ages: list[int]) -> None:
    assert ages_said(text) == ages
