"""approve / reject / hold: the exact states after each command, and every refusal's words."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db import models
from db.scope import scope_targets
from platforms import registry
from tests.review.conftest import State, as_user, opened, queue_json, state
from tests.sandboxed import Setup, load


def allowed(setup: Setup, scope: list[str] | None, tid: int | None = None) -> list[str]:
    """The campaign's enabled targets that the form's scope covers, in campaign order; for
    testimony `tid`, the targets that reshare the participant's own post (X, YouTube,
    Bluesky) only when it has a copy there."""
    covered = scope_targets(scope or [])
    if tid is not None:
        with opened(setup) as session:
            platforms = set(
                session.scalars(select(models.Post.platform).where(models.Post.testimony_id == tid))
            )
        own_post = {p.name for p in registry.all_platforms() if p.reshares_own_post}
        covered -= own_post - platforms
    return [t for t in load(setup).settings.publish.enabled_targets() if t in covered]


def first(setup: Setup, consent: str, problems: bool = False) -> int:
    items = queue_json(setup, "--consent", consent, "--limit", "0")
    return next(int(i["id"]) for i in items if bool(i["problems"]) == problems)


@pytest.mark.world(posts=60)
def test_approve_queues_one_publication_per_target_the_scope_allows(harvested: Setup) -> None:
    ready_ones = [
        i["id"] for i in queue_json(harvested, "--consent", "matched") if not i["problems"]
    ]
    scopes = {tid: state(harvested, tid).scope for tid in ready_ones}
    narrow = next(t for t in ready_ones if "social" not in (scopes[t] or []))
    wide = next(t for t in ready_ones if "social" in (scopes[t] or []))
    said = {}
    for tid in (narrow, wide):
        expected = allowed(harvested, scopes[tid], tid)
        outcome = as_user(harvested, "approve", str(tid), "--note", "good one")
        said[tid] = outcome.stdout
        assert (outcome.exit_code, outcome.stderr) == (0, ""), outcome.stderr
        assert outcome.stdout.startswith(
            f"testimony {tid}: approved; queued for {', '.join(expected)}"
        )
        after = state(harvested, tid)
        assert after.review == "approved"
        assert after.publications == {t: "queued" for t in expected}
        assert after.decisions == [("approve", "alice", "good one", False, expected)]
    refused = set(load(harvested).settings.publish.enabled_targets()) - set(
        allowed(harvested, scopes[narrow])
    )
    assert refused  # the narrow form does not cover every target, and the message says so
    for target in refused:
        assert (
            f"{target} (the consent scope ({', '.join(scopes[narrow] or [])}) does not cover"
            in (said[narrow])
        )

    again = as_user(harvested, "approve", str(wide), user="bob")
    assert (again.exit_code, again.stdout) == (0, f"testimony {wide}: already approved\n")
    assert len(state(harvested, wide).decisions) == 1


def test_approve_only_the_chosen_targets(harvested: Setup) -> None:
    tid = first(harvested, "matched")
    expected = [
        t for t in allowed(harvested, state(harvested, tid).scope, tid) if t in ("x", "gallery")
    ]
    outcome = as_user(harvested, "approve", str(tid), "--targets", "x,gallery")
    assert outcome.exit_code == 0 and outcome.stdout.startswith(
        f"testimony {tid}: approved; queued for {', '.join(expected)}"
    )
    assert state(harvested, tid).publications == {t: "queued" for t in expected}

    other = first(harvested, "matched")
    bad = as_user(harvested, "approve", str(other), "--targets", "x,myspace")
    assert bad.exit_code == 2
    assert "--targets: myspace is not an enabled target" in bad.stderr
    assert state(harvested, other).review == "pending"


REFUSALS = {
    "needs-check": "consent is needs-check, not matched; approve only with --override --reason",
    "guardian-required": "refused: consent is guardian-required: the participant is under the "
    "age of consent and no guardian has signed the form; only a guardian's signature on the "
    "form can change this",
    "none": "refused: consent is none: no consent form is tied to it. Next: find the "
    "participant's form (storydesk consent list), import the form export (storydesk consent "
    "import FILE) and run storydesk match; or reject it",
}


def test_approving_without_matched_consent_is_refused_with_the_reason(harvested: Setup) -> None:
    tried = 0
    for consent, words in REFUSALS.items():
        items = queue_json(harvested, "--consent", consent, "--limit", "1")
        if not items:
            continue
        tried += 1
        tid = items[0]["id"]
        outcome = as_user(harvested, "approve", str(tid))
        assert outcome.exit_code == 1  # DESIGN: 1 = work failed, the message says what
        assert outcome.stdout == ""
        assert outcome.stderr == f"storydesk: testimony {tid}: {words}\n"
        assert state(harvested, tid) == State("pending", [], {}, state(harvested, tid).scope)
    assert tried >= 2


def test_override_needs_a_reason_and_is_recorded(harvested: Setup) -> None:
    tid = first(harvested, "needs-check")
    bare = as_user(harvested, "approve", str(tid), "--override")
    assert bare.exit_code == 2 and "Error: --override needs --reason" in bare.stderr
    assert state(harvested, tid).review == "pending"

    outcome = as_user(
        harvested, "approve", str(tid), "--override", "--reason", "phoned her mother", user="cy"
    )
    assert outcome.exit_code == 0, outcome.stderr
    after = state(harvested, tid)
    expected = allowed(harvested, after.scope, tid)
    assert after.review == "approved"
    assert after.decisions == [("approve", "cy", "override: phoned her mother", True, expected)]
    assert after.publications == {t: "queued" for t in expected}
    with opened(harvested) as session:
        entry = session.scalars(
            select(models.AuditEntry).where(
                models.AuditEntry.subject_id == str(tid),
                models.AuditEntry.action.like("review.%"),
            )
        ).one()
    assert (entry.actor, entry.action) == ("cy", "review.approve.override")
    assert entry.detail["note"] == "override: phoned her mother"
    assert entry.detail["consent_state"] == "needs-check"


def test_override_on_a_matched_testimony_is_a_plain_approval(harvested: Setup) -> None:
    tid = first(harvested, "matched")
    outcome = as_user(harvested, "approve", str(tid), "--override", "--reason", "to be safe")
    assert outcome.exit_code == 0, outcome.stderr
    assert "(nothing needed an override)" in outcome.stdout
    after = state(harvested, tid)
    assert after.decisions == [
        ("approve", "alice", "to be safe", False, allowed(harvested, after.scope, tid))
    ]
    with opened(harvested) as session:
        actions = session.scalars(
            select(models.AuditEntry.action).where(
                models.AuditEntry.subject_id == str(tid),
                models.AuditEntry.action.like("review.%"),
            )
        ).all()
    assert actions == ["review.approve"]


def test_override_without_any_form_is_refused_and_says_what_to_do(harvested: Setup) -> None:
    tid = first(harvested, "none")
    outcome = as_user(harvested, "approve", str(tid), "--override", "--reason", "signed on paper")
    assert outcome.exit_code == 1
    assert outcome.stderr == f"storydesk: testimony {tid}: {REFUSALS['none']}\n"
    assert state(harvested, tid) == State("pending", [], {}, None)


def test_reject_and_hold_need_words_and_take_back_what_was_queued(harvested: Setup) -> None:
    tid = first(harvested, "matched")
    for args, error in (
        (("reject", str(tid)), "Error: Missing option '--reason'."),
        (("reject", str(tid), "--reason", "  "), "Error: --reason must say why"),
        (("hold", str(tid)), "Error: Missing option '--note'."),
        (("hold", str(tid), "--note", ""), "Error: --note must say what is waited for"),
    ):
        outcome = as_user(harvested, *args)
        assert outcome.exit_code == 2, args
        assert error in outcome.stderr
        assert state(harvested, tid).review == "pending" and state(harvested, tid).decisions == []

    assert as_user(harvested, "approve", str(tid)).exit_code == 0
    targets = allowed(harvested, state(harvested, tid).scope, tid)
    assert state(harvested, tid).publications == {t: "queued" for t in targets}

    held = as_user(harvested, "hold", str(tid), "--note", "guardian to confirm", user="dee")
    assert held.exit_code == 0
    assert held.stdout == (
        f"testimony {tid}: held (was approved); {len(targets)} publication(s) taken back\n"
    )
    after = state(harvested, tid)
    assert after.review == "held"
    assert after.publications == {t: "skipped" for t in targets}  # never posted: cancelled

    again = as_user(harvested, "approve", str(tid))
    assert again.exit_code == 0
    assert state(harvested, tid).publications == {t: "queued" for t in targets}

    rejected = as_user(harvested, "reject", str(tid), "--reason", "blurry", "--as", "Eve Ng")
    assert rejected.exit_code == 0
    assert rejected.stdout.startswith(f"testimony {tid}: rejected (was approved)")
    after = state(harvested, tid)
    assert after.review == "rejected"
    assert after.publications == {t: "skipped" for t in targets}
    assert [(d[0], d[1], d[2]) for d in after.decisions] == [
        ("approve", "alice", None),
        ("hold", "dee", "guardian to confirm"),
        ("approve", "alice", None),
        ("reject", "Eve Ng", "blurry"),
    ]


def test_the_reviewer_is_user_unless_as_names_someone(harvested: Setup) -> None:
    one, two = (i["id"] for i in queue_json(harvested, "--limit", "2"))
    assert (
        as_user(harvested, "reject", str(one), "--reason", "off topic", user="frank").exit_code == 0
    )
    assert (
        as_user(harvested, "hold", str(two), "--note", "later", "--as", "Grace", user="frank")
    ).exit_code == 0
    assert state(harvested, one).decisions[0][:3] == ("reject", "frank", "off topic")
    assert state(harvested, two).decisions[0][:3] == ("hold", "Grace", "later")


def test_several_ids_each_get_their_answer_and_unknown_ids_fail(harvested: Setup) -> None:
    good = first(harvested, "matched")
    bad = first(harvested, "needs-check")
    outcome = as_user(harvested, "approve", str(good), str(bad), "99999")
    assert outcome.exit_code == 1
    assert outcome.stdout.startswith(f"testimony {good}: approved;")
    assert outcome.stderr.splitlines() == [
        f"storydesk: testimony {bad}: {REFUSALS['needs-check']}",
        "storydesk: testimony 99999: no such testimony",
    ]
    assert state(harvested, good).review == "approved"
    assert state(harvested, bad).review == "pending"
    with opened(harvested) as session:
        assert session.scalar(select(func.count()).select_from(models.Decision)) == 1
