"""Answering a participant's post as the campaign account, and reading the answers.

Only where the platform lets the campaign account answer a post it did not write:
- X: a reply (POST /2/tweets with reply.in_reply_to_tweet_id). Since 24 February 2026 X
  lets self-serve apps reply only when the post's author mentions (or quotes) the replying
  account, so only posts that tag the campaign account are answered by reply. X's automation
  rules allow an automated reply or mention only to people who asked to be contacted; so a
  request goes out only on a staff command, one per person (developer.x.com automation
  rules; docs.x.com developer guidelines, "App auto-replies to anyone mentioning a keyword":
  not allowed). Our replies and the answers are found with the conversation_id search
  operator (docs.x.com/x-api/fundamentals/conversation-id).
- YouTube: a top-level comment on the video (commentThreads.insert: snippet.videoId,
  snippet.topLevelComment.snippet.textOriginal; 50 quota units; the channel owner's OAuth
  token, whose grant must include the youtube.force-ssl scope,
  developers.google.com/youtube/v3/docs/commentThreads/insert). Our comment is found again
  with commentThreads.list searchTerms=<code>; answers are the replies in its thread
  (comments.list parentId=<our thread>) and the video owner's own top-level comments.
- Facebook: Meta's Pages API lets the Page comment on the Page's posts and on posts
  published on the Page (developers.facebook.com/documentation/pages-api/comments-mentions),
  not on a person's own post that tags the Page, which is what the campaign harvests: a
  request there is a message staff send by hand.
- Instagram: the Graph API gives no commenting on media found by hashtag (conformance
  README), so a request there is a message staff send by hand; likewise everywhere else.

Each replier says whether it can answer a post, answers it, and finds our earlier answer
carrying a request's code (a crash between the call and the record is reconciled by
looking, never by answering again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from config.errors import ConfigError, Refused
from config.schema import LoadedCampaign
from platforms.base import reraise

X_LIMIT, X_URL_WEIGHT = 280, 23  # X counts every link as 23 characters


@dataclass(frozen=True)
class Answer:
    """A post in the thread under a participant's post."""

    id: str
    author_id: str | None
    text: str
    at: datetime | None


class Replier(Protocol):
    platform: str

    def why_not(self, mentions: list[str]) -> str | None: ...

    def check_text(self, text: str) -> None: ...

    def reply(self, native_id: str, text: str, author_id: str | None) -> str: ...

    def ours_with(self, native_id: str, code: str) -> list[str]: ...

    def answers(self, native_id: str, ours: str | None) -> list[Answer]: ...


def _x_call(what: str, now: Callable[[], datetime], fn: Any, *args: Any, **kwargs: Any) -> Any:
    """One call, its errors sorted by who must act by X's one classification (platforms.x);
    a reply X refuses because the post does not mention us refuses this request only."""
    import tweepy

    from platforms import x

    try:
        return fn(*args, **kwargs)
    except tweepy.Forbidden as exc:
        if "mentioned" in str(exc).lower():
            raise Refused(f"x {what}: X refused it: the post does not mention us") from exc
        reraise(x.classify, exc, what, now())
    except Exception as exc:  # noqa: BLE001 - classified, or raised as it is
        reraise(x.classify, exc, what, now())


