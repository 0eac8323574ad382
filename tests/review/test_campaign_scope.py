"""Two campaigns on one database: every face that lists, counts or steps through
testimonies (`queue`, `queue --json`, `export`, `show`, the review page and its next card,
reject and hold) shows and touches this campaign's only. The other campaign's participant
here has a name, a city and a handle found nowhere in the sandbox, so any sight of them is
a leak; the other campaign's own commands see them, so the test would notice data that is
simply missing."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from config.errors import WorkFailed
from config.loader import load_campaign
from db import models
from db.states import ConsentState, ReviewState
from review.card import testimony_card as card_of  # not `test*`: pytest would collect it
from review.queue import list_queue, next_in_queue, queue_total
from review.report import report_rows
from review.versions import version_of
from tests.review.conftest import opened, queue_json
from tests.review.test_web import BASE, client, decide, make_desk, shown
from tests.sandboxed import OTHER_CAMPAIGN, SHIPPED, Setup, other_campaign

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# who the other campaign's participant is (first and last name, city, country, handle):
# nothing of it may reach this campaign's staff
STRANGER = ("Zofia", "Outsiderska", "Elsewhereville", "Farland", "zofia_outsider")


def add_testimony(
    session: Session, campaign_id: str, native_id: str, who: tuple[str, str, str, str, str]
) -> int:
    """One pending testimony of `campaign_id` with its signed form and one copy, first in
    queue order (matched, no problems): where a leak would show first."""
    first, last, city, country, handle = who
    if session.get(models.Campaign, campaign_id) is None:
        session.add(models.Campaign(id=campaign_id, name=campaign_id, created_at=NOW))
        session.flush()  # no relationship orders the inserts: the form names the campaign
    form = models.ConsentRecord(
        campaign_id=campaign_id,
        response_id=f"r-{native_id}",
        full_name=f"{first} {last}",
        age=34,
        city=city,
        country=country,
        consent_scope=["website", "social"],
        source_file="forms.csv",
        source_row=1,
        row_hash=native_id,
        imported_at=NOW,
    )
    session.add(form)
    session.flush()
    testimony = models.Testimony(
        campaign_id=campaign_id,
        consent_state=ConsentState.MATCHED,
        consent_id=form.id,
        review_state=ReviewState.PENDING,
        priority=0,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(testimony)
    session.flush()
    session.add(
        models.Post(
            campaign_id=campaign_id,
            testimony_id=testimony.id,
            platform="youtube",
            native_id=native_id,
            url=f"https://www.youtube.com/watch?v={native_id}",
            author_handle=handle,
            author_name=f"{first} {last}",
            text=f"{first} from {city} on learning",
            media_type="video",
            duration_seconds=40.0,
            published_at=NOW,
            harvested_at=NOW,
            updated_at=NOW,
        )
    )
    session.flush()
    return testimony.id


def leaked(text: str) -> list[str]:
    """The stranger's words found in `text`."""
    return [word for word in STRANGER if word.lower() in text.lower()]


def test_the_queue_functions_count_list_step_and_show_one_campaign(
    sessions: sessionmaker[Session],
) -> None:
    """The domain functions every face calls, without the sandbox (in the fast tier)."""
    loaded = load_campaign(SHIPPED)
    mine = loaded.id
    with sessions.begin() as session:
        own = [
            add_testimony(
                session, mine, f"m{n}", ("Ana", f"Own{n}", "Hometown", "Homeland", f"a{n}")
            )
            for n in range(2)
        ]
        stranger = add_testimony(session, OTHER_CAMPAIGN, "theirs", STRANGER)
    with sessions() as session:
        listed = list_queue(session, "all", limit=None, campaign_id=mine)
        assert [i["id"] for i in listed] == own
        assert not leaked(json.dumps(listed))
        assert [i["id"] for i in list_queue(session, campaign_id=OTHER_CAMPAIGN)] == [stranger]
        assert queue_total(session, campaign_id=mine) == "2"
        # past this campaign's last testimony the next is its first again, never the other's
        assert next_in_queue(session, own[-1], campaign_id=mine) == own[0]
        assert next_in_queue(session, own[0], campaign_id=mine) == own[1]
        # the other campaign's id is no place in this queue: the listing starts at the top
        after = list_queue(session, "all", limit=None, campaign_id=mine, after=stranger)
        assert [i["id"] for i in after] == own
        assert next_in_queue(session, stranger, campaign_id=mine) == own[0]
        assert [r.id for r in report_rows(session, mine)] == own
        form = card_of(session, own[0], loaded)["form"]
        assert form is not None and form["city"] == "Hometown"
        with pytest.raises(WorkFailed) as missing:
            card_of(session, 999_999, loaded)
        with pytest.raises(WorkFailed) as theirs:
            card_of(session, stranger, loaded)
        assert str(theirs.value) == str(missing.value).replace("999999", str(stranger))


