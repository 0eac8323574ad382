"""The gallery carries participants' own words: posts and forms full of HTML/JS payloads
are opened in headless Chromium; the cards render the payloads as text and nothing runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db import models
from db.session import make_engine
from tests.publisher.flow import approve_matched
from tests.sandboxed import make_setup

PAYLOADS = [
    "<img src=x onerror=\"document.title='pwned'\">",
    "<script>document.body.setAttribute('data-x','pwned')</script>",
    '"><svg onload="document.title=\'pwned\'">',
    "</div></article><iframe srcdoc=\"<script>parent.document.title='pwned'</script>\"></iframe>",
]
NAME = "<svg/onload=document.title='pwned'>Ann"  # a first name is the form's first word
CITY = "<img/src=x/onerror=document.body.setAttribute('data-x','pwned')>"
QUESTION = "<script>document.title='pwned'</script>What keeps you learning?"
TITLE = "Learning never stops: testimonies (sandbox)"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        message = "headless Chromium not installed (Debian: apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the browser check must run)")
        pytest.skip(message)
    return found


def dump_dom(browser: str, page: Path, profile: Path) -> str:
    """The DOM after the page loaded and any script on it ran."""
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            f"--user-data-dir={profile}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "<html" in result.stdout, result.stderr[-2000:]
    return result.stdout


class Dom(HTMLParser):
    """Elements with their attributes, and the text inside each card's parts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.parts: dict[tuple[str, str], str] = {}  # (card id, class) -> text
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._card = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "article":
            self._card = attributes.get("id") or ""
        if tag not in ("img", "meta", "link", "br", "input"):
            self._stack.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][0] == "title":
            self.title += data
        for tag, attributes in self._stack[::-1]:
            if tag == "div" and attributes.get("class") in ("who", "where", "q", "text"):
                key = (self._card, str(attributes["class"]))
                self.parts[key] = self.parts.get(key, "") + data
                break


def poison(sandbox: Any) -> None:
    """Every post in the outside world opens with a payload (its hashtags stay, so the
    harvest still finds it)."""
    with sandbox.state.lock:
        for n, post in enumerate(sandbox.state.world.posts):
            post.text = f"{PAYLOADS[n % len(PAYLOADS)]} {post.text}"
        sandbox.state.invalidate()


def poison_forms(db_url: str) -> None:
    """The form fields shown on a card, as a participant (or an attacker) typed them."""
    engine = make_engine(db_url)
    with Session(engine) as session, session.begin():
        shown = select(models.Publication.testimony_id).where(models.Publication.state == "done")
        consent_ids = select(models.Testimony.consent_id).where(models.Testimony.id.in_(shown))
        session.execute(
            update(models.ConsentRecord)
            .where(models.ConsentRecord.id.in_(consent_ids))
            .values(full_name=f"{NAME} Example", city=CITY, country=PAYLOADS[0])
        )
        session.execute(
            update(models.Testimony).where(models.Testimony.id.in_(shown)).values(question=QUESTION)
        )
    engine.dispose()


def check_inert(dom: Dom, feed: dict[str, Any]) -> None:
    assert dom.title == TITLE, "a payload changed the document title: script ran"
    body = [attrs for tag, attrs in dom.elements if tag == "body"]
    assert body == [{}], f"a payload touched <body>: {body}"
    for tag, attrs in dom.elements:
        assert tag not in ("script", "svg", "img", "object", "embed"), (tag, attrs)
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "iframe":
            assert "srcdoc" not in attrs
            assert str(attrs["src"]).startswith("https://www.youtube-nocookie.com/embed/")
    cards = [attrs["id"] for tag, attrs in dom.elements if tag == "article"]
    assert cards == [f"t{item['id']}" for item in feed["items"]]
    for item in feed["items"]:
        card = f"t{item['id']}"
        assert dom.parts[(card, "text")] == item["content_text"]
        assert any(p in item["content_text"] for p in PAYLOADS)
        assert dom.parts[(card, "who")].startswith(NAME)
        assert dom.parts[(card, "where")] == f"{CITY}, {PAYLOADS[0]}"
        assert dom.parts[(card, "q")] == QUESTION


