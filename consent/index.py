"""What the matcher reads (forms and posts as plain values) and the indexes it looks in.

Dictionaries from each kind of identifier to the form that names it, and typo indexes over
handles and names (consent/near.py): finding a form costs a few lookups, whatever the
number of forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from rapidfuzz import fuzz, process

from consent import normalise
from consent.near import NearIndex
from db.models import ConsentRecord
from db.states import FormState
from platforms import registry

HANDLE_FIELDS = registry.consent_fields()  # platform -> the form column naming the account
MIN_HANDLE_LETTERS = 6  # fewer letters in a handle say little about a name


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made
# building 50k forms cost more than reading them. Nothing assigns to a Form.
@dataclass(slots=True)
class Form:
    """A form as the matcher reads it: only these columns, no ORM objects (50k load fast)."""

    id: int
    response_id: str
    version: int
    state: FormState
    full_name: str | None
    city: str | None
    age: int | None
    date_of_birth: date | None
    guardian_signed: bool
    guardian_name: str | None
    video_urls: list[str]
    # platform -> what the form says of the person's account there (registry.consent_fields),
    # only the platforms it names
    accounts: dict[str, str]


_PLAIN = [f for f in Form.__dataclass_fields__ if f != "accounts"]
_ACCOUNTS = len(_PLAIN)
FORM_COLUMNS = [getattr(ConsentRecord, f) for f in _PLAIN] + [
    getattr(ConsentRecord, column) for column in HANDLE_FIELDS.values()
]


def form_of(row: Any) -> Form:
    """A row of FORM_COLUMNS as a Form. A form names an account on one or two of the
    platforms: a dictionary of all of them, empty values included, was most of a Form's
    memory (50k to 100k forms live for the whole match)."""
    accounts = {k: v for k, v in zip(HANDLE_FIELDS, row[_ACCOUNTS:], strict=True) if v}
    return Form(*row[:_ACCOUNTS], *[accounts])


class PostFacts(NamedTuple):
    """What the matcher reads of a post. A plain tuple: a row's attributes cost ten times
    more to read, and each post's are read a dozen times."""

    id: int
    testimony_id: int | None
    platform: str
    url: str | None
    author_id: str | None
    author_handle: str | None
    author_name: str | None
    text: str | None
    problems: bool | int  # any problems recorded (SQLite gives 0 or 1)


def name_key(value: str | None) -> str:
    """A full name folded (case, accents) with its words sorted, as token_sort_ratio sees it."""
    return " ".join(sorted(normalise.text(value).split()))


def handle_letters(value: str | None) -> str:
    """The letters of a handle, folded: 'Lea.Dubois_7' -> 'leadubois' (too short: '')."""
    letters = "".join(filter(str.isalpha, normalise.text(normalise.handle(value))))
    return letters if len(letters) >= MIN_HANDLE_LETTERS else ""


class NameIndex:
    """Names (as keys) -> folded city -> forms, and a typo index over the distinct names: a
    common name costs one comparison and a look at each of its cities, whatever the number
    of people who share it."""

    def __init__(self) -> None:
        self.forms: dict[str, dict[str, list[Form]]] = {}
        self._near = NearIndex()
        # a person's name comes back on each of their posts: scored once a match
        self._close: dict[tuple[str, float], list[tuple[str, float]]] = {}

    def add(self, key: str, city: str, record: Form) -> None:
        if (cities := self.forms.get(key)) is None:
            cities = self.forms[key] = {}
        if city:  # a form without a city is never matched by name
            cities.setdefault(city, []).append(record)

    def close(self, key: str, cutoff: float) -> list[tuple[str, float]]:
        """Names on forms about one typo from `key` that score `cutoff` or more against it
        (rapidfuzz's ratio), best first; `key` itself among them if it is on a form."""
        if (found := self._close.get((key, cutoff))) is None:
            if len(self._near) < len(self.forms):
                # the typo index is made when first asked, in one go, the names in the
                # order they were added (a match may never ask: names in handles are
                # looked for only where a post's own name finds no form)
                self._near.update(self.forms)
            scored = process.extract(
                key, list(self._near.near(key)), scorer=fuzz.ratio, score_cutoff=cutoff, limit=None
            )
            found = self._close[(key, cutoff)] = [(name, score) for name, score, _ in scored]
        return found


class FormIndex:
    """Dictionaries from each kind of identifier to the form that names it, and indexes of
    handles and names that find the forms one typo away (for `needs-check` only)."""

    def __init__(self, records: list[Form]) -> None:
        self.videos: dict[str, Form] = {}
        self.ids: dict[tuple[str, str], Form] = {}
        self.handles: dict[tuple[str, str], Form] = {}
        # platform -> the typo index of its handles, made when first asked (handles_near)
        self._near_handles: dict[str, NearIndex] = {}
        self.names = NameIndex()  # folded, words sorted, as token_sort_ratio sees them
        self.joined = NameIndex()  # the letters in written order, as a handle holds them
        # identifiers named on more than one form: the other forms' response_ids
        self.also: dict[Any, list[str]] = {}
        self.by_response: dict[str, Form] = {}  # response_id -> form, for the claimants
        readers = {name: registry.get(name).consent_reader for name in HANDLE_FIELDS}
        cities: dict[str | None, str] = {}  # a few hundred cities for 50k forms: fold each once
        for record in records:
            self.by_response[record.response_id] = record
            for url in record.video_urls:
                if key := normalise.video_key(url):
                    self._claim(self.videos, key, record, "video_url")
            for name, value in record.accounts.items():  # an account id, a handle, or both
                account, handle = readers[name](value)
                if account:
                    self._claim(self.ids, (name, account), record, "account_id")
                if handle:
                    self._claim(self.handles, (name, handle), record, "handle")
            if folded := normalise.text(record.full_name):
                if (city := cities.get(record.city)) is None:
                    city = cities[record.city] = normalise.text(record.city)
                self.names.add(" ".join(sorted(folded.split())), city, record)  # name_key
                self.joined.add("".join(filter(str.isalpha, folded)), city, record)

    def _claim(self, table: dict[Any, Form], key: Any, record: Form, kind: str) -> None:
        first = table.setdefault(key, record)
        if first.id != record.id:
            others = self.also.setdefault((kind, key), [])
            if record.response_id not in others:
                others.append(record.response_id)

    def handles_near(self, platform: str, value: str) -> list[str]:
        """Handles on forms one typo from `value` (or so), normalised, sorted."""
        if (near := self._near_handles.get(platform)) is None:
            # in one go, in the order the forms named them; a platform whose posts all
            # matched (or that no form names) costs nothing
            near = self._near_handles[platform] = NearIndex()
            near.update(handle for on, handle in self.handles if on == platform)
        return sorted(near.near(value))