@dataclass
class Shared:
    """This campaign (harvested from the sandbox) and another on the same database, which
    has one participant of its own."""

    mine: Setup
    other: Setup
    stranger: int  # the other campaign's testimony
    pending: int  # this campaign's pending testimonies


@pytest.fixture
def shared(harvested: Setup, tmp_path: Path) -> Shared:
    other = other_campaign(harvested, tmp_path / "other")
    with opened(harvested) as session, session.begin():
        stranger = add_testimony(session, OTHER_CAMPAIGN, "theirs", STRANGER)
        pending = session.scalar(
            select(func.count())
            .select_from(models.Testimony)
            .where(
                models.Testimony.campaign_id == "learning-never-stops",
                models.Testimony.review_state == ReviewState.PENDING,
            )
        )
    assert [i["id"] for i in queue_json(other, "--status", "all", "--limit", "0")] == [stranger]
    return Shared(harvested, other, stranger, int(pending or 0))


def test_queue_and_its_json_list_this_campaigns_testimonies_only(shared: Shared) -> None:
    items = queue_json(shared.mine, "--status", "all", "--limit", "0")
    ids = [i["id"] for i in items]
    assert ids and shared.stranger not in ids
    assert len([i for i in items if i["review"] == "pending"]) == shared.pending
    assert not leaked(json.dumps(items))
    table = shared.mine.cli("queue", "--status", "all", "--limit", "0")
    assert table.exit_code == 0, table.stderr
    assert items[0]["author"] in table.stdout  # this campaign's people are listed
    assert not leaked(table.stdout + table.stderr)


def test_the_count_line_counts_this_campaigns_testimonies_only(shared: Shared) -> None:
    outcome = shared.mine.cli("queue", "--limit", "1")
    assert outcome.exit_code == 0, outcome.stderr
    # the other campaign's testimony is pending too, and first in queue order
    assert f"1 of {shared.pending} shown; --limit to see more" in outcome.stderr
    assert not leaked(outcome.stdout + outcome.stderr)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_reports_this_campaigns_testimonies_only(shared: Shared, fmt: str) -> None:
    outcome = shared.mine.cli("export", "--format", fmt)
    assert outcome.exit_code == 0, outcome.stderr
    if fmt == "csv":
        ids = [int(row["id"]) for row in csv.DictReader(io.StringIO(outcome.stdout))]
    else:
        ids = [row["id"] for row in json.loads(outcome.stdout)]
    expected = [i["id"] for i in queue_json(shared.mine, "--status", "all", "--limit", "0")]
    assert ids == expected and shared.stranger not in ids
    assert not leaked(outcome.stdout)
    theirs = shared.other.cli("export", "--format", fmt)
    assert "zofia_outsider" in theirs.stdout  # the other campaign's report has them


@pytest.mark.parametrize("as_json", [False, True])
def test_show_answers_the_other_campaigns_testimony_as_no_testimony(
    shared: Shared, as_json: bool
) -> None:
    flag = ("--json",) if as_json else ()
    missing = shared.mine.cli("show", "999999", *flag)
    theirs = shared.mine.cli("show", str(shared.stranger), *flag)
    assert theirs.exit_code == missing.exit_code != 0
    assert theirs.stdout == missing.stdout == ""
    assert theirs.stderr == missing.stderr.replace("999999", str(shared.stranger))
    assert not leaked(theirs.stderr)
    own = shared.other.cli("show", str(shared.stranger), *flag)
    assert own.exit_code == 0 and "Outsiderska" in own.stdout


@pytest.mark.parametrize(
    "args", [("approve",), ("reject", "--reason", "not ours"), ("hold", "--note", "wait")]
)
def test_a_decision_on_the_other_campaigns_testimony_finds_no_testimony(
    shared: Shared, args: tuple[str, ...]
) -> None:
    outcome = shared.mine.cli(args[0], str(shared.stranger), *args[1:], "--as", "tester")
    assert outcome.exit_code == 1
    assert f"testimony {shared.stranger}: no such testimony" in outcome.stderr
    assert not leaked(outcome.stdout + outcome.stderr)
    assert untouched(shared)


@pytest.mark.parametrize("as_json", [False, True])
def test_consent_list_lists_this_campaigns_forms_only(shared: Shared, as_json: bool) -> None:
    flag = ("--json",) if as_json else ()
    mine = shared.mine.cli("consent", "list", *flag)
    assert mine.exit_code == 0, mine.stderr
    assert not leaked(mine.stdout)
    assert "r-theirs" not in mine.stdout
    with opened(shared.mine) as session:
        own = session.scalars(
            select(models.ConsentRecord.response_id).where(
                models.ConsentRecord.campaign_id == load_campaign(SHIPPED).id
            )
        ).all()
    assert own and all(rid in mine.stdout for rid in own)
    theirs = shared.other.cli("consent", "list", *flag)
    assert theirs.exit_code == 0 and "Outsiderska" in theirs.stdout


