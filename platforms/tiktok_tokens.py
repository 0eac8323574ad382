"""TikTok user tokens: access tokens that last hours, refresh tokens that rotate.

"Although the fetched access_token expires within 2 hours, it can be refreshed without user
consent"; "Refresh tokens are rotated: a successful refresh request will return a new
refresh_token in place of the one you sent. The previous refresh token stops working once a
new one is issued. Always save the refresh_token from the most recent response"
(developers.tiktok.com/doc/oauth-refresh-a-user-access-token, updated 2026-11; lifetimes
from …/oauth-user-access-token-management: access token 2 h, refresh token 180 days, read
from `expires_in` and `refresh_expires_in`, never assumed).

So the newest refresh token cannot live in the environment: it is kept in an owner-only
token file (JSON, mode 0600, written whole to a fresh file and renamed over the old one).
The environment's refresh token only starts the chain, when there is no file yet. Saving
happens the moment TikTok answers, before the new access token is used; a lock beside the
file keeps two publishers from rotating the same refresh token.
"""

from __future__ import annotations

import fcntl
import json
import os
import stat
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from config import redact
from config.clock import Clock
from config.errors import ConfigError, CredentialRejected, Transient

# refreshed this long before TikTok's expiry, so no call goes out on a dying token
EARLY = timedelta(minutes=5)


@dataclass
class Tokens:
    access_token: str
    expires_at: str  # ISO time
    refresh_token: str
    refresh_expires_at: str
    open_id: str = ""
    scope: str = ""


class TokenStore:
    """The campaign's TikTok tokens: read from the token file, refreshed through TikTok."""

    def __init__(
        self,
        session: Any,
        token_url: str,
        path: Path,
        client_key: str,
        client_secret: str,
        first_refresh_token: str | None,
        clock: Clock,
        section: str = "publish.tiktok",
    ) -> None:
        self.session, self.token_url, self.path = session, token_url, path
        self.client_key, self.client_secret = client_key, client_secret
        self.first_refresh_token = first_refresh_token
        self.clock, self.section = clock, section
        self._tokens: Tokens | None = None

    # -- the file ------------------------------------------------------------------------
    def _read(self) -> Tokens | None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            return None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(
                f"{self.section}.token_file: {self.path} can be read by others; "
                f"run `chmod 600 {self.path}`"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            tokens = Tokens(**{k: str(data[k]) for k in Tokens.__dataclass_fields__ if k in data})
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"{self.section}.token_file: {self.path} is not a token file storydesk wrote "
                f"({type(exc).__name__}); delete it and set the refresh token in the environment"
            ) from None
        redact.remember(tokens.access_token)
        redact.remember(tokens.refresh_token)
        return tokens

    def _write(self, tokens: Tokens) -> None:
        from storydesk.private_file import write_private

        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_private(self.path, json.dumps(asdict(tokens), indent=2) + "\n")

    # -- the tokens ----------------------------------------------------------------------
    def access_token(self) -> str:
        """A token good for a while yet, refreshed (and saved) first when it is not."""
        tokens = self._tokens or self._read()
        if tokens is None or self._dying(tokens):
            tokens = self.refresh(stale=tokens)
        self._tokens = tokens
        return tokens.access_token

    def current(self) -> Tokens | None:
        return self._tokens

    def refresh(self, stale: Tokens | None = None) -> Tokens:
        """A new access token for the newest refresh token, saved before it is used. Under
        the lock, the file is read again: another process may have refreshed already."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            current = self._read()
            fresh = current is not None and (stale is None or current != stale)
            if current is not None and fresh and not self._dying(current):
                self._tokens = current
                return current
            refresh_token = current.refresh_token if current else self.first_refresh_token
            if not refresh_token:
                raise ConfigError(
                    f"{self.section}.refresh_token_env: no TikTok refresh token: authorise the "
                    "app as the campaign account and put its refresh token in the variable"
                )
            tokens = self._ask(refresh_token)
            self._write(tokens)  # before anything else: the old refresh token is dead now
            self._tokens = tokens
            return tokens
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            os.close(descriptor)

    def _dying(self, tokens: Tokens) -> bool:
        try:
            ends = datetime.fromisoformat(tokens.expires_at)
        except ValueError:
            return True
        return ends - EARLY <= self.clock.now()

    def _ask(self, refresh_token: str) -> Tokens:
        import requests

        now = self.clock.now()
        try:
            response = self.session.post(
                self.token_url,
                data={
                    "client_key": self.client_key,
                    "client_secret": self.client_secret,
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                },
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise Transient(f"tiktok token refresh: {type(exc).__name__}") from None
        if response.status_code >= 500:
            raise Transient(f"tiktok token refresh: HTTP {response.status_code}")
        if not isinstance(body, dict) or not body.get("access_token"):
            error = body.get("error") if isinstance(body, dict) else None
            raise CredentialRejected(
                f"{self.section}: TikTok refused the refresh token ({error or 'no token'}): "
                "it expired, was revoked, or was already rotated; authorise the app again as "
                f"the campaign account, set the new refresh token in the environment and "
                f"delete {self.path}"
            )
        redact.remember(str(body["access_token"]))
        redact.remember(str(body.get("refresh_token", "")))
        return Tokens(
            access_token=str(body["access_token"]),
            expires_at=(now + timedelta(seconds=int(body.get("expires_in") or 0))).isoformat(),
            # the newest refresh token; TikTok always sends one, else the old one stands
            refresh_token=str(body.get("refresh_token") or refresh_token),
            refresh_expires_at=(
                now + timedelta(seconds=int(body.get("refresh_expires_in") or 0))
            ).isoformat(),
            open_id=str(body.get("open_id", "")),
            scope=str(body.get("scope", "")),
        )
