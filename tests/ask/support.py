"""What the ask tests share: a harvested sandbox campaign and a testimony nobody signed for."""

from __future__ import annotations

import json
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ConsentRequest, Post, Testimony
from db.session import make_engine
from tests.sandboxed import Setup


def harvested(setup: Setup) -> None:
    outcome = setup.cli("harvest")
    assert outcome.exit_code == 0, outcome.stderr


def unsigned_on_x(setup: Setup, count: int = 1) -> list[tuple[int, str]]:
    """(testimony id, tweet id) of testimonies with no form whose X copy tags @UNESCO."""
    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Testimony.id, Post.native_id, Post.mentions)
            .join(Post, Post.testimony_id == Testimony.id)
            .where(Testimony.consent_state == "none", Post.platform == "x")
            .order_by(Testimony.id)
        ).all()
    engine.dispose()
    found = [(tid, nid) for tid, nid, mentions in rows if "UNESCO" in (mentions or [])]
    assert len(found) >= count, "the sandbox campaign has unsigned testimonies on X"
    return found[:count]


def requests_of(setup: Setup) -> list[ConsentRequest]:
    engine = make_engine(setup.db_url)
    with Session(engine, expire_on_commit=False) as session:
        rows = list(session.scalars(select(ConsentRequest).order_by(ConsentRequest.id)))
        session.expunge_all()
    engine.dispose()
    return rows


def replies_made(setup: Setup) -> int:
    return int(setup.stats().get("replies", {}).get("x", 0))


def import_export(setup: Setup) -> Any:
    export = setup.path / "consent-again.csv"
    export.write_text(requests.get(f"{setup.base_url}/__sandbox__/consent.csv", timeout=10).text)
    outcome = setup.cli("consent", "import", str(export))
    assert outcome.exit_code == 0, outcome.stderr
    return outcome


def show(setup: Setup, tid: int) -> dict[str, Any]:
    outcome = setup.cli("show", str(tid), "--json")
    assert outcome.exit_code == 0, outcome.stderr
    return dict(json.loads(outcome.stdout))


def takedown_reasons(setup: Setup, tid: int) -> dict[str, str | None]:
    from db.models import Publication

    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Publication.target, Publication.takedown_reason).where(
                Publication.testimony_id == tid
            )
        ).all()
    engine.dispose()
    return {target: reason for target, reason in rows}


def unsigned_on_youtube_only(setup: Setup) -> tuple[int, str]:
    """(testimony id, video id) of a testimony with no form, on YouTube and nowhere else."""
    engine = make_engine(setup.db_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Testimony.id, Post.platform, Post.native_id)
            .join(Post, Post.testimony_id == Testimony.id)
            .where(Testimony.consent_state == "none")
            .order_by(Testimony.id)
        ).all()
    engine.dispose()
    platforms: dict[int, list[tuple[str, str]]] = {}
    for tid, platform, native_id in rows:
        platforms.setdefault(tid, []).append((platform, native_id))
    found = [(t, c[0][1]) for t, c in platforms.items() if [p for p, _ in c] == ["youtube"]]
    assert found, "the sandbox campaign has unsigned testimonies on YouTube alone"
    return found[0]
