"""Storing forms (re-imports change nothing; updates keep history) and withdrawing consent."""

from __future__ import annotations

import functools
import hashlib
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session, sessionmaker

from config.errors import BadInput, WorkFailed
from config.redact import redact, redact_each
from config.schema import LoadedCampaign
from consent.parse import (
    REMEMBERED,
    Batch,
    Blank,
    Export,
    Form,
    Rejected,
    Remembered,
    check_mapping,
)
from db import audit
from db.bulk import bulk_writes, execute_many, insert_rows, select_in, stored
from db.models import AuditEntry, Campaign, ConsentRecord, Testimony
from db.models.consent import form_fields
from db.outbox import request_takedown
from db.session import transaction
from db.states import ConsentState, FormState

FIELDS = form_fields()  # the columns the export fills, as marked on the model


BATCH = 2000
# The response ids this import has read so far, with the row of each: a repeat later in the
# file is rejected naming the first. On the import's own connection, in the database, so
# that an export of any size is checked without holding its ids in memory.
SEEN = "consent_import_seen"
SEEN_QUERY = text(
    f"SELECT response_id, first_row FROM {SEEN} WHERE response_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
SEEN_INSERT = insert(
    Table(SEEN, MetaData(), Column("response_id", String(128)), Column("first_row", Integer))
)
RECORDS = cast(Table, ConsentRecord.__table__)
AUDIT = cast(Table, AuditEntry.__table__)
# SEEN as the stored forms say it, while they are all this import's (see _Writer)
_STORED_SEEN = select(RECORDS.c.response_id, RECORDS.c.source_row).where(
    RECORDS.c.campaign_id == bindparam("campaign")
)
STORED_ROWS = _STORED_SEEN.where(RECORDS.c.response_id.in_(bindparam("ids", expanding=True)))
SEEN_FROM_RECORDS = SEEN_INSERT.from_select(
    ["response_id", "first_row"], _STORED_SEEN.where(RECORDS.c.id <= bindparam("upto"))
)


@dataclass
class ImportReport:
    """What became of every row: rows == new + updated + unchanged + rejected + blank.
    `revoked` counts forms this import withdrew (from stored rows or rejected ones)."""

    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    blank: int = 0
    revoked: int = 0
    rejected_rows: int = 0
    rejected: list[str] = field(default_factory=list)  # the lines, unless given to on_reject
    unused_columns: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value


HASHED = sorted(FIELDS)
DATES = [k for k in HASHED if k in ("submitted_at", "date_of_birth", "expires_at")]


def row_hash(values: dict[str, Any]) -> str:
    """What a form says, as a digest: the JSON of FIELDS with sorted keys (the keys are
    put in that order here, rather than sorted by json for every row). The definition;
    imports compute the same bytes a batch at a time (row_hashes)."""
    document = {k: values.get(k) for k in HASHED}
    if document.get("request_code") is None:  # hashes as before the column existed
        del document["request_code"]
    for key in DATES:
        if (value := document[key]) is not None:
            document[key] = value.isoformat()
    return hashlib.sha256(json.dumps(document).encode()).hexdigest()


_json_text = json.encoder.encode_basestring_ascii


def _json_fragments(values: Sequence[Any]) -> list[str]:
    """Each value as json.dumps writes it, which is also how it reads inside a document
    (the default encoder keeps no state from one value to the next): text, numbers and
    yes/no, the most cells, without a call to json.dumps."""
    try:
        return list(map(_json_text, values))  # a column of text only
    except TypeError:  # a blank cell (None) or a value not text
        return [
            "null"
            if v is None
            else _json_text(v)
            if (kind := v.__class__) is str
            else ("true" if v else "false")
            if kind is bool
            else int.__repr__(v)  # as the encoder writes an int
            if kind is int
            else _json_other(v)
            for v in values
        ]


def _json_other(value: Any) -> str:
    if value.__class__ is list:
        try:  # json.dumps' own text for a list of strings, without its machinery
            return "[" + ", ".join(map(_json_text, value)) + "]"
        except TypeError:  # an item that is not text
            pass
    return json.dumps(value)


def _json_lists(values: Sequence[Any]) -> list[str]:
    """_json_fragments of a column of lists that repeat (the scopes), each made once."""
    made: dict[tuple[Any, ...], str] = {}
    texts: list[str] = []
    for value in values:
        if value.__class__ is list:
            key = tuple(value)
            if (text := made.get(key)) is None:
                text = made[key] = _json_other(value)
        else:
            text = _json_fragments([value])[0]
        texts.append(text)
    return texts


# row_hash's document, entry by entry: each key's text before its value; request_code's
# entry is all in its value (the separator and key too) when it has one, else nothing.
assert HASHED[0] != "request_code"
_HASH_KEYS = [
    "" if key == "request_code" else f"{', ' if n else ''}{_json_text(key)}: ".replace("%", "%%")
    for n, key in enumerate(HASHED)
]
_REQUEST_CODE_ENTRY = f", {_json_text('request_code')}: "


def _as_written(values: Sequence[Any]) -> bool:
    """Is every value text that JSON writes as it is, between quotes (no None, no number,
    nothing escaped)? Asked of a column at once: its values then go into the document
    without a fragment each."""
    try:
        every = "".join(values)
    except TypeError:  # None, a number, a list
        return False
    # JSON escapes, in ASCII, the control characters, DEL, the quote and the backslash
    return every.isascii() and every.isprintable() and '"' not in every and "\\" not in every


class _DateTexts:
    """The JSON text of a date column's values, made once per date: by the value's identity
    (the form reader gives one object per distinct text), as equal datetimes at different
    offsets are different text. Objects are kept while their text is (so no other takes
    their id), REMEMBERED at most."""

    def __init__(self) -> None:
        self.texts: dict[int, str] = {id(None): "null"}
        self.kept: dict[int, Any] = {id(None): None}

    def __call__(self, values: Sequence[Any]) -> list[str]:
        ids = list(map(id, values))
        texts = self.texts
        if missing := set(ids).difference(texts):
            if len(texts) + len(missing) > REMEMBERED:
                texts.clear()
                self.kept.clear()
                missing = set(ids)
            objects = dict(zip(ids, values, strict=True))
            for key in missing:
                value = self.kept[key] = objects[key]
                texts[key] = "null" if value is None else _json_text(value.isoformat())
        return list(map(texts.__getitem__, ids))


def row_hashes(columns: dict[str, Sequence[Any]]) -> list[str]:
    """row_hash of the forms whose values `columns` holds column by column (by HASHED's
    names; "<name>:json" the JSON text of a column, if already made): the same bytes
    hashed, in a fraction of the calls (a dict and json.dumps for each form were a fifth
    of an import). A column of plain text goes in as it is, between the template's quotes."""
    pieces: list[str] = []
    fragments: list[Sequence[str]] = []
    for key, before in zip(HASHED, _HASH_KEYS, strict=True):
        values = columns[key]
        made: Sequence[str]
        slot = "%s"
        if key in DATES:
            made = columns.get(f"{key}:json") or [
                _json_text(v.isoformat()) if v is not None else "null" for v in values
            ]
        elif key == "request_code":
            made = [
                "" if v is None else _REQUEST_CODE_ENTRY + text
                for v, text in zip(values, _json_fragments(values), strict=True)
            ]
        elif (json_made := columns.get(f"{key}:json")) is not None:
            made = json_made
        elif _as_written(values):
            made, slot = values, '"%s"'
        else:
            made = _json_fragments(values)
        pieces.append(before + slot)
        fragments.append(made)
    template = "{" + "".join(pieces) + "}"
    hexdigest = operator.methodcaller("hexdigest")
    documents = map(template.__mod__, zip(*fragments, strict=True))
    return list(map(hexdigest, map(hashlib.sha256, map(str.encode, documents))))


# Core, not ORM, statements: the ORM's per-row machinery was most of their time.
EXISTING_QUERY = (
    select(RECORDS.c.id, RECORDS.c.response_id, RECORDS.c.row_hash, RECORDS.c.state)
    .where(RECORDS.c.campaign_id == bindparam("campaign"))
    .where(RECORDS.c.response_id.in_(bindparam("ids", expanding=True)))
)
IDS_QUERY = (
    select(RECORDS.c.response_id, RECORDS.c.id)
    .where(RECORDS.c.campaign_id == bindparam("campaign"))
    .where(RECORDS.c.response_id.in_(bindparam("ids", expanding=True)))
)
LAST_ID = select(func.max(RECORDS.c.id))
ANY_RECORD = select(RECORDS.c.id).where(RECORDS.c.campaign_id == bindparam("campaign")).limit(1)
IDS_AFTER = (
    select(RECORDS.c.response_id, RECORDS.c.id)
    .where(RECORDS.c.campaign_id == bindparam("campaign"))
    .where(RECORDS.c.id > bindparam("after"))
)


def import_export(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    path: Path,
    now: datetime,
    actor: str,
    on_reject: Callable[[str], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Read the export row by row and store it in batches, one transaction each.

    A row is stored whole (record, history, audit entry, withdrawal) or not at all; a crash
    loses only the batch in flight, which importing the file again stores (rows already
    stored are then `unchanged`). Each rejected row is given to `on_reject` (or kept in
    the report) once its batch is committed. A file that cannot be read at all raises
    BadInput before anything is stored; one found damaged half-way raises BadInput naming
    the rows already stored."""
    if not path.is_file():
        raise BadInput(f"{path}: no such file")
    report = ImportReport()

    def reject(line: str) -> None:
        report.rejected_rows += 1
        (on_reject or report.rejected.append)(f"{path}: row {line}")

    check_mapping(loaded.settings.consent, loaded.path)
    with Export(path, loaded.settings.consent) as export:  # a bad header raises here
        report.unused_columns = export.unused
        bind = sessions.kw["bind"]
        with (
            bind.connect() as connection,
            sessions(bind=connection) as session,
            bulk_writes(connection),
        ):
            with session.begin():
                _ensure_campaign(session, loaded, now)
                # looked up by response id only: on SQLite, one b-tree instead of a table
                # and its key's index
                clustered = " WITHOUT ROWID" if connection.dialect.name == "sqlite" else ""
                session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {SEEN} (response_id "
                                     f"VARCHAR(128) PRIMARY KEY, first_row INTEGER){clustered}"))  # fmt: skip
                session.execute(text(f"DELETE FROM {SEEN}"))
                empty = session.execute(ANY_RECORD, {"campaign": loaded.id}).first() is None
                last = session.execute(LAST_ID).scalar() or 0
            writer = _Writer(session, loaded.id, str(path), now, actor, report, reject)
            # a first import: no form of the campaign is stored but those it stores itself.
            # SQLite only: its writers take turns and a new id is above every stored one, so
            # the highest id tells whether another writer has stored a form since; a
            # PostgreSQL sequence may hand another session a lower id committed later.
            sole = empty and connection.dialect.name == "sqlite"
            writer.only_ours_after = last if sole else None
            try:
                for rows in export.batches(batch):
                    writer.store(rows)
            except BadInput as exc:
                stored = (
                    f"; rows 2-{writer.last_row} were read and stay stored (importing the mended"
                    " file again leaves them unchanged)"
                    if writer.last_row > 1
                    else "; nothing was stored"
                )
                raise BadInput(exc.message + stored) from None
            with session.begin():
                session.execute(text(f"DROP TABLE {SEEN}"))
    return report


def _ensure_campaign(session: Session, loaded: LoadedCampaign, now: datetime) -> None:
    if session.get(Campaign, loaded.id) is None:
        session.add(
            Campaign(
                id=loaded.id,
                name=loaded.settings.campaign.name,
                config_hash=loaded.config_hash,
                created_at=now,
            )
        )
        session.flush()


class _Writer:
    """Stores batches of rows: new forms in one statement each for the records and their
    audit entries, changed ones through the ORM (their history grows), withdrawals last."""

    FIXED = ["campaign_id", "version", "history", "source_file", "imported_at"]
    FORM = ["response_id", *FIELDS]
    RECORD = [*FIXED, *FORM, "source_row", "row_hash", "state", "revoked_at", "revoked_by",
              "revoke_reason"]  # fmt: skip
    AUDIT = ["at", "actor", "action", "subject_type", "subject_id", "detail", "consent_id",
             "consent_version"]  # fmt: skip
    # the form columns whose values repeat from form to form: each value converted once
    # (remembered, boundedly, from batch to batch)
    REPEATED = {"submitted_at", "date_of_birth", "expires_at", "guardian_signed"}
    JSON = ("video_urls", "consent_scope")

    def __init__(
        self,
        session: Session,
        campaign_id: str,
        source: str,
        now: datetime,
        actor: str,
        report: ImportReport,
        reject: Callable[[str], None],
    ) -> None:
        self.session, self.campaign_id, self.source = session, campaign_id, source
        self.now, self.actor, self.report, self.reject = now, actor, report, reject
        self.last_row = 1
        # While every record of the campaign is one this import stored (a first import, and
        # no other writer has stored a record since: the highest id is this import's own
        # last), a form stored before is a repeat of the row that stored it, and SEEN is
        # the records themselves (each form this import read, a stored one): nothing is
        # written to SEEN until another writer shows up. None: SEEN, and look forms up.
        self.only_ours_after: int | None = None
        to_record = _converters(session, RECORDS, self.RECORD)
        # each form column's conversion to the driver's form
        self.converters = {c: process for c in self.FORM if (process := to_record[c]) is not None}
        self.date_texts = {name: _DateTexts() for name in DATES}
        self.repeated = {
            c: Remembered(functools.partial(_convert, process))
            for c, process in self.converters.items()
            if c in self.REPEATED
        }
        self.to_audit = _converters(session, AUDIT, self.AUDIT)
        # Where the driver takes a JSON column as json.dumps' text (SQLite), the text made
        # for the digest is what is stored, and an audit entry's detail is written here.
        self.json_as_text = {
            c
            for c in (*self.JSON, "detail")
            if _json_as_text(session, {**to_record, **self.to_audit}[c])
        }
        self.insert_record = insert(RECORDS)
        self.insert_audit = insert(AUDIT)
        # rows are built in the table's order: the order the driver's statement takes them
        # in (no reordering of every row by execute_many)
        self.record_columns = [c.name for c in RECORDS.columns if c.name in self.RECORD]
        # the values every new record and audit entry of this import share, stored once
        self.fixed = {
            "campaign_id": campaign_id,
            "version": 1,
            "history": stored(session, RECORDS.c.history, []),
            "source_file": source,
            "imported_at": stored(session, RECORDS.c.imported_at, now),
        }
        self.active = {
            "state": FormState.ACTIVE.value,
            "revoked_at": None,
            "revoked_by": None,
            "revoke_reason": None,
        }
        self.revoked = {
            "state": FormState.REVOKED.value,
            "revoked_at": stored(session, RECORDS.c.revoked_at, now),
            "revoked_by": actor,
            "revoke_reason": "revoked in the form export",
        }
        self.at = stored(session, AUDIT.c.at, now)
        # a new form's audit detail as the JSON of {"response_id": ..., "row": ...}; the keys
        # pass the redactor as every string of a detail does
        key, row = (_json_text(redact(k)).replace("%", "%%") for k in ("response_id", "row"))
        self.detail_template = "{" + key + ": %s, " + row + ": %d}"

    def store(self, batch: Batch) -> None:
        if not batch.size:
            return
        with self.session.begin():
            lines = self._store(batch)
        # after the commit: a line printed is a row whose fate is settled
        for line in lines:
            self.reject(line)
        self.report.rows += batch.size
        self.last_row = batch.last_row

    def _store(self, batch: Batch) -> list[str]:
        session, report = self.session, self.report
        count, numbers = len(batch.numbers), batch.numbers
        columns = self._columns(batch)
        digests = row_hashes(columns) if count else []
        rids: Sequence[str] = batch.forms["response_id"]
        ids = list(
            {*rids}
            | {r.response_id for r in batch.others if isinstance(r, Rejected) and r.response_id}
        )
        last = session.connection().execute(LAST_ID).scalar() or 0
        ours = self.only_ours_after
        if ours is not None and last != ours:  # another writer: SEEN gets what was read
            session.execute(SEEN_FROM_RECORDS, {"campaign": self.campaign_id, "upto": ours})
            self.only_ours_after = None
        first = dict(  # rows of earlier batches
            select_in(session, SEEN_QUERY, ids)
            if self.only_ours_after is None
            else select_in(session, STORED_ROWS, ids, campaign=self.campaign_id)
        )
        existing = {
            rid: (record_id, digest, state)
            for record_id, rid, digest, state in (
                []
                if self.only_ours_after is not None
                else select_in(session, EXISTING_QUERY, ids, campaign=self.campaign_id)
            )
        }
        new: dict[str, int] = {}  # response_id -> its form's place in the batch
        changed: list[tuple[int, str]] = []  # (place, digest)
        revoke_new: dict[str, int] = {}  # new forms stored revoked: response_id -> row
        withdrawals: list[tuple[str, int]] = []  # of forms stored before: (response_id, row)
        problems: dict[int, str] = {}
        seen: list[tuple[str, int]] = []
        place = -1  # of the form in `forms` (and in `columns`)

        def withdraw(rid: str, number: int) -> None:
            if rid in new:
                revoke_new.setdefault(rid, number)
            elif existing.get(rid, (0, "", ""))[2] != FormState.REVOKED:
                withdrawals.append((rid, number))

        # every form new and the batch's only one of its response id, no other row: the
        # usual batch of a first import, whose every row is settled at once
        quick = (
            not batch.others
            and not existing
            and first.keys().isdisjoint(rids)
            and len(set(rids)) == count
        )
        if quick:
            new = dict(zip(rids, range(count), strict=True))
            seen = list(zip(rids, numbers, strict=True))
            revoke_new = {rids[n]: numbers[n] for n in compress(range(count), batch.revoked)}
        for row in () if quick else batch.rows():
            if isinstance(row, Blank):
                report.blank += 1
                continue
            if isinstance(row, Rejected):
                problems[row.row] = row.reason
                # a withdrawal is honoured even from a row that is otherwise not stored,
                # for a form stored before it (earlier in the file, or by an earlier import)
                if row.revoked and (row.response_id in existing or row.response_id in first):
                    withdraw(str(row.response_id), row.row)
                continue
            place += 1  # forms come in the batch's order
            rid, digest = row.values["response_id"], digests[place]
            if rid in first:  # reported here, so that every problem comes in row order
                problems[row.row] = f"response_id {rid} repeats row {first[rid]}"
            else:
                first[rid] = row.row
                seen.append((rid, row.row))
                if rid not in existing:
                    new[rid] = place
                elif existing[rid][1] == digest:
                    report.unchanged += 1
                else:
                    changed.append((place, digest))
            if row.revoked:
                withdraw(rid, row.row)
        if self.only_ours_after is None:
            execute_many(session, SEEN_INSERT, ["response_id", "first_row"], seen)
        self._insert(list(new.values()), revoke_new, columns, digests, batch, last)
        if changed:
            wanted = [existing[rids[place]][0] for place, _ in changed]
            records = {
                r.response_id: r
                for r in session.scalars(select(ConsentRecord).where(ConsentRecord.id.in_(wanted)))
            }
            for place, digest in changed:
                form = batch.form(place)
                record = records[form.values["response_id"]]
                _update(session, record, form, digest, self.source, self.now, self.actor)
        report.new += len(new)
        report.updated += len(changed)
        applied = {number: rid for rid, number in revoke_new.items()}
        applied.update(self._withdraw(withdrawals))
        report.revoked += len(applied)
        lines = []
        for number, reason in sorted(problems.items()):
            if number in applied:
                reason += (
                    f"; the row is not stored, but the withdrawal it records is: consent "
                    f"{applied[number]} is revoked"
                )
            lines.append(f"{number}: {reason}")
        return lines

    def _columns(self, batch: Batch) -> dict[str, Sequence[Any]]:
        """The forms' values column by column (FORM's names), and the JSON text of the
        columns stored as JSON ("<name>:json")."""
        if not batch.numbers:
            return {}
        columns: dict[str, Sequence[Any]] = {name: batch.forms[name] for name in self.FORM}
        columns["video_urls:json"] = _json_fragments(columns["video_urls"])
        columns["consent_scope:json"] = _json_lists(columns["consent_scope"])
        for name, texts in self.date_texts.items():
            columns[f"{name}:json"] = texts(columns[name])
        return columns

    def _insert(
        self,
        places: list[int],
        revoke: dict[str, int],
        table: dict[str, Sequence[Any]],
        digests: list[str],
        batch: Batch,
        last: int,
    ) -> None:
        """New forms in two statements: the records, then their audit entries (a form the
        export already marks withdrawn is stored revoked: no post can use it yet).

        The rows are made column by column from the batch's `table` of its forms (those
        at `places` are new; each column's conversion over the batch, then one zip into
        rows): a loop over the cells of every row was most of the write."""
        if not places:
            return
        session = self.session
        columns: dict[str, Iterable[Any]]
        if len(places) == len(batch.numbers):  # every form of the batch is new
            columns = dict(table)
            columns["source_row"], columns["row_hash"] = batch.numbers, digests
        else:
            columns = {name: [values[n] for n in places] for name, values in table.items()}
            columns["source_row"] = [batch.numbers[n] for n in places]
            columns["row_hash"] = [digests[n] for n in places]
        numbers = cast(list[int], columns["source_row"])
        rids = cast(Sequence[str], columns["response_id"])
        for name, process in self.converters.items():
            values = cast(Sequence[Any], columns[name])
            if name in self.json_as_text:
                made = columns[f"{name}:json"]
                columns[name] = [
                    None if v is None else t for v, t in zip(values, made, strict=True)
                ]
            elif name in self.REPEATED:  # each different value converted once
                columns[name] = list(map(self.repeated[name].__getitem__, values))
            else:
                columns[name] = [None if v is None else process(v) for v in values]
        # the values every row shares go once a statement
        shared = dict(self.fixed)
        if revoke:
            states = [self.revoked if rid in revoke else self.active for rid in rids]
            columns.update({name: [state[name] for state in states] for name in self.active})
        else:
            shared.update(self.active)
        own = [name for name in self.record_columns if name not in shared]
        rows = list(zip(*(columns[name] for name in own), strict=True))
        insert_rows(session, RECORDS, own, rows, shared)
        record_ids = self._new_ids(rids, last)
        if self.only_ours_after is not None:
            self.only_ours_after = max(record_ids)
        entries = list(
            zip(map(str, record_ids), self._details(rids, numbers), record_ids, strict=True)
        )
        new = {"at": self.at, "actor": self.actor, "action": "consent.new",
               "subject_type": "consent", "consent_version": 1}  # fmt: skip
        insert_rows(session, AUDIT, ["subject_id", "detail", "consent_id"], entries, new)
        if revoke:
            detail = self.to_audit["detail"] or (lambda value: value)
            ids = dict(zip(rids, record_ids, strict=True))
            revoked = detail({"reason": "revoked in the form export", "testimonies": []})
            insert_rows(session, AUDIT, ["subject_id", "detail", "consent_id"],
                        [(str(ids[rid]), revoked, ids[rid]) for rid in revoke],
                        {**new, "action": "consent.revoked"})  # fmt: skip

    def _new_ids(self, rids: Sequence[str], last: int) -> list[int]:
        """The ids of the records just inserted for `rids`, `last` the highest id before.
        SQLite gives a new row the highest id plus one: when the last id it gave is `last`
        plus their number, they are that range, in the order inserted. Otherwise, those
        after `last`, read as a range (looking 2,000 response ids up in the index took five
        times as long); any not there (a sequence need not follow max(id)) by response id.
        Another import's rows in the range are never taken for these: a response id is the
        campaign's once."""
        connection, campaign = self.session.connection(), self.campaign_id
        if connection.dialect.name == "sqlite":
            given = connection.exec_driver_sql("SELECT last_insert_rowid()").scalar()
            if given == last + len(rids):
                return list(range(last + 1, given + 1))
        ids = dict(connection.execute(IDS_AFTER, {"campaign": campaign, "after": last}).all())
        if missing := [rid for rid in rids if rid not in ids]:
            ids.update(select_in(self.session, IDS_QUERY, missing, campaign=campaign))
        return list(map(ids.__getitem__, rids))

    def _details(self, rids: Sequence[str], numbers: list[int]) -> list[Any]:
        """The stored detail of each new form's audit entry, {"response_id", "row"}: where
        the driver takes JSON text, written here with the response ids redacted as the
        column's type would (config.redact.redact_each), else through the type."""
        if "detail" not in self.json_as_text:
            detail = self.to_audit["detail"] or (lambda value: value)
            return [
                detail({"response_id": r, "row": n}) for r, n in zip(rids, numbers, strict=True)
            ]
        template = self.detail_template
        return [
            template % (text, number)
            for text, number in zip(map(_json_text, redact_each(rids)), numbers, strict=True)
        ]

    def _withdraw(self, withdrawals: list[tuple[str, int]]) -> dict[int, str]:
        """Revoke the forms stored before that these rows withdraw: {row: response_id}."""
        if not withdrawals:
            return {}
        records = {
            r.response_id: r
            for r in self.session.scalars(
                select(ConsentRecord).where(
                    ConsentRecord.campaign_id == self.campaign_id,
                    ConsentRecord.response_id.in_({rid for rid, _ in withdrawals}),
                )
            )
        }
        applied: dict[int, str] = {}
        for rid, number in withdrawals:
            record = records.get(rid)
            if record is not None and record.state != FormState.REVOKED:
                _revoke(self.session, record, "revoked in the form export", self.actor, self.now)
                applied[number] = rid
        return applied


def _convert(process: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else process(value)


def _converters(session: Session, table: Table, columns: list[str]) -> dict[str, Any]:
    """Each column's conversion to the driver's form (None: the value goes as it is)."""
    dialect = session.get_bind().dialect
    return {c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns}


# A value a JSON column's driver form tells apart from anything but json.dumps' own text:
# the order of keys, the separators, escapes, non-ASCII text and numbers.
_PROBE = {"z": ["é\u2028\"<>&'", 1.5, None, True, {"a": 10**20}], "a": ""}


def _json_as_text(session: Session, process: Callable[[Any], Any] | None) -> bool:
    """Does the driver take this JSON column's values as json.dumps' text? (SQLite does;
    psycopg takes them wrapped.)"""
    return (
        process is not None
        and session.get_bind().dialect.name == "sqlite"
        and process(_PROBE) == json.dumps(_PROBE)
    )


def _update(
    session: Session,
    record: ConsentRecord,
    form: Form,
    digest: str,
    source: str,
    now: datetime,
    actor: str,
) -> None:
    previous = {k: _plain(getattr(record, k)) for k in FIELDS}
    previous.update(
        version=record.version,
        source_file=record.source_file,
        source_row=record.source_row,
        replaced_at=now.isoformat(),
    )
    record.history = [*record.history, previous]
    record.version += 1
    for key in FIELDS:
        setattr(record, key, form.values.get(key))
    record.source_file, record.source_row, record.row_hash = source, form.row, digest
    record.imported_at = now
    session.flush()
    audit.record(
        session,
        at=now,
        actor=actor,
        action="consent.updated",
        subject_type="consent",
        subject_id=record.id,
        detail={"response_id": record.response_id, "row": form.row},
        consent=record,
    )


def _by_response_id(session: Session, campaign_id: str, rid: str) -> ConsentRecord | None:
    return session.scalar(
        select(ConsentRecord).where(
            ConsentRecord.campaign_id == campaign_id, ConsentRecord.response_id == rid
        )
    )


def find_record(session: Session, campaign_id: str, ident: str) -> ConsentRecord:
    """The form `ident` names, the same way for every command: its response id, as the
    form tool shows it. The internal id is accepted only when no form of the campaign has
    that response id, so a number never names one person here and another there."""
    ident = ident.strip()
    record = _by_response_id(session, campaign_id, ident)
    # an id column is INTEGER: 32 bits on PostgreSQL, which refuses a larger number
    number = ident.lstrip("0") or "0"
    if record is None and ident.isascii() and ident.isdigit() and int(number[:11]) < 2**31:
        by_id = session.get(ConsentRecord, int(number))
        if by_id is not None and by_id.campaign_id == campaign_id:
            record = by_id
    if record is None:
        raise WorkFailed(
            f"no consent form {ident[:60]} (name it by its response id, as the form tool "
            "shows it; `storydesk consent list` lists them)"
        )
    return record


def _revoke(session: Session, record: ConsentRecord, reason: str, actor: str, now: datetime) -> int:
    record.state, record.revoked_at, record.revoked_by = FormState.REVOKED, now, actor
    record.revoke_reason = reason
    testimonies = list(session.scalars(select(Testimony).where(Testimony.consent_id == record.id)))
    for testimony in testimonies:
        testimony.consent_state, testimony.priority, testimony.updated_at = (
            ConsentState.REVOKED,
            2,
            now,
        )
    request_takedown(
        session, [t.id for t in testimonies], f"consent withdrawn: {reason}", now, actor
    )
    audit.record(
        session,
        at=now,
        actor=actor,
        action="consent.revoked",
        subject_type="consent",
        subject_id=record.id,
        detail={"reason": reason, "testimonies": [t.id for t in testimonies]},
        consent=record,
    )
    return len(testimonies)


def revoke(
    sessions: sessionmaker[Session],
    loaded: LoadedCampaign,
    ident: str,
    reason: str,
    actor: str,
    now: datetime,
) -> tuple[ConsentRecord, int]:
    with transaction(sessions) as session:
        record = find_record(session, loaded.id, ident)
        if record.state == FormState.REVOKED:
            raise WorkFailed(
                f"consent {record.response_id} was already revoked on "
                f"{record.revoked_at:%Y-%m-%d} by {record.revoked_by}"
            )
        count = _revoke(session, record, reason, actor, now)
        return record, count
