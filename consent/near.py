"""Finding the values one typo away from a word without comparing it with every value.

A value of length L is cut in three parts (head, middle, tail) and filed under each pair
of them: head+middle, middle+tail, head+tail. One typo (a wrong, missing or extra
character, or two neighbours swapped) stays inside one part, so one pair is left intact:
the pair without it, read from the start (head+middle), the end (middle+tail) or both ends
(head+tail). A query looks up the pairs a value of length L-1, L or L+1 would have, plus
the query with a swap across a cut undone. Each key covers two thirds of the value, so a
block holds only values that are nearly the query; the caller scores them (rapidfuzz).
"""

from __future__ import annotations

from collections.abc import Iterable


class NearIndex:
    """Distinct values, findable by any value about one typo from them."""

    def __init__(self) -> None:
        # key -> the one value filed under it, or the list of them once there are more. A
        # key is the pair it reads, then one character telling its value's length and
        # which pair it is (_tag): one string where a tuple would be three objects, and
        # most keys file a single value. 100k names and handles make 300k keys: as tuples
        # and lists they were half the time of building the consent matcher's index.
        self._blocks: dict[str, str | list[str]] = {}
        self._values: set[str] = set()

    def __len__(self) -> int:
        return len(self._values)

    def add(self, value: str) -> None:
        self.update((value,))

    def update(self, values: Iterable[str]) -> None:
        """File each of `values`, in their order (a block lists its values as filed)."""
        blocks, filed = self._blocks, self._values
        get = blocks.get
        # the keys of a value of `length` characters, as near() reads them: 100k names and
        # handles a match, one loop here rather than a call each
        for value in values:
            if value in filed:
                continue
            filed.add(value)
            length = len(value)
            third = length // 3
            tag = 3 * length
            for key in (
                value[: length - third] + chr(tag),  # head + middle
                value[third:] + chr(tag + 1),  # middle + tail
                value[:third] + value[length - third :] + chr(tag + 2),  # head + tail
            ):
                if (block := get(key)) is None:
                    blocks[key] = value
                elif isinstance(block, str):
                    blocks[key] = [block, value]
                else:
                    block.append(value)

    def near(self, query: str) -> set[str]:
        """Every value filed that is at most one typo from `query`, and possibly a few more."""
        # called once or more per post (100k per match), hence the keys inline as in add()
        size = len(query)
        get = self._blocks.get
        found: set[str] = set()
        keys: list[str] = []
        for length in (size - 1, size, size + 1):
            if length > 0:
                third = length // 3
                keep = length - third
                tag = 3 * length
                keys += (
                    query[:keep] + chr(tag),
                    query[size - keep :] + chr(tag + 1),
                    query[:third] + query[size - third :] + chr(tag + 2),
                )
        third = size // 3
        keep = size - third
        for at in (third, keep):  # the cuts
            # A swap across a cut breaks two parts: undone, the query is the value itself,
            # which any one of its keys finds (head + middle, as looked up here)
            if 0 < at < size:
                swapped = query[: at - 1] + query[at] + query[at - 1] + query[at + 1 :]
                keys.append(swapped[:keep] + chr(3 * size))
        for key in keys:
            if (block := get(key)) is not None:
                if isinstance(block, str):
                    found.add(block)
                else:
                    found.update(block)
        return found
