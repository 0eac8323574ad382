"""A page stored by store_posts (its bulk insert in the driver's form, the answers serialised
once by validate) holds exactly the values SQLAlchemy's own executemany writes for the same
posts, on SQLite and PostgreSQL: answers with a NUL, non-ASCII text, or over the size bound
included."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import Text

from config.loader import load_campaign
from config.schema import LoadedCampaign
from db import models
from db.models import Campaign, HarvestRun, Post
from harvester.common import HarvestedPost
from harvester.pipeline import ensure_campaign
from harvester.store import RunRef, Stored, store_posts
from harvester.validate import MAX_RAW_BYTES, validate

NOW = datetime(2026, 11, 24, 12, 0, 30, 250000, tzinfo=UTC)
POSTS = cast(Table, Post.__table__)
CONFIG = Path(__file__).resolve().parents[2] / "config/campaigns/sandbox.toml"
TAGS = "#LearningNeverStops @UNESCO"
# each escaped by json.dumps into six characters (twelve for the emoji): the answer is over
# the bound as stored, within it as validate measures it
WIDE = "é" * (MAX_RAW_BYTES // 4)
OMITTED = {"omitted": f"the platform's answer for this item was over {MAX_RAW_BYTES} bytes"}


def post(native_id: str, raw: dict[str, Any], **fields: Any) -> HarvestedPost:
    return HarvestedPost(
        platform="x",
        native_id=native_id,
        url=f"https://x.com/someone/status/{native_id}",
        text=fields.pop("text", f"I am a learner and I keep learning {TAGS}"),
        published_at=datetime(2026, 11, 20, 8, 15, tzinfo=UTC),
        author_id="900001",
        author_handle="someone",
        author_name="Zoë Ünal",
        hashtags=["LearningNeverStops"],
        mentions=["UNESCO"],
        raw=raw,
        **fields,
    )


def answers() -> list[HarvestedPost]:
    return [
        post("1001", {"tweet": {"id": "1001", "text": "plain"}}),
        post("1002", {"tweet": {"text": 'Zoë \u00ab\U0001f600\u00bb \x7f \\ "q"\n'}}),
        post("1003", {"tweet": {"text": "a NUL\x00 here", "n\x00": ["x\x00y", 1.5, None]}}),
        post("1004", {"tweet": {"text": WIDE + "\U0001f600"}}, duration_seconds=12.5),
        post("1005", {"tweet": {"text": "x" * (MAX_RAW_BYTES + 1)}}, media_type="video"),
        post("1006", {"tweet": {"id": 1006}, "media": []}, text="Nothing of the campaign"),
        # written out, not a NUL: taken for one, and walked as before
        post("1007", {"tweet": {"text": "C:\\u0000 \u00e9"}}),
    ]


def as_stored(session: Session, campaign_id: str) -> list[tuple[Any, ...]]:
    """Every column but the id and campaign, as the database holds it (text)."""
    columns = [c for c in POSTS.columns if c.name not in ("id", "campaign_id")]
    rows = session.execute(
        select(*(sql_cast(c, Text) for c in columns))
        .where(POSTS.c.campaign_id == campaign_id)
        .order_by(POSTS.c.native_id)
    )
    return [tuple(row) for row in rows]


def store(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, posts: list[HarvestedPost]
) -> Stored:
    good, rejected = validate(posts)
    assert not rejected
    with sessions.begin() as session:
        ensure_campaign(session, loaded, NOW)
        run = HarvestRun(
            campaign_id=loaded.id,
            platform=posts[0].platform,
            query="q",
            config_hash=loaded.config_hash,
            started_at=NOW,
        )
        session.add(run)
        session.flush()
        return store_posts(session, loaded, RunRef(run.id, run.platform, "q", "h"), good, NOW)


def video(native_id: str, text: str) -> HarvestedPost:
    return HarvestedPost(
        platform="youtube",
        native_id=native_id,
        url=f"https://www.youtube.com/watch?v={native_id}",
        text=text,
        published_at=datetime(2026, 11, 19, 20, 0, tzinfo=UTC),
        media_type="video",
        duration_seconds=95.0,
        raw={"id": native_id},
    )


AMINA = "Hi, I'm Amina, I'm 15 years old from Nairobi, Kenya. #LearningNeverStops @UNESCO"
TEACHER = (
    "I teach maths. What would you like other educators to know? Patience. #LearningNeverStops"
)


def test_stored_rows_are_what_core_executemany_writes(
    sessions: sessionmaker[Session],
) -> None:
    loaded = load_campaign(CONFIG)
    videos = [
        video("vid00000001", "What makes a city or region a place of learning? We built our app"),
        video("vid00000002", AMINA),
    ]
    assert store(sessions, loaded, videos).new == 2
    linked = post(
        "2001", {}, text="My video #LearningNeverStops @UNESCO https://youtu.be/vid00000001"
    )
    linked.links = ["https://youtu.be/vid00000001"]
    page = [*answers(), linked, post("2002", {}, text=AMINA), post("2003", {}, text=TEACHER)]
    assert store(sessions, loaded, page) == Stored(new=len(page))
    edited = post("2003", {"edited": True}, text=TEACHER + " And kindness.")
    assert store(sessions, loaded, [edited, post("2002", {}, text=AMINA)]) == Stored(0, 1, 1)
    with sessions.begin() as session:
        session.add(Campaign(id="copy", name="copy", created_at=NOW))
        session.flush()
        # the same values again, through SQLAlchemy's own conversions, in another campaign
        rows = [
            {k: v for k, v in row._mapping.items() if k != "id"} | {"campaign_id": "copy"}
            for row in session.execute(select(POSTS).where(POSTS.c.campaign_id == loaded.id))
        ]
        session.execute(insert(POSTS), rows)
    with sessions() as session:
        ours, core = as_stored(session, loaded.id), as_stored(session, "copy")
        found = {
            p.native_id: p for p in session.scalars(select(Post).filter_by(campaign_id=loaded.id))
        }
        testimonies = {t.id: t for t in session.scalars(select(models.Testimony))}
    # one testimony each, with the role and question of its post
    posts = list(found.values())
    assert len({p.testimony_id for p in posts}) == len(posts) == len(testimonies)
    for p in posts:
        made = testimonies[p.testimony_id or 0]
        assert (made.role, made.question, made.campaign_id) == (p.role, p.question, loaded.id)
        assert (made.priority, made.consent_state, made.review_state) == (2, "none", "pending")
        assert made.created_at == made.updated_at == NOW
    assert ours == core
    assert len(ours) == len(page) + len(videos)
    assert found["1001"].raw == {"tweet": {"id": "1001", "text": "plain"}}
    assert found["1002"].raw == answers()[1].raw
    assert found["1003"].raw == {"tweet": {"text": "a NUL here", "n": ["xy", 1.5, None]}}
    assert found["1004"].raw == answers()[3].raw
    assert found["1005"].raw == OMITTED
    assert found["1007"].raw == answers()[6].raw
    # rules, roles and the links a new post may have with a stored testimony
    by_video, by_words = found["vid00000001"].testimony_id, found["vid00000002"].testimony_id
    assert found["2001"].link_suggestion == {"testimony_id": by_video, "by": "links_to_video"}
    assert found["2002"].link_suggestion == {"testimony_id": by_words, "by": "same_words"}
    assert found["1001"].link_suggestion is None
    assert (found["vid00000001"].role, found["vid00000001"].question) == (
        "platform-developer",
        "What makes a city or region a place of learning?",
    )
    assert found["vid00000001"].problems == [
        "over 60 s (95 s)",
        "no campaign hashtag",
        "no @UNESCO mention",
    ]
    assert (found["2002"].role, found["2002"].question) == ("learner", None)
    assert (found["2003"].role, found["2003"].question) == (
        "learning-provider",
        "What would you like other educators to know?",
    )
    assert found["1006"].problems == ["not a video"]
    assert found["2003"].problems == ["not a video"]
    assert found["2003"].text.endswith("And kindness.") and found["2003"].raw == {"edited": True}
    assert [e["text"] for e in found["2003"].edit_history] == [TEACHER]


def test_validate_gives_the_answers_text_as_the_column_writes_it() -> None:
    good, _ = validate(answers())
    made = {p.native_id: p.raw_json for p in good}
    assert made["1001"] == json.dumps(answers()[0].raw)
    assert made["1002"] == json.dumps(answers()[1].raw)
    assert made["1004"] == json.dumps(answers()[3].raw)
    assert len(made["1004"] or "") > MAX_RAW_BYTES
    # cleaned of a NUL, or replaced by the note: left to the insert to serialise
    assert made["1003"] is None and made["1005"] is None and made["1007"] is None
    assert [p.raw for p in good if p.native_id == "1005"] == [OMITTED]
