"""The hashtag and mention patterns (harvester/common.py) find and remove exactly what the
look-behind-first patterns they replaced did: they sit in every post's fingerprint."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from harvester.common import HASHTAG, MENTION, fingerprint, hashtags_in, mentions_in

# as they were written before the sign came first
WAS_HASHTAG = re.compile(r"(?<![\w&])#(\w+)", re.UNICODE)
WAS_MENTION = re.compile(r"(?<![\w.])@(\w+)", re.UNICODE)

texts = st.text(alphabet="#@&._ -aZé9٣\n\t/:#@", max_size=40) | st.text(max_size=40)


@given(texts)
def test_the_same_tags_and_mentions_as_before(text: str) -> None:
    assert HASHTAG.findall(text) == WAS_HASHTAG.findall(text)
    assert MENTION.findall(text) == WAS_MENTION.findall(text)
    assert HASHTAG.sub(" ", text) == WAS_HASHTAG.sub(" ", text)
    assert MENTION.sub(" ", text) == WAS_MENTION.sub(" ", text)


def test_tags_at_the_start_after_signs_and_inside_words() -> None:
    text = "#first a#not &#not .@not @me x@not ##two @@three #é_1 @ #"
    assert hashtags_in(text) == ["first", "two", "é_1"]
    assert mentions_in(text) == ["me", "three"]
    assert fingerprint("#tag @who Hello there, this is my testimony https://x.y/z") == (
        fingerprint("hello THERE this is my testimony")
    )
