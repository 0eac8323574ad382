"""The website gallery: a static page of square cards, a JSON Feed and RSS.

Only testimonies that are approved, consented and not taken down appear. Templates are
Jinja2 with autoescape on, so participants' text can never inject markup or script.
The site is written into a new folder and swapped in, so readers never see half a gallery.
Publishers on one host may rebuild at the same moment: a lock file beside the folder makes
them take turns, and each reads the database once it holds the lock, so the last rebuild
shows the latest state.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.schema import LoadedCampaign
from db.models import ConsentRecord, Publication, Testimony
from publisher.common import first_name_of
from review.queue import posts_of

TEMPLATES = Path(__file__).parent / "templates"


def gallery_items(session: Session, loaded: LoadedCampaign) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Testimony, ConsentRecord, Publication.published_at)
        .join(Publication, Publication.testimony_id == Testimony.id)
        .outerjoin(ConsentRecord, ConsentRecord.id == Testimony.consent_id)
        .where(
            Publication.target == "gallery",
            Publication.state == "done",
            Publication.takedown_requested_at.is_(None),
            Testimony.review_state == "approved",
            Testimony.consent_state.in_(("matched", "needs-check")),
        )
        .order_by(Publication.published_at.desc(), Testimony.id.desc())
    ).all()
    posts = posts_of(session, [t.id for t, _, _ in rows])
    roles = loaded.settings.roles
    items = []
    for testimony, record, published_at in rows:
        copies = [p for p in posts.get(testimony.id, []) if p["source_state"] == "available"]
        if not copies or (record is not None and record.state != "active"):
            continue
        youtube = next((p for p in copies if p["platform"] == "youtube"), None)
        role = roles.get(testimony.role or "")
        items.append(
            {
                "id": testimony.id,
                "first_name": first_name_of(record.full_name) if record else "",
                "role": role.label if role else "",
                "city": record.city if record else "",
                "country": record.country if record else "",
                "question": testimony.question or "",
                "text": copies[0]["text"],
                "url": (youtube or copies[0])["url"],
                "embed": f"https://www.youtube-nocookie.com/embed/{youtube['native_id']}"
                if youtube
                else None,
                "platforms": [p["platform"] for p in copies],
                "published": (published_at or datetime.now(UTC)).isoformat(),
            }
        )
    return items


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f".{out.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def build_gallery(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, out_dir: Path | None = None
) -> Path:
    settings = loaded.settings.publish.gallery
    out = Path(out_dir or (settings.out if settings else "gallery"))
    with _exclusive(out):
        for stale in out.parent.glob(f"{out.name}.new-*"):  # from a rebuild that was killed
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{out.name}.new-", dir=out.parent))
        try:
            _write_site(sessions, loaded, staging)
            staging.chmod(0o755)  # mkdtemp makes it private; a web server must read it
            old = out.with_name(out.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            if out.exists():
                out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # only left over when writing failed
    return out


def _write_site(sessions: sessionmaker[Session], loaded: LoadedCampaign, staging: Path) -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    settings = loaded.settings.publish.gallery
    title = settings.title if settings else loaded.settings.campaign.name
    site = settings.site_url if settings else ""
    with sessions() as session:
        items = gallery_items(session, loaded)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml", "j2"], default=True),
    )
    context = {
        "title": title,
        "site": site.rstrip("/"),
        "items": items,
        "hashtags": loaded.settings.campaign.hashtags,
        "built": datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000"),
    }
    (staging / "index.html").write_text(env.get_template("index.html").render(context), "utf-8")
    (staging / "rss.xml").write_text(env.get_template("rss.xml").render(context), "utf-8")
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": title,
        "home_page_url": site,
        "feed_url": f"{site.rstrip('/')}/feed.json",
        "items": [
            {
                "id": str(i["id"]),
                "url": i["url"],
                "content_text": i["text"],
                "title": f"{i['first_name']}, {i['city']}",
                "date_published": i["published"],
                "tags": i["platforms"],
            }
            for i in items
        ],
    }
    (staging / "feed.json").write_text(json.dumps(feed, ensure_ascii=False, indent=1), "utf-8")
