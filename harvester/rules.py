"""Campaign rules on every post, kept as a list of problems; role detected from the text."""

from __future__ import annotations

from config.schema import Campaign
from harvester.common import HarvestedPost


def problems(post: HarvestedPost, settings: Campaign) -> list[str]:
    rules, campaign = settings.rules, settings.campaign
    found: list[str] = []
    if post.duration_seconds is not None and post.duration_seconds > rules.max_video_seconds:
        found.append(f"over {rules.max_video_seconds} s ({post.duration_seconds:.0f} s)")
    if rules.require_video and post.media_type != "video":
        found.append("not a video")
    if post.withheld:
        # X withholds it in these countries (legal demand or copyright): not ours to reshare
        found.append("withheld in " + ", ".join(post.withheld))
    tags = {t.lower() for t in post.hashtags}
    # Facebook: hashtags do not work there; participants tag the Page instead.
    if (
        rules.require_hashtag
        and post.platform != "facebook"
        and not tags & {h.lower() for h in campaign.hashtags}
    ):
        found.append("no campaign hashtag")
    mentions = {m.lower() for m in post.mentions}
    if (
        rules.require_mention
        and post.platform != "facebook"
        and campaign.mentions
        and not (mentions & {m.lower() for m in campaign.mentions})
    ):
        found.append("no @" + campaign.mentions[0] + " mention")
    if post.published_at is not None:
        day = post.published_at.date()
        if day < campaign.start:
            found.append(f"before the campaign ({day.isoformat()})")
        elif campaign.end is not None and day > campaign.end:
            found.append(f"after the campaign ({day.isoformat()})")
    return found


def detect_role(text: str, settings: Campaign) -> tuple[str | None, str | None]:
    """The participant role whose keywords the text holds most, and a question it quotes."""
    lowered = text.lower()
    best, best_hits = None, 0
    for name, role in settings.roles.items():
        hits = sum(1 for word in role.keywords if word.lower() in lowered)
        if hits > best_hits:
            best, best_hits = name, hits
    question = None
    if best is not None:
        for candidate in settings.roles[best].questions:
            if candidate.lower().rstrip("?") in lowered:
                question = candidate
    return best, question
