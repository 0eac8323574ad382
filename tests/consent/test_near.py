"""The typo index finds every value one typo away (wrong, missing, extra or swapped
character), as a comparison with every value would: checked against brute force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from consent.near import NearIndex

words = st.text(alphabet="ab_1é", min_size=1, max_size=12)


@st.composite
def typo(draw: st.DrawFn, word: str) -> str:
    at = draw(st.integers(0, len(word)))
    letter = draw(st.sampled_from("ab_1éz"))
    kind = draw(st.sampled_from(["wrong", "missing", "extra", "swap", "none"]))
    if kind == "wrong":
        return word[:at] + letter + word[at + 1 :]
    if kind == "missing" and len(word) > 1:
        return word[:at] + word[at + 1 :]
    if kind == "extra":
        return word[:at] + letter + word[at:]
    if kind == "swap" and at + 1 < len(word):
        return word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return word


@settings(max_examples=300, deadline=None)
@given(st.lists(words, min_size=1, max_size=60), st.data())
def test_near_finds_every_value_one_typo_away(values: list[str], data: st.DataObject) -> None:
    index = NearIndex()
    for value in values:
        index.add(value)
    query = data.draw(st.sampled_from(values).flatmap(typo))
    expected = {v for v in values if OSA.distance(query, v) <= 1}
    assert expected <= index.near(query)


def test_near_does_not_return_everything() -> None:
    index = NearIndex()
    for n in range(5000):
        index.add(f"learner{n:05d}_{n * 7919 % 10007:05d}")
    found = index.near("learner00042_02368")  # the last digit wrong
    assert "learner00042_02367" in found
    assert len(found) < 100  # a few blocks, not the 5000 values