@pytest.mark.slow
def test_payloads_in_posts_and_forms_render_as_text_and_never_run(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    browser = chromium()
    # The harness sees script run when there is script to run.
    control = tmp_path / "control.html"
    control.write_text(f"<!doctype html><title>{TITLE}</title><body>{PAYLOADS[0]}{PAYLOADS[1]}")
    ran = Dom(dump_dom(browser, control, tmp_path / "profile"))
    assert ran.title == "pwned" and [a for t, a in ran.elements if t == "body"] == [
        {"data-x": "pwned"}
    ]

    poison(sandbox)
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("gallery",))
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    poison_forms(sqlite_url)
    site = tmp_path / "site"
    built = setup.cli("gallery", "--out", str(site))
    assert built.exit_code == 0, built.stderr

    feed = json.loads((site / "feed.json").read_text())
    assert len(feed["items"]) >= 3
    check_inert(Dom(dump_dom(browser, site / "index.html", tmp_path / "profile")), feed)

    # Escaping alone holds: without the page's Content-Security-Policy nothing runs either.
    index = (site / "index.html").read_text()
    bare = tmp_path / "site" / "no-csp.html"
    bare.write_text(
        "\n".join(li for li in index.splitlines() if "Content-Security-Policy" not in li)
    )
    check_inert(Dom(dump_dom(browser, bare, tmp_path / "profile")), feed)

    # RSS readers get the same words back, as text.
    rss = ET.parse(site / "rss.xml").getroot()
    descriptions = [d.text for d in rss.iter("description")][1:]  # [0] is the channel's
    assert descriptions == [item["content_text"] for item in feed["items"]]


def test_control_characters_in_a_post_leave_the_rss_feed_readable(
    tmp_path: Path, sandbox: Any, sqlite_url: str
) -> None:
    """A post holding a character XML forbids (a vertical tab, an escape, U+FFFF): before,
    rss.xml carried it and no feed reader could read any item; now it is left out of the
    feed and the page, and the rest of the words stay as written."""
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("gallery",))
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    said = "Line\x0bbreak \x1b[31mred\x1b[0m ]]> <b>&amp;</b> \u202eevil\u202c end\uffff\x00"
    engine = make_engine(sqlite_url)
    with Session(engine) as session, session.begin():
        session.execute(update(models.Post).values(text=said))
    engine.dispose()
    site = tmp_path / "site"
    built = setup.cli("gallery", "--out", str(site))
    assert built.exit_code == 0, built.stderr

    clean = "Linebreak [31mred[0m ]]> <b>&amp;</b> \u202eevil\u202c end"
    rss = ET.parse(site / "rss.xml").getroot()  # before: ParseError, not well-formed
    descriptions = [d.text for d in rss.iter("description")][1:]
    assert descriptions and set(descriptions) == {clean}
    page = (site / "index.html").read_text()
    assert "\x0b" not in page and "\x1b" not in page
    assert "Linebreak [31mred[0m ]]&gt; &lt;b&gt;&amp;amp;&lt;/b&gt;" in page


@pytest.mark.parametrize(
    "address", ["javascript:alert(document.domain)", "data:text/html,<script>x</script>"]
)
def test_a_post_address_that_is_not_http_becomes_no_link(
    tmp_path: Path, sandbox: Any, sqlite_url: str, address: str
) -> None:
    """A stored post address that is not http(s) (from an older harvest, or a database
    edited by hand): before, it became the card's link, RSS <link> and the JSON Feed's
    url; now the card has no link and the feeds no address, as on the review page, and a
    YouTube id that is not one gets no player."""
    setup = make_setup(tmp_path, sandbox.base_url, sqlite_url, targets=("gallery",))
    approve_matched(setup)
    assert setup.cli("publish").exit_code == 0
    engine = make_engine(sqlite_url)
    with Session(engine) as session, session.begin():
        session.execute(
            update(models.Post).values(url=address, native_id=models.Post.native_id + "?x=1")
        )
    engine.dispose()
    site = tmp_path / "site"
    built = setup.cli("gallery", "--out", str(site))
    assert built.exit_code == 0, built.stderr

    feed = json.loads((site / "feed.json").read_text())
    assert feed["items"] and all("url" not in item for item in feed["items"])
    for name in ("index.html", "rss.xml", "feed.json"):
        written = (site / name).read_text()
        assert address[:12] not in written, name
    dom = Dom((site / "index.html").read_text())
    assert not [a for tag, a in dom.elements if tag in ("a", "iframe")]
    links = [link.text for link in ET.parse(site / "rss.xml").getroot().iter("link")]
    assert len(links) == 1  # the channel's own, to the site
