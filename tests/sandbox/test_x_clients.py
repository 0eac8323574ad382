"""tweepy, unchanged, against the sandbox: recent search with its Paginator, lookups with
deleted and protected tweets, the account's identity, retweets and new tweets.

Every answer tweepy receives is checked against X's OpenAPI document at the end of each test.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import tweepy

from sandbox.constants import X_ACCOUNT_ID
from tests.sandbox.schemas import assert_conform, x_openapi
from tests.sandbox.support import (
    ACCOUNT_TOKEN,
    CAMPAIGN_QUERY,
    campaign_posts,
    control,
    stats,
    x_client,
)


@pytest.mark.world(posts=60)
def test_paginator_walks_every_campaign_tweet_once(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url)
    # search shows an edited post as its latest version
    expected = {p.latest_id for p in campaign_posts(sandbox, "x")}

    seen: list[str] = []
    pages = 0
    for page in tweepy.Paginator(
        client.search_recent_tweets,
        CAMPAIGN_QUERY,
        max_results=10,
        expansions="author_id,attachments.media_keys",
        tweet_fields="created_at,author_id,entities,attachments",
        media_fields="duration_ms,type,preview_image_url,variants",
    ):
        pages += 1
        seen += [tweet.id for tweet in page.data or []]
        authors = {user.id for user in page.includes.get("users", [])}
        assert {tweet.author_id for tweet in page.data} <= authors

    assert len(seen) == len(set(seen)) == len(expected) > 10
    assert {str(i) for i in seen} == expected
    # the sandbox's published truth: every X post, less those posted without a hashtag
    truth = requests.get(f"{sandbox.base_url}/__sandbox__/truth", timeout=10).json()
    untagged = {p.native_id for p in sandbox.state.world.posts if "#" not in p.text}
    first = {p.latest_id: p.native_id for p in sandbox.state.world.posts}  # truth: original ids
    assert {first[str(i)] for i in seen} == {
        t["native_id"] for t in truth if t["platform"] == "x"
    } - untagged
    assert seen == sorted(seen, reverse=True)  # newest first, as X pages
    assert pages == -(-len(expected) // 10)
    assert_conform(x_openapi(), recorder.exchanges)


def test_since_id_from_a_first_page_asks_only_for_what_is_new(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, return_type=dict)
    first = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=100)
    newest = first["meta"]["newest_id"]
    assert newest == max((p.latest_id for p in campaign_posts(sandbox, "x")), key=int)

    added = control(sandbox.base_url, "posts", {"count": 3, "platform": "x"})["added"]
    later = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10, since_id=newest)
    assert {t["id"] for t in later["data"]} == {a["native_id"] for a in added}
    assert later["meta"]["result_count"] == 3 and "next_token" not in later["meta"]

    nothing = client.search_recent_tweets(
        CAMPAIGN_QUERY, max_results=10, since_id=later["meta"]["newest_id"]
    )
    assert nothing == {"meta": {"result_count": 0}}
    assert_conform(x_openapi(), recorder.exchanges)


@pytest.mark.world(posts=60)
def test_until_id_pages_below_a_tweet(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, return_type=dict)
    ids = sorted((p.latest_id for p in campaign_posts(sandbox, "x")), key=int, reverse=True)
    below = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=10, until_id=ids[4])
    assert [t["id"] for t in below["data"]] == ids[5:15]
    both = client.search_recent_tweets(
        CAMPAIGN_QUERY, max_results=10, until_id=ids[4], since_id=ids[8]
    )
    assert [t["id"] for t in both["data"]] == ids[5:8]
    assert_conform(x_openapi(), recorder.exchanges)


def test_a_tweet_reads_the_same_in_search_and_lookup(sandbox: Any) -> None:
    client, _ = x_client(sandbox.base_url, return_type=dict)
    fields = {
        "expansions": "author_id,attachments.media_keys",
        "tweet_fields": "created_at,author_id,entities,attachments,lang,public_metrics",
        "media_fields": "duration_ms,type,preview_image_url,variants",
        "user_fields": "created_at,verified",
    }
    found = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=20, **fields)
    looked_up = client.get_tweets([t["id"] for t in found["data"]], **fields)
    assert looked_up["data"] == found["data"]
    assert looked_up["includes"] == found["includes"]


def test_every_tweet_carries_its_edit_history(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, return_type=dict)
    answer = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=100)
    # the latest version last; an edited post's history starts with its original id
    assert all(t["edit_history_tweet_ids"][-1] == t["id"] for t in answer["data"])
    assert any(len(t["edit_history_tweet_ids"]) == 2 for t in answer["data"])
    headers = recorder.exchanges[0].headers
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(headers)


def test_deleted_and_protected_tweets_come_back_in_errors(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url)
    kept, deleted, protected = (p.native_id for p in campaign_posts(sandbox, "x")[:3])
    control(sandbox.base_url, "delete", {"platform": "x", "native_id": deleted})
    control(
        sandbox.base_url, "delete", {"platform": "x", "native_id": protected, "mode": "protected"}
    )

    answer = client.get_tweets([kept, deleted, protected], tweet_fields="created_at")
    assert [str(t.id) for t in answer.data] == [kept]
    errors = {e["resource_id"]: e for e in answer.errors}
    assert errors[deleted]["title"] == "Not Found Error"
    assert errors[deleted]["type"] == "https://api.twitter.com/2/problems/resource-not-found"
    assert errors[protected]["title"] == "Authorization Error"
    assert all(e["parameter"] == "ids" and e["resource_type"] == "tweet" for e in answer.errors)

    single = client.get_tweet(deleted)
    assert single.data is None and single.errors[0]["parameter"] == "id"

    # gone from search as well
    found = client.search_recent_tweets(CAMPAIGN_QUERY, max_results=100).data
    assert deleted not in {str(t.id) for t in found}
    assert_conform(x_openapi(), recorder.exchanges)


def test_the_acting_user_comes_from_the_access_token(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, access_token="777000111-someoneElse")
    me = client.get_me(user_auth=True)
    assert me.data.id == 777000111
    account, _ = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    assert str(account.get_me(user_auth=True).data.id) == X_ACCOUNT_ID
    assert_conform(x_openapi(), recorder.exchanges)


def test_retweet_and_undo(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    tweet = campaign_posts(sandbox, "x")[0].native_id

    assert client.retweet(tweet).data == {"retweeted": True}
    assert stats(sandbox.base_url)["retweets"] == [tweet]
    retweeters = client.get_retweeters(tweet)
    assert [str(u.id) for u in retweeters.data] == [X_ACCOUNT_ID]
    writes = stats(sandbox.base_url)["writes"]
    assert writes[-1]["method"] == "POST"
    assert writes[-1]["path"] == f"/2/users/{X_ACCOUNT_ID}/retweets"

    assert client.unretweet(tweet).data == {"retweeted": False}
    assert stats(sandbox.base_url)["retweets"] == []
    assert_conform(x_openapi(), recorder.exchanges)


def test_retweet_of_a_deleted_tweet_is_refused(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    tweet = campaign_posts(sandbox, "x")[0].native_id
    control(sandbox.base_url, "delete", {"platform": "x", "native_id": tweet})
    with pytest.raises(tweepy.BadRequest):
        client.retweet(tweet)
    assert_conform(x_openapi(), recorder.exchanges)


def test_create_quote_and_delete_tweets(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    original = campaign_posts(sandbox, "x")[0].native_id
    control(sandbox.base_url, "x-account", {"quote_access": True})  # an Enterprise account

    created = client.create_tweet(text="Learning never stops: hear Amina", quote_tweet_id=original)
    new_id = created.data["id"]
    assert created.data["text"] == "Learning never stops: hear Amina"
    assert created.data["edit_history_tweet_ids"] == [new_id]

    timeline = client.get_users_tweets(X_ACCOUNT_ID, user_auth=True)
    assert [str(t.id) for t in timeline.data] == [new_id]

    with pytest.raises(tweepy.Forbidden, match="duplicate"):
        client.create_tweet(text="Learning never stops: hear Amina")
    with pytest.raises(tweepy.BadRequest):
        client.create_tweet(text="x" * 281)

    assert client.delete_tweet(new_id).data == {"deleted": True}
    assert client.get_users_tweets(X_ACCOUNT_ID, user_auth=True).data is None
    assert_conform(x_openapi(), recorder.exchanges)


def test_search_parameters_are_checked_as_x_checks_them(sandbox: Any) -> None:
    client, recorder = x_client(sandbox.base_url)
    with pytest.raises(tweepy.BadRequest, match="max_results"):
        client.search_recent_tweets(CAMPAIGN_QUERY, max_results=5)
    with pytest.raises(tweepy.BadRequest, match="max_results"):
        client.search_recent_tweets(CAMPAIGN_QUERY, max_results=101)
    assert_conform(x_openapi(), recorder.exchanges)


@pytest.mark.world(posts=60)
def test_x_as_it_is_long_posts_escapes_withheld_and_gifs(sandbox: Any) -> None:
    """note_tweet holds a long post whole, `text` its first 280 characters; & < > come
    escaped; withheld and animated_gif come as X's data dictionary describes them."""
    client, recorder = x_client(sandbox.base_url, return_type=dict)
    withheld = campaign_posts(sandbox, "x")[0].native_id
    control(sandbox.base_url, "withhold", {"native_id": withheld, "countries": ["DE", "FR"]})
    answer = client.search_recent_tweets(
        CAMPAIGN_QUERY,
        max_results=100,
        expansions="attachments.media_keys",
        tweet_fields="note_tweet,withheld,entities,attachments",
        media_fields="type,duration_ms",
    )
    world = {p.latest_id: p for p in sandbox.state.world.posts if p.platform == "x"}
    tweets = answer["data"]
    long = [t for t in tweets if "note_tweet" in t]
    assert long and all(len(world[t["id"]].text) > 280 for t in long)
    for tweet in long:
        assert len(tweet["text"]) <= 280
        assert "UNESCO" in [m["username"] for m in tweet["note_tweet"]["entities"]["mentions"]]
    amp = [t for t in tweets if "&" in world[t["id"]].text]
    assert amp and all("&amp;" in t["text"] and "&lt;3" in t["text"] for t in amp)
    assert any(t.get("withheld", {}).get("country_codes") == ["DE", "FR"] for t in tweets)
    assert {m["type"] for m in answer["includes"]["media"]} == {"video", "animated_gif"}
    assert_conform(x_openapi(), recorder.exchanges)


