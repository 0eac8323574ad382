"""LinkedIn and TikTok as they are in 2026: LinkedIn's little text format (unescaped
characters cut a post silently), a sunset LinkedIn-Version (426: the campaign file must
change), recovery by our own key rather than by words; TikTok's inbox by default (an
unaudited app cannot post publicly), direct posts only for an audited app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from publisher.linkedin import little
from sandbox.linkedin_api import little_cut
from tests.helpers import invoke
from tests.publisher.flow import approve_matched, outbox
from tests.sandboxed import SHIPPED, Setup, make_setup


def test_linkedin_commentary_reaches_linkedin_whole_however_it_is_punctuated(
    ready: Setup, sandbox: Any
) -> None:
    approve_matched(ready)
    outcome = ready.cli("publish", "--target", "linkedin")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    posts = list(sandbox.state.published["linkedin"].values())
    assert posts
    for post in posts:
        commentary = post["commentary"]
        assert little_cut(commentary) == commentary  # nothing was cut
        assert "utm_content=" in commentary and "#LearningNeverStops" in commentary


def test_little_escapes_reserved_characters_but_not_links_or_hashtags() -> None:
    text = "Amina (Lagos) <3 learning_daily @home #LearningNeverStops https://x.org/a_b?c=(1)"
    escaped = little(text)
    assert escaped == (
        r"Amina \(Lagos\) \<3 learning\_daily \@home #LearningNeverStops https://x.org/a_b?c=(1)"
    )
    assert little_cut(escaped) == escaped
    assert little_cut(text) == "Amina "  # what LinkedIn kept of it unescaped


def test_a_sunset_linkedin_version_is_a_configuration_error_naming_the_setting(
    tmp_path: Path, sandbox: Any, db_url: str
) -> None:
    extra = ""
    setup = make_setup(tmp_path, sandbox.base_url, db_url, extra=extra)
    setup.config.write_text(
        setup.config.read_text().replace(
            'author = "urn:li:organization:1000001"',
            'author = "urn:li:organization:1000001"\nversion = "202411"',
        )
    )
    approve_matched(setup)
    outcome = setup.cli("publish", "--target", "linkedin")
    said = outcome.stdout + outcome.stderr
    assert "publish.linkedin.version" in said and "426" in said, said
    assert not sandbox.state.published["linkedin"]
    rows = [r for r in outbox(db_url) if r.target == "linkedin"]
    assert rows and not [r for r in rows if r.state == "done"]


def test_tiktok_sends_drafts_to_the_inbox_unless_the_app_is_audited(
    ready: Setup, sandbox: Any
) -> None:
    approve_matched(ready)
    outcome = ready.cli("publish", "--target", "tiktok")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    inits = [w["path"] for w in ready.stats()["writes"] if w["platform"] == "tiktok"]
    assert any(p.endswith("/inbox/video/init/") for p in inits)
    assert not any(p.endswith("/v2/post/publish/video/init/") for p in inits)
    done = [r for r in outbox(ready.db_url) if r.target == "tiktok" and r.state == "done"]
    drafts = {p["publish_id"] for p in sandbox.state.published["tiktok"].values() if p["inbox"]}
    assert done and {(r.external_id or "").removeprefix("publish:") for r in done} <= drafts


def test_check_config_refuses_a_public_direct_post_from_an_unaudited_tiktok_app(
    tmp_path: Path,
) -> None:
    direct = tmp_path / "direct.toml"
    direct.write_text(
        SHIPPED.read_text().replace(
            "[publish.tiktok]\n",
            '[publish.tiktok]\nmode = "direct"\nprivacy_level = "PUBLIC_TO_EVERYONE"\n',
        )
    )
    refused = invoke("check-config", str(direct))
    assert refused.exit_code == 78
    assert "publish.tiktok" in refused.stderr and "audited" in refused.stderr
    direct.write_text(
        direct.read_text().replace('mode = "direct"', 'mode = "direct"\naudited = true')
    )
    assert invoke("check-config", str(direct)).exit_code == 0


def test_check_config_warns_of_graph_and_linkedin_versions_near_their_end(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.toml"
    text = SHIPPED.read_text().replace(
        'page_id = "100000000000001"\naccess_token_env',
        'page_id = "100000000000001"\ngraph_version = "v21.0"\naccess_token_env',
    )
    text = text.replace(
        'author = "urn:li:organization:1000001"',
        'author = "urn:li:organization:1000001"\nversion = "202411"',
    )
    old.write_text(text)
    outcome = invoke("check-config", str(old))
    assert outcome.exit_code == 0
    assert "platforms.facebook.graph_version: Graph API v21.0 end" in outcome.stderr
    assert "publish.linkedin.version: 202411" in outcome.stderr
    assert "verified in the TikTok app" in outcome.stderr
