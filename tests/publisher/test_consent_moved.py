"""A reshare already out, whose copy a re-imported form shows to be another person's: the
import's match asks for its takedown and the next cycle takes it down on the platform. The
copy is split off into a testimony of its own, pending review; a testimony whose only copy
it was goes back to review, on the form that now names it."""

from __future__ import annotations

import csv
import io
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry, ConsentRecord, Post, Publication
from db.models import Testimony as Stored
from db.session import make_engine
from tests.publisher.flow import approve_matched, deletes, outbox
from tests.sandboxed import Setup


def _forms(setup: Setup) -> tuple[list[str], list[dict[str, str]]]:
    text = (setup.path / "consent.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _write(setup: Setup, columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    path = setup.path / "consent-again.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


def _copies(db_url: str, testimony_id: int) -> tuple[list[str], str, str, str]:
    """The testimony's copies' platforms, its X copy's handle and post id, and its form."""
    engine = make_engine(db_url)
    with Session(engine) as session:
        posts = session.scalars(select(Post).where(Post.testimony_id == testimony_id)).all()
        x = next(p for p in posts if p.platform == "x")
        testimony = session.get_one(Stored, testimony_id)
        form = session.get_one(ConsentRecord, testimony.consent_id).response_id
        found = ([p.platform for p in posts], x.author_handle or "", x.native_id, form)
    engine.dispose()
    return found


def _testimony(db_url: str, testimony_id: int) -> tuple[str, str | None]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        testimony = session.get_one(Stored, testimony_id)
        form = session.get(ConsentRecord, testimony.consent_id) if testimony.consent_id else None
        found = (testimony.review_state, form.response_id if form else None)
    engine.dispose()
    return found


def _where(db_url: str, native_id: str) -> int | None:
    engine = make_engine(db_url)
    with Session(engine) as session:
        tid = session.scalar(
            select(Post.testimony_id).where(Post.platform == "x", Post.native_id == native_id)
        )
    engine.dispose()
    return tid


def _trail(db_url: str) -> Counter[str]:
    engine = make_engine(db_url)
    with Session(engine) as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    engine.dispose()
    return Counter(actions)


@pytest.mark.world(posts=60)
def test_reshares_whose_copy_turns_out_to_be_another_persons_come_down(ready: Setup) -> None:
    approve_matched(ready)
    assert ready.cli("publish").exit_code == 0
    rows = outbox(ready.db_url)
    done_x = {r.testimony_id: r for r in rows if r.target == "x" and r.state == "done"}
    seen = {tid: _copies(ready.db_url, tid) for tid in done_x}
    # one retweeted testimony with copies elsewhere too, one with its X copy alone
    linked = next(t for t, c in seen.items() if set(c[0]) != {"x"})
    # (TikTok has no delete API: a testimony reshared there would need a person's takedown)
    on_tiktok = {r.testimony_id for r in rows if r.target == "tiktok" and r.state == "done"}
    alone = next(
        t
        for t, c in seen.items()
        if c[0] == ["x"] and c[3] != seen[linked][3] and t not in on_tiktok
    )

    # The form tool's export again: each testimony's form no longer names the X account;
    # a new form (another person) does.
    columns, forms = _forms(ready)
    others = []
    for n, tid in enumerate((linked, alone)):
        mine = next(f for f in forms if f["response_id"] == seen[tid][3])
        others.append(
            {c: "" for c in columns}
            | {
                "response_id": f"R-OTHER-{n}",
                "submitted_at": mine["submitted_at"],
                "full_name": f"Someone Else {n}",
                "age": "30",
                "email": f"someone.else.{n}@example.org",
                "x_handle": seen[tid][1],
                "consent_scope": "all",
            }
        )
        for column, value in mine.items():  # wherever the form names it, in any column
            if seen[tid][1].lower() in (value or "").lower():
                mine[column] = ""
    again = ready.cli("consent", "import", _write(ready, columns, [*forms, *others]))
    assert again.exit_code == 0, again.stderr
    assert "1 approved testimony(ies) back in the queue" in again.stdout

    # The retweets are to come down, each with the reason; nothing else of the first.
    engine = make_engine(ready.db_url)
    with Session(engine) as session:
        for tid in (linked, alone):
            asked = session.get_one(Publication, done_x[tid].id)
            assert asked.takedown_requested_at is not None
            assert asked.takedown_reason and seen[tid][2] in asked.takedown_reason
            assert "R-OTHER-" in asked.takedown_reason
    engine.dispose()
    after = {r.id: r for r in outbox(ready.db_url)}
    for r in rows:
        if r.testimony_id == linked and r.target == "youtube":
            assert after[r.id].state == r.state == "done"
    # the linked testimony's X copy is split off (pending, on the other form); the one whose
    # only copy it was goes back to review, on the form that now names it
    moved = _where(ready.db_url, seen[linked][2])
    assert moved is not None and moved != linked
    assert _testimony(ready.db_url, moved) == ("pending", "R-OTHER-0")
    assert _testimony(ready.db_url, linked) == ("approved", seen[linked][3])
    assert _testimony(ready.db_url, alone) == ("pending", "R-OTHER-1")
    shown = ready.cli("show", str(alone))
    assert shown.exit_code == 0

    before = ready.stats()
    cycle = ready.cli("publish")
    assert cycle.exit_code == 0, cycle.stderr
    taken = Counter(deletes(ready.stats())) - Counter(deletes(before))
    assert taken["x"] == 2
    final = {r.id: r for r in outbox(ready.db_url)}
    assert final[done_x[linked].id].state == final[done_x[alone].id].state == "taken-down"
    trail = _trail(ready.db_url)
    assert trail["link.split"] == 1 and trail["review.reopened"] == 1
    # nothing goes out again on its own: the copies wait for a reviewer
    assert ready.cli("publish").exit_code == 0
    assert Counter(deletes(ready.stats())) == Counter(deletes(before)) + taken