def untouched(shared: Shared) -> bool:
    """The other campaign's testimony is pending, with no decision taken on it."""
    with opened(shared.mine) as session:
        testimony = session.get(models.Testimony, shared.stranger)
        decisions = session.scalar(
            select(func.count())
            .select_from(models.Decision)
            .where(models.Decision.testimony_id == shared.stranger)
        )
    return testimony is not None and testimony.review_state == "pending" and decisions == 0


def test_the_review_page_lists_counts_and_steps_through_this_campaign_only(
    shared: Shared,
) -> None:
    mine = queue_json(shared.mine, "--limit", "0")
    browser = client(make_desk(shared.mine))
    first = browser.get(f"{BASE}/")
    assert first.headers["Location"].startswith(f"/t/{mine[0]['id']}")
    page = browser.get(BASE + first.headers["Location"]).get_data(as_text=True)
    listed = [int(i) for i in re.findall(r'<span class="tid">(\d+)</span>', page)]
    assert listed == [i["id"] for i in mine[:50]]
    assert re.search(rf'<p class="count">\d+ of {shared.pending} pending</p>', page)
    assert not leaked(page)  # the listing, and the filters' countries
    for query in ("status=all", "consent=matched", "platform=youtube"):
        answer = browser.get(f"{BASE}/?{query}", follow_redirects=True)
        assert not leaked(answer.get_data(as_text=True)), query

    # its card is no page of this campaign's, whatever is asked of it
    card = browser.get(f"{BASE}/t/{shared.stranger}")
    assert card.status_code == 404 and not leaked(card.get_data(as_text=True))
    fields = shown(browser, mine[0]["id"])
    with opened(shared.mine) as session:
        fields["version"] = version_of(session, shared.stranger) or ""
    refused = decide(browser, shared.stranger, fields, action="reject", text="not ours")
    assert refused.status_code == 404 and not leaked(refused.get_data(as_text=True))
    assert untouched(shared)

    # after this campaign's last ready testimony (the other's sorts next), the next card
    # is this campaign's
    with opened(shared.mine) as session:
        last_ready = session.scalar(
            select(func.max(models.Testimony.id)).where(
                models.Testimony.campaign_id == "learning-never-stops",
                models.Testimony.review_state == ReviewState.PENDING,
                models.Testimony.priority == 0,
            )
        )
    assert last_ready is not None
    held = decide(browser, last_ready, shown(browser, last_ready), action="hold", text="later")
    assert held.status_code == 303
    following = int(held.headers["Location"].split("/t/", 1)[1].split("?", 1)[0])
    assert following != shared.stranger
    assert following in [i["id"] for i in mine]


@pytest.mark.parametrize("command", ["show", "revoke"])
def test_consent_show_and_revoke_find_no_form_of_the_other_campaigns(
    shared: Shared, command: str
) -> None:
    """Named by its response id or its internal id, the other campaign's form is answered
    as a form that does not exist, and stays as it was; its own campaign finds it."""
    with opened(shared.mine) as session:
        form = session.scalar(
            select(models.ConsentRecord.id).where(models.ConsentRecord.response_id == "r-theirs")
        )
    assert form is not None
    extra = ("--reason", "asked by phone", "--as", "tester") if command == "revoke" else ()
    for theirs, missing in (("r-theirs", "r-nobody"), (str(form), "999999")):
        absent = shared.mine.cli("consent", command, missing, *extra)
        refused = shared.mine.cli("consent", command, theirs, *extra)
        assert refused.exit_code == absent.exit_code != 0
        assert refused.stdout == absent.stdout == ""
        assert refused.stderr == absent.stderr.replace(missing, theirs)
        assert not leaked(refused.stderr)
    with opened(shared.mine) as session:
        assert session.get_one(models.ConsentRecord, form).state == "active"
    own = shared.other.cli("consent", command, "r-theirs", *extra)
    assert own.exit_code == 0, own.stderr
    assert ("Outsiderska" if command == "show" else "consent r-theirs revoked") in own.stdout


def test_ask_finds_no_testimony_of_the_other_campaigns(shared: Shared) -> None:
    """`ask` answers the other campaign's testimony as one that does not exist, and asks
    nobody; to its own campaign it is a testimony (skipped: its form is signed)."""
    absent = shared.mine.cli("ask", "999999", "--as", "tester")
    refused = shared.mine.cli("ask", str(shared.stranger), "--as", "tester")
    assert refused.exit_code == absent.exit_code == 1
    assert refused.stdout == absent.stdout
    assert refused.stderr == absent.stderr.replace("999999", str(shared.stranger))
    assert not leaked(refused.stdout + refused.stderr)
    with opened(shared.mine) as session:
        assert not session.scalar(select(func.count()).select_from(models.ConsentRequest))
    own = shared.other.cli("ask", str(shared.stranger), "--as", "tester")
    assert own.exit_code == 0, own.stderr
    assert "not asked: a signed form covers it already" in own.stdout
