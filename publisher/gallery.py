"""The website gallery: a static page of square cards, a JSON Feed and RSS.

Only testimonies that are approved, consented and not taken down appear. Templates are
Jinja2 with autoescape on, so participants' text can never inject markup or script.
The site is written into a new folder and swapped in, so readers never see half a gallery
(publisher/gallery_swap.py: also when the output folder is a symlink into a web root), and a
folder holding anything else is refused rather than replaced.
Publishers on one host may rebuild at the same moment: a lock file beside the folder makes
them take turns, and each reads the database once it holds the lock, so the last rebuild
shows the latest state.
"""

from __future__ import annotations

import fcntl
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.errors import WorkFailed
from config.schema import LoadedCampaign
from db.copies import check_copies, reshareable
from db.models import ConsentRecord, Publication, Testimony
from db.outbox import of_campaign
from db.states import ConsentState, FormState, PublicationState, ReviewState
from publisher.common import first_name_of
from publisher.gallery_swap import put_in_place, refuse_foreign
from review.queue import posts_of
from storydesk.web.embeds import YOUTUBE_ID, web_url

TEMPLATES = Path(__file__).parent / "templates"
# Characters XML 1.0 forbids even escaped (C0 controls but tab, newline, carriage return;
# lone surrogates; U+FFFE, U+FFFF): one of them in a post makes the whole RSS feed
# unreadable to every reader, and they show as nothing on the page.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _printable(value: Any) -> Any:
    """Jinja's finalize: the text a participant wrote, less what no XML or HTML holds."""
    return NOT_XML.sub("", value) if isinstance(value, str) else value


def gallery_items(session: Session, loaded: LoadedCampaign) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Testimony, ConsentRecord, Publication.published_at)
        .join(Publication, Publication.testimony_id == Testimony.id)
        .outerjoin(ConsentRecord, ConsentRecord.id == Testimony.consent_id)
        .where(
            # the campaign's own: its forms were signed for it (db/outbox.of_campaign)
            Testimony.campaign_id == loaded.id,
            Publication.target == "gallery",
            Publication.state == PublicationState.DONE,
            Publication.takedown_requested_at.is_(None),
            Testimony.review_state == ReviewState.APPROVED,
            Testimony.consent_state.in_((ConsentState.MATCHED, ConsentState.NEEDS_CHECK)),
        )
        .order_by(Publication.published_at.desc(), Testimony.id.desc())
    ).all()
    posts = posts_of(session, [t.id for t, _, _ in rows])
    roles = loaded.settings.roles
    items = []
    for testimony, record, published_at in rows:
        # consent belongs to a copy: only those with their own evidence for this form
        going = {c.post_id for c in reshareable(check_copies(session, testimony, loaded.settings))}
        copies = [p for p in posts.get(testimony.id, []) if p["post_id"] in going]
        if not copies or (record is not None and record.state != FormState.ACTIVE):
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
                # only an http(s) address becomes a link, as on the review page
                "url": web_url((youtube or copies[0])["url"]),
                "embed": f"https://www.youtube-nocookie.com/embed/{youtube['native_id']}"
                if youtube and YOUTUBE_ID.match(str(youtube["native_id"] or ""))
                else None,
                "platforms": [p["platform"] for p in copies],
                "published": (published_at or datetime.now(UTC)).isoformat(),
            }
        )
    return items


@dataclass
class Built:
    path: Path
    cards: int
    withdrawn: list[int]  # gallery publications whose takedown was asked for: left out


class GalleryWriteFailed(WorkFailed):
    """The disk is full, the folder unwritable, ...: a person must act."""


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.with_name(f".{out.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def configured_out(loaded: LoadedCampaign) -> Path:
    settings = loaded.settings.publish.gallery
    return Path(settings.out if settings else "gallery")


def build_site(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, out_dir: Path | None = None
) -> Built:
    """Write the gallery to `out_dir` (default: the campaign's) and put it in place whole.
    Raises ForeignFolder (nothing touched) or GalleryWriteFailed (the old gallery stays)."""
    out = Path(out_dir) if out_dir is not None else configured_out(loaded)
    built = Built(out, 0, [])

    def write(folder: Path) -> None:
        with sessions() as session:
            # Withdrawn first: a takedown asked for before the cards are read is left out.
            built.withdrawn = withdrawn_cards(session, loaded.id)
            items = gallery_items(session, loaded)
        built.cards = len(items)
        _write_site(loaded, items, folder)

    try:
        refuse_foreign(out)  # before the lock file is made beside it
        with _exclusive(out):
            put_in_place(out, write)
    except OSError as exc:
        raise GalleryWriteFailed(
            f"could not write the gallery at {out}: {exc.strerror or exc}"
            + (f" ({exc.filename})" if exc.filename else "")
        ) from exc
    return built


def build_gallery(
    sessions: sessionmaker[Session], loaded: LoadedCampaign, out_dir: Path | None = None
) -> Path:
    return build_site(sessions, loaded, out_dir).path


def withdrawn_cards(session: Session, campaign_id: str) -> list[int]:
    """The campaign's gallery publications whose takedown is asked for and not yet done."""
    return list(
        session.scalars(
            select(Publication.id)
            .where(
                Publication.target == "gallery",
                Publication.takedown_requested_at.is_not(None),
                Publication.taken_down_at.is_(None),
                Publication.state != PublicationState.IN_FLIGHT,
                of_campaign(campaign_id),
            )
            .order_by(Publication.id)
        )
    )


def _write_site(loaded: LoadedCampaign, items: list[dict[str, Any]], staging: Path) -> None:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    settings = loaded.settings.publish.gallery
    title = settings.title if settings else loaded.settings.campaign.name
    site = settings.site_url if settings else ""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "xml", "j2"], default=True),
        finalize=_printable,
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
                **({"url": i["url"]} if i["url"] else {}),
                "content_text": i["text"],
                "title": f"{i['first_name']}, {i['city']}",
                "date_published": i["published"],
                "tags": i["platforms"],
            }
            for i in items
        ],
    }
    (staging / "feed.json").write_text(json.dumps(feed, ensure_ascii=False, indent=1), "utf-8")