def test_a_since_id_older_than_7_days_is_refused(sandbox: Any) -> None:
    client, _ = x_client(sandbox.base_url, return_type=dict)
    oldest = min((p for p in campaign_posts(sandbox, "x")), key=lambda p: p.published_at)
    control(sandbox.base_url, "clock", {"advance": 8 * 86400})
    with pytest.raises(tweepy.BadRequest, match="'since_id' must be a tweet id created after"):
        client.search_recent_tweets(CAMPAIGN_QUERY, since_id=oldest.latest_id)


@pytest.mark.world(posts=60)
def test_pay_per_use_credits_run_out_with_402(sandbox: Any) -> None:
    reader, _ = x_client(sandbox.base_url, return_type=dict)
    control(sandbox.base_url, "x-account", {"credits": 15})
    assert reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)["meta"]["result_count"]
    reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)  # 5 credits left, 10 read
    with pytest.raises(tweepy.HTTPException, match="402") as refused:
        reader.search_recent_tweets(CAMPAIGN_QUERY, max_results=10)
    assert refused.value.response.json()["title"] == "CreditsDepleted"


def test_retweets_are_limited_to_50_in_15_minutes_per_account(sandbox: Any) -> None:
    client, _ = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    tweet = campaign_posts(sandbox, "x")[0].native_id
    for _ in range(50):  # POST and DELETE each have their own 50
        client.retweet(tweet)
        client.unretweet(tweet)
    with pytest.raises(tweepy.TooManyRequests):
        client.retweet(tweet)


def test_quote_posts_need_access_self_serve_tiers_no_longer_have(sandbox: Any) -> None:
    client, _ = x_client(sandbox.base_url, access_token=ACCOUNT_TOKEN)
    tweet = campaign_posts(sandbox, "x")[0].native_id
    with pytest.raises(tweepy.Forbidden, match="[Qq]uote"):
        client.create_tweet(text="Learning never stops", quote_tweet_id=tweet)
    assert client.create_tweet(text="Learning never stops").data["id"]
