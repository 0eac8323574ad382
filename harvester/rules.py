"""Campaign rules on every post, kept as a list of problems; role detected from the text."""

from __future__ import annotations

from config.schema import Campaign
from harvester.common import HarvestedPost
from platforms import registry


class PageRules:
    """The campaign's rules and roles for a page of posts: the words they compare, lowered
    once for the page instead of once for every post."""

    def __init__(self, settings: Campaign) -> None:
        self.settings = settings
        # platforms whose posts are found by tagging the page: hashtag and mention rules
        # do not apply there
        self.page_tagged = {p.name for p in registry.all_platforms() if p.found_by_page_tag}
        self.hashtags = {h.lower() for h in settings.campaign.hashtags}
        self.mentions = {m.lower() for m in settings.campaign.mentions}
        self.keywords = [
            (name, [word.lower() for word in role.keywords])
            for name, role in settings.roles.items()
        ]
        self.questions = {
            name: [(q, q.lower().rstrip("?")) for q in role.questions]
            for name, role in settings.roles.items()
        }

    def problems(self, post: HarvestedPost) -> list[str]:
        rules, campaign = self.settings.rules, self.settings.campaign
        found: list[str] = []
        if post.duration_seconds is not None and post.duration_seconds > rules.max_video_seconds:
            found.append(f"over {rules.max_video_seconds} s ({post.duration_seconds:.0f} s)")
        if rules.require_video and post.media_type != "video":
            found.append("not a video")
        if post.withheld:
            # X withholds it in these countries (legal demand or copyright): not ours to reshare
            found.append("withheld in " + ", ".join(post.withheld))
        tags = {t.lower() for t in post.hashtags}
        tagged = post.platform in self.page_tagged
        if rules.require_hashtag and not tagged and not tags & self.hashtags:
            found.append("no campaign hashtag")
        mentions = {m.lower() for m in post.mentions}
        if (
            rules.require_mention
            and not tagged
            and campaign.mentions
            and not (mentions & self.mentions)
        ):
            found.append("no @" + campaign.mentions[0] + " mention")
        if post.published_at is not None:
            day = post.published_at.date()
            if day < campaign.start:
                found.append(f"before the campaign ({day.isoformat()})")
            elif campaign.end is not None and day > campaign.end:
                found.append(f"after the campaign ({day.isoformat()})")
        return found

    def role(self, text: str) -> tuple[str | None, str | None]:
        """The participant role whose keywords the text holds most, and a question it quotes."""
        lowered = text.lower()
        best, best_hits = None, 0
        for name, keywords in self.keywords:
            hits = sum(1 for word in keywords if word in lowered)
            if hits > best_hits:
                best, best_hits = name, hits
        question = None
        if best is not None:
            for candidate, words in self.questions[best]:
                if words in lowered:
                    question = candidate
        return best, question
