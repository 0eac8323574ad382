"""The publish guard: a copy is handed to a target only with its own evidence naming the
testimony's form, and only within the campaign rules (or overridden at approval)."""

from __future__ import annotations

from sqlalchemy import select, update

from db import models
from platforms import registry
from publisher.jobs import build_job, why_not_now
from tests.consent.conftest import NOW, add_post, desk, form, sessions_of, write_export
from tests.sandboxed import Setup, load

__all__ = ["desk"]


def _forms(desk: Setup) -> None:
    export = write_export(
        desk.path / "forms.csv",
        [
            form("R1", "Amina Kamau", x_handle="aminak", city="Nairobi", age="20"),
            form("R2", "Amina Kamau", youtube_channel="UC0000000000000000000002", age="20"),
        ],
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0


def _publications(desk: Setup, testimony: int) -> dict[str, models.Publication]:
    with sessions_of(desk)() as session:
        rows = session.scalars(
            select(models.Publication).where(models.Publication.testimony_id == testimony)
        ).all()
        session.expunge_all()
        return {r.target: r for r in rows}


def test_a_copy_whose_own_evidence_names_another_form_is_never_handed_to_a_target(
    desk: Setup,
) -> None:
    """Two namesakes' posts forced into one testimony (as the old linking did): the X copy
    is Amina R1's, the YouTube copy Amina R2's. Whatever the testimony says, X carries only
    R1's copy and YouTube carries nothing under R1."""
    _forms(desk)
    sessions = sessions_of(desk)
    x_post, testimony = add_post(sessions, "x", "1", handle="aminak")
    yt_post, _ = add_post(
        sessions,
        "youtube",
        "abcdefghijk",
        url="https://www.youtube.com/watch?v=abcdefghijk",
        author_id="UC0000000000000000000002",
        testimony=testimony,
    )
    matched = desk.cli("match")
    assert matched.exit_code == 0
    assert "1 testimony(ies) split (copies of another form)" in matched.stdout
    with sessions.begin() as session:
        assert session.get_one(models.Post, yt_post).testimony_id != testimony
        # a database where they are still together (matched before this rule existed)
        session.execute(
            update(models.Post).where(models.Post.id == yt_post).values(testimony_id=testimony)
        )
    with sessions() as session:
        row = session.get_one(models.Testimony, testimony)
        form_of = {m.post_id: m.consent_id for m in session.scalars(select(models.ConsentMatch))}
        assert form_of[x_post] != form_of[yt_post]  # each copy's own evidence
        chosen = row.consent_id
    outcome = desk.cli("approve", str(testimony), "--as", "kim", "--json")
    answer = outcome.stdout
    import json

    (item,) = json.loads(answer)
    going = {c["platform"]: c for c in item["copies"]}
    # exactly one of the two copies goes out: the one whose evidence names the chosen form
    assert sum(c["goes_out"] for c in going.values()) == 1
    for copy in going.values():
        names_chosen = form_of[copy["post_id"]] == chosen
        assert copy["goes_out"] == names_chosen
        if not names_chosen:
            assert any("names another form" in r for r in copy["reasons"])
    assert item["result"] == "approved-in-part"

    # a publication queued for the other copy's platform anyway (an old database): refused
    # at publish, and the job for any target carries only the copy with evidence
    loaded = load(desk)
    with sessions.begin() as session:
        from db.outbox import queue_publications

        queue_publications(session, testimony, ["x", "youtube", "facebook"], NOW, "old")
    with sessions() as session:
        rows = session.scalars(
            select(models.Publication).where(models.Publication.testimony_id == testimony)
        ).all()
        for row in rows:
            job = build_job(session, loaded, row)
            assert {c.platform for c in job.copies} <= {
                p for p, c in going.items() if c["goes_out"]
            }
            reason = why_not_now(session, loaded, row, NOW)
            own = going.get(row.target)
            if registry.get(row.target).reshares_own_post and own and not own["goes_out"]:
                assert reason is not None and "names another form" in reason


def test_a_copy_over_the_limit_stays_unless_overridden_and_publish_checks_again(
    desk: Setup,
) -> None:
    _forms(desk)
    sessions = sessions_of(desk)
    _, long_one = add_post(sessions, "x", "1", handle="aminak", duration=106.0)
    assert desk.cli("match").exit_code == 0
    refused = desk.cli("approve", str(long_one), "--as", "kim")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(
        f"storydesk: testimony {long_one}: refused: no copy can go out: "
        "[x] 106 s, over the 60 s limit; approve only with --override --reason to reshare it anyway"
    )
    assert _publications(desk, long_one) == {}

    overridden = desk.cli(
        "approve", str(long_one), "--override", "--reason", "cut to 60 s by hand", "--as", "kim"
    )
    assert overridden.exit_code == 0, overridden.stderr
    assert "rule overridden: 106 s, over the 60 s limit" in overridden.stdout
    queued = _publications(desk, long_one)
    assert "x" in queued
    loaded = load(desk)
    with sessions() as session:
        row = session.get_one(models.Publication, queued["x"].id)
        assert why_not_now(session, loaded, row, NOW) is None
        audit = session.scalars(
            select(models.AuditEntry.action).where(
                models.AuditEntry.subject_id == str(long_one),
                models.AuditEntry.action.like("review.%"),
            )
        ).all()
        assert audit == ["review.approve.override"]
    # the video is replaced by a longer one after approval: the override named 106 s only
    with sessions.begin() as session:
        session.execute(update(models.Post).values(duration_seconds=140.0))
    with sessions() as session:
        row = session.get_one(models.Publication, queued["x"].id)
        assert why_not_now(session, loaded, row, NOW) == (
            "the X copy does not go out: 140 s, over the 60 s limit"
        )
