"""The review page's routes (Flask): read a card, take a decision through review.actions.

GET  /                  the first card of the filtered queue
GET  /t/<id>            one testimony beside the queue
POST /t/<id>/decide     approve / reject / hold, with the card version the reviewer saw:
                        303 to the next card when taken, 409 with the card as it now
                        stands when someone else changed it, 422 when a rule refused it
                        (with the override reason field where an override is allowed)
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, url_for
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from config.clock import Clock
from config.errors import WorkFailed
from config.schema import LoadedCampaign
from db.states import ReviewState
from storydesk.params import LARGEST_ID
from storydesk.web import security
from storydesk.web.view import Filters, next_card, page, roles_of

ACTIONS = ("approve", "reject", "hold")
FLASHES_KEPT = 200  # outcome messages waiting to be shown after a redirect
TEXT_LIMIT = 2000  # a reason or note longer than this is someone's paste gone wrong


@dataclass
class Desk:
    """Everything the page works with, built once per `review --web`."""

    sessions: sessionmaker[Session]
    loaded: LoadedCampaign
    clock: Clock
    reviewer: str
    port: int = 0
    keys: security.Keys = field(default_factory=security.Keys)
    flashes: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def flash(self, message: str) -> str:
        key = secrets.token_urlsafe(8)
        self.flashes[key] = message
        while len(self.flashes) > FLASHES_KEPT:
            self.flashes.popitem(last=False)
        return key


class TestimonyId(IntegerConverter):
    """/t/<id>: plain digits from 1 to the largest row id (storydesk.params), else 404."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=LARGEST_ID)


def link(endpoint: str, values: dict[str, Any]) -> str:
    return url_for(endpoint, **values)


def create_app(desk: Desk) -> Flask:
    app = Flask(__name__)
    # a testimony id is a row id: past the id column's range it names no testimony (404),
    # rather than overflowing in the database driver (500)
    app.url_map.converters["tid"] = TestimonyId
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024  # a decision is a few fields
    roles = roles_of(desk.loaded)

    @app.before_request
    def guard() -> BaseResponse | None:
        port = desk.port
        if not security.host_ok(request.host, port):
            abort(403)
        token = request.args.get(security.TOKEN)
        if token is not None:
            if not desk.keys.token_ok(token):
                abort(403)
            args = {k: v for k, v in request.args.items() if k != security.TOKEN}
            endpoint = request.endpoint or "home"
            response = redirect(link(endpoint, {**(request.view_args or {}), **args}), 303)
            response.set_cookie(
                security.COOKIE, desk.keys.session, httponly=True, samesite="Strict", path="/"
            )
            return response
        if not desk.keys.session_ok(request.cookies.get(security.COOKIE)):
            abort(403)
        if request.method == "POST":
            given = request.form.get("csrf") or request.headers.get("X-CSRF-Token")
            if not desk.keys.csrf_ok(given) or not security.origin_ok(
                request.headers.get("Origin"), port
            ):
                abort(403)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.update(security.HEADERS)
        return response

    @app.errorhandler(HTTPException)
    def plain_error(error: HTTPException) -> tuple[str, int, dict[str, str]]:
        words = {
            403: "Forbidden: open the address `storydesk review --web` printed, with its token.",
            404: "No such page or testimony.",
        }.get(error.code or 500, error.description or "Error")
        return f"{error.code} {words}\n", error.code or 500, {"Content-Type": "text/plain"}

    def render(context: dict[str, Any], status: int = 200, **extra: Any) -> tuple[str, int]:
        if "said" not in extra:
            extra["said"] = desk.flashes.pop(request.args.get("said", ""), None)
        extra.setdefault("chosen", None)
        shown_copies = context.get("copies") or []
        # a choice where copies differ: several, and the card still to be approved
        extra["choosing"] = (
            len(shown_copies) > 1
            and context["card"] is not None
            and context["card"]["review"] != ReviewState.APPROVED
        )
        page = render_template(
            "review.html",
            **context,
            **extra,
            reviewer=desk.reviewer,
            csrf=desk.keys.csrf,
            campaign=desk.loaded.settings.campaign.name,
        )
        return page, status

    @app.get("/")
    def home() -> Any:
        filters = Filters.from_args(request.args, roles)
        with desk.sessions() as session:
            first = filters.listed(session, desk.loaded.id, 1)
            if first:
                return redirect(link("card", {"tid": first[0]["id"], **filters.query()}), 303)
            return render(page(session, desk.loaded, filters, None))

    @app.get("/t/<tid:tid>")
    def card(tid: int) -> Any:
        filters = Filters.from_args(request.args, roles)
        with desk.sessions() as session:
            return render(shown(session, filters, tid))

    def shown(session: Session, filters: Filters, tid: int) -> dict[str, Any]:
        try:
            return page(session, desk.loaded, filters, tid)
        except WorkFailed:
            abort(404)

    @app.post("/t/<tid:tid>/decide")
    def decide(tid: int) -> Any:
        from review.refusals import overridable, reason
        from review.versions import ChangedMeanwhile

        filters = Filters.from_args(request.form, roles)
        action = request.form.get("action", "")
        text = (request.form.get("text") or "").strip()[:TEXT_LIMIT]
        version = request.form.get("version", "")
        if action not in ACTIONS:
            abort(400)
        override = request.form.get("override") == "1"
        chosen: list[int] | None = None
        if action == "approve" and request.form.get("choose") == "1":
            try:
                chosen = [int(value) for value in request.form.getlist("copy")]
            except ValueError:
                abort(400)
        if not text and (action in ("reject", "hold") or override):
            word = {"reject": "A reason", "hold": "A note"}.get(action, "An override reason")
            with desk.sessions() as session:
                return render(
                    shown(session, filters, tid), 422, said=f"{word} is required; nothing done."
                )
        try:
            outcome = take(tid, action, text or None, version, override, chosen)
        except ChangedMeanwhile as changed:
            with desk.sessions() as session:
                return render(shown(session, filters, tid), 409, changed=changed.message())
        if not outcome.ok:
            with desk.sessions() as session:
                return render(
                    shown(session, filters, tid),
                    422,
                    refused=reason(outcome),
                    overridable=overridable(outcome) and action == "approve",
                    chosen=chosen,
                )
        with desk.sessions() as session:
            following = next_card(session, desk.loaded.id, filters, tid)
        key = desk.flash(outcome.message)
        if following is None:
            return redirect(link("home", {"said": key, **filters.query()}), 303)
        return redirect(link("card", {"tid": following, "said": key, **filters.query()}), 303)

    def take(
        tid: int,
        action: str,
        text: str | None,
        version: str,
        override: bool,
        chosen: list[int] | None,
    ) -> Any:
        """The decision, through the same functions as the CLI, on the card the reviewer
        saw (review.versions) or not at all; `chosen`, the copies ticked to go out."""
        from review.actions import approve, withdraw
        from review.versions import lock_unchanged

        now = desk.clock.now()
        with desk.sessions() as session, session.begin():
            lock_unchanged(session, tid, version)
            if action == "approve":
                reason = text if override else None
                note = None if override else text
                return approve(
                    session,
                    desk.loaded,
                    [tid],
                    desk.reviewer,
                    now,
                    note,
                    override_reason=reason,
                    copies=chosen,
                )[0]
            return withdraw(
                session,
                [tid],
                action,
                desk.reviewer,
                text or "",
                now,
                campaign_id=desk.loaded.id,
            )[0]

    return app
