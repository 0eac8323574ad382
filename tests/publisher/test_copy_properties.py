"""Property: for any linking of copies into testimonies, any form a testimony claims to rely
on and any approval (even one that claims every rule overridden and every likeness
confirmed), the (copy, form) pairs publishing would use only hold pairs with direct
evidence: the copy's own match names that very form, `matched` (or `needs-check` that the
approving reviewer confirmed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from db import models
from db.outbox import queue_publications
from platforms import registry
from publisher.jobs import build_job, why_not_now
from tests.consent.conftest import NOW, NOWHERE, add_post, form, sessions_of, write_export
from tests.sandboxed import load, make_setup
from tests.tiers import examples

TARGETS = registry.names("publish")
STATES = ["matched", "needs-check", "guardian-required", "revoked", "none"]


def _world(tmp_path: Path, db_url: str) -> tuple[Any, Any, list[int], list[int], list[int]]:
    desk = make_setup(tmp_path, NOWHERE, db_url, consent=False)
    export = write_export(
        desk.path / "forms.csv",
        [
            form(
                "R1",
                "Amina Kamau",
                x_handle="amina_k",
                city="Nairobi",
                age="20",
                youtube_channel="UC0000000000000000000001",
            ),  # fmt: skip
            form(
                "R2",
                "Amina Kamau",
                x_handle="amina_o",
                instagram_handle="amina.o",
                city="Nairobi",
                age="20",
            ),  # fmt: skip
            form("R3", "Juma Baraka", x_handle="juma_b", age="12"),  # a minor, no guardian
            form("R4", "Grace Otieno", x_handle="grace_o", age="30"),
        ],
    )
    assert desk.cli("consent", "import", str(export)).exit_code == 0
    assert desk.cli("consent", "revoke", "R4", "--reason", "asked by phone").exit_code == 0
    sessions = sessions_of(desk)
    posts = [
        add_post(sessions, "x", "1", handle="amina_k")[0],  # R1 by handle
        add_post(sessions, "youtube", "abcdefghijk", author_id="UC0000000000000000000001")[0],
        add_post(sessions, "x", "2", handle="amina_o")[0],  # R2, the namesake
        add_post(sessions, "instagram", "3", handle="amina.o")[0],  # R2
        add_post(sessions, "instagram", "4", handle="amina.oo")[0],  # a typo: needs-check
        add_post(sessions, "facebook", "5", handle="Someone Else")[0],  # nobody's
        add_post(sessions, "x", "6", handle="juma_b")[0],  # R3, guardian-required
        add_post(sessions, "x", "7", handle="grace_o")[0],  # R4, revoked
        add_post(sessions, "x", "8", handle="amina_k", duration=106.0)[0],  # R1, too long
        add_post(sessions, "youtube", "bcdefghijkl", media_type=None)[0],  # not a video
    ]
    assert desk.cli("match").exit_code == 0
    with sessions() as session:
        forms = list(session.scalars(select(models.ConsentRecord.id)))
        testimonies = list(session.scalars(select(models.Testimony.id)))
    return desk, sessions, posts, forms, testimonies


def test_publish_only_ever_uses_copy_form_pairs_with_direct_evidence(
    tmp_path: Path, sqlite_url: str
) -> None:
    desk, sessions, posts, forms, testimonies = _world(tmp_path, sqlite_url)
    loaded = load(desk)
    with sessions() as session:
        own = {
            m.post_id: (m.state, m.consent_id) for m in session.scalars(select(models.ConsentMatch))
        }

    @settings(
        max_examples=examples(60),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        groups=st.lists(
            st.integers(0, len(testimonies) - 1), min_size=len(posts), max_size=len(posts)
        ),
        claims=st.lists(
            st.tuples(st.sampled_from([*forms, None]), st.sampled_from(STATES)),
            min_size=len(testimonies),
            max_size=len(testimonies),
        ),
        forged=st.booleans(),
    )
    def check(groups: list[int], claims: list[tuple[int | None, str]], forged: bool) -> None:
        with sessions.begin() as session:
            session.execute(delete(models.Publication))
            session.execute(delete(models.Decision))
            for post_id, group in zip(posts, groups, strict=True):
                session.execute(
                    update(models.Post)
                    .where(models.Post.id == post_id)
                    .values(testimony_id=testimonies[group])
                )
            for tid, (consent_id, state) in zip(testimonies, claims, strict=True):
                session.execute(
                    update(models.Testimony)
                    .where(models.Testimony.id == tid)
                    .values(consent_id=consent_id, consent_state=state, review_state="approved")
                )
                # an approval that claims everything: every rule overridden, every copy
                # confirmed (forged), or a plain one
                session.add(
                    models.Decision(
                        testimony_id=tid,
                        action="approve",
                        reviewer="prop",
                        override=forged,
                        targets=TARGETS,
                        copies=[
                            {
                                "post_id": p,
                                "overridden": [
                                    "not a video",
                                    "106 s, over the 60 s limit",
                                ],
                                "confirmed": True,
                            }
                            for p in posts
                        ]
                        if forged
                        else [],
                        decided_at=NOW,
                    )
                )
                queue_publications(session, tid, TARGETS, NOW, "prop")
        used: set[tuple[int, int | None]] = set()
        with sessions() as session:
            for row in session.scalars(select(models.Publication)):
                if why_not_now(session, loaded, row, NOW) is not None:
                    continue
                testimony = session.get_one(models.Testimony, row.testimony_id)
                job = build_job(session, loaded, row)
                assert job.copies, "a publication that may go out carries a copy"
                by_native = {
                    (p.platform, p.native_id): p.id
                    for p in session.scalars(
                        select(models.Post).where(models.Post.testimony_id == testimony.id)
                    )
                }
                for copy in job.copies:
                    used.add((by_native[(copy.platform, copy.native_id)], testimony.consent_id))
        for post_id, form_id in used:
            state, named = own[post_id]
            assert form_id is not None and named == form_id, (post_id, form_id, own[post_id])
            assert state == "matched" or (state == "needs-check" and forged)

    check()