class XReplier:
    platform = "x"

    def __init__(self, user_client: Any, search_client: Any, now: Callable[[], datetime]) -> None:
        self.user, self.search, self.now = user_client, search_client, now
        self._me: tuple[str, str] | None = None

    def me(self) -> tuple[str, str]:
        if self._me is None:
            answer = _x_call("users/me", self.now, self.user.get_me, user_auth=True)
            self._me = (str(answer["data"]["id"]), str(answer["data"]["username"]))
        return self._me

    def why_not(self, mentions: list[str]) -> str | None:
        username = self.me()[1].lower()
        if username not in {m.lstrip("@").lower() for m in mentions}:
            return f"the post does not mention @{self.me()[1]}, and X lets apps reply only then"
        return None

    def check_text(self, text: str) -> None:
        import re

        length = len(re.sub(r"https?://\S+", "x" * X_URL_WEIGHT, text))
        if length > X_LIMIT:
            raise ConfigError(
                f"consent.request.text: the request is {length} characters on X, "
                f"over its {X_LIMIT}; shorten the text"
            )

    def reply(self, native_id: str, text: str, author_id: str | None) -> str:
        answer = _x_call(
            "reply",
            self.now,
            self.user.create_tweet,
            text=text,
            in_reply_to_tweet_id=native_id,
            user_auth=True,
        )
        return str(answer["data"]["id"])

    def _thread(self, query: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        token = None
        for _ in range(10):  # a bounded walk: 1,000 posts under one testimony is plenty
            page = _x_call(
                "conversation search",
                self.now,
                self.search.search_recent_tweets,
                query=query,
                max_results=100,
                tweet_fields=["author_id", "created_at", "conversation_id"],
                next_token=token,
            )
            found += page.get("data") or []
            token = (page.get("meta") or {}).get("next_token")
            if not token:
                break
        return found

    def ours_with(self, native_id: str, code: str) -> list[str]:
        query = f"conversation_id:{native_id} from:{self.me()[1]}"
        return [str(t["id"]) for t in self._thread(query) if code in str(t.get("text", ""))]

    def answers(self, native_id: str, ours: str | None) -> list[Answer]:
        """Everyone's posts in the thread but ours (our request names both hashtags)."""
        me = self.me()[0]
        return [
            Answer(
                str(t["id"]),
                str(t["author_id"]) if t.get("author_id") else None,
                str(t.get("text", "")),
                _when(t.get("created_at")),
            )
            for t in self._thread(f"conversation_id:{native_id}")
            if str(t.get("author_id")) != me
        ]


def _yt_execute(request: Any, what: str, now: Callable[[], datetime]) -> Any:
    """One call, its errors sorted by YouTube's one classification (platforms.youtube)."""
    from platforms import youtube

    try:
        # no library retries: they sleep on the wall clock, and an insert answered 5xx may
        # have posted (a retry would reply twice); the caller's bounds decide what is tried again
        return request.execute(num_retries=0)
    except Exception as exc:  # noqa: BLE001 - classified, or raised as it is
        reraise(youtube.classify, exc, what, now())


class YouTubeReplier:
    platform = "youtube"

    def __init__(self, client: Any, now: Callable[[], datetime]) -> None:
        self.client, self.now = client, now

    def why_not(self, mentions: list[str]) -> str | None:
        return None  # a video's comments are open to the channel unless its owner closed them

    def check_text(self, text: str) -> None:
        if len(text) > 10_000:  # commentTextTooLong
            raise ConfigError("consent.request.text: over YouTube's 10,000 characters")

    def reply(self, native_id: str, text: str, author_id: str | None) -> str:
        snippet: dict[str, Any] = {
            "videoId": native_id,
            "topLevelComment": {"snippet": {"textOriginal": text}},
        }
        if author_id:
            snippet["channelId"] = author_id
        thread = _yt_execute(
            self.client.commentThreads().insert(part="snippet", body={"snippet": snippet}),
            "commentThreads.insert",
            self.now,
        )
        return str(thread["id"])

    def ours_with(self, native_id: str, code: str) -> list[str]:
        found = _yt_execute(
            self.client.commentThreads().list(
                part="snippet", videoId=native_id, searchTerms=code, maxResults=100
            ),
            "commentThreads.list",
            self.now,
        )
        return [
            str(t["id"])
            for t in found.get("items", [])
            if code in t["snippet"]["topLevelComment"]["snippet"].get("textOriginal", "")
        ]

    def answers(self, native_id: str, ours: str | None) -> list[Answer]:
        comments: list[dict[str, Any]] = []
        if ours:
            found = _yt_execute(
                self.client.comments().list(part="snippet", parentId=ours, maxResults=100),
                "comments.list",
                self.now,
            )
            comments += found.get("items", [])
        return [
            Answer(
                str(c["id"]),
                (c["snippet"].get("authorChannelId") or {}).get("value"),
                str(c["snippet"].get("textOriginal") or c["snippet"].get("textDisplay") or ""),
                _when(c["snippet"].get("publishedAt")),
            )
            for c in comments
        ]


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


class Repliers:
    """The repliers this campaign can use, built on first use (building a client costs)."""

    def __init__(self, loaded: LoadedCampaign, now: Callable[[], datetime]) -> None:
        self.loaded, self.now = loaded, now
        self._built: dict[str, Replier | None] = {}

    def get(self, platform: str) -> Replier | None:
        if platform not in self._built:
            self._built[platform] = self._build(platform)
        return self._built[platform]

    def _build(self, platform: str) -> Replier | None:
        settings = self.loaded.settings
        if platform == "x" and settings.publish.x is not None and settings.platforms.x:
            from platforms.x import search_client, user_client

            return XReplier(user_client(self.loaded), search_client(self.loaded), self.now)
        if platform == "youtube" and settings.publish.youtube is not None:
            from platforms.youtube import owner_client

            return YouTubeReplier(owner_client(self.loaded), self.now)
        return None

    def why_not(self, platform: str) -> str:
        if platform == "x":
            return "X replies need [publish.x] (the campaign account) and [platforms.x]"
        if platform == "youtube":
            return "YouTube comments need [publish.youtube] (the channel owner's authorisation)"
        if platform == "facebook":
            # developers.facebook.com/documentation/pages-api/comments-mentions: the Page
            # comments on its own posts and on posts published on the Page; a person's own
            # post that tags the Page is not one of them
            return (
                "Meta's Pages API lets the Page comment only on posts on the Page, not on a "
                "person's post that tags it"
            )
        if platform == "instagram":
            return "Instagram's API does not let the campaign comment on posts found by hashtag"
        return f"storydesk cannot answer posts on {platform}"
