"""The matcher on small hand-made cases: each kind of evidence gives the state the issue
promises, fuzzy evidence never gives `matched`, minors need a guardian, withdrawal wins, and
a testimony seen on several platforms shares its consent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from config.clock import FakeClock
from consent.matching import match_all
from db import models
from tests.consent.conftest import NOW, add_post, form, match_of, sessions_of, write_export
from tests.sandboxed import Setup, load


def given(desk: Setup, *rows: dict[str, Any]) -> sessionmaker[Session]:
    export = write_export(desk.path / "forms.csv", list(rows))
    outcome = desk.cli("consent", "import", str(export))
    assert outcome.exit_code == 0, outcome.stderr
    return sessions_of(desk)


def match(desk: Setup, sessions: sessionmaker[Session]) -> None:
    match_all(sessions, load(desk), FakeClock(NOW))


def test_a_video_url_named_on_the_form_matches(desk: Setup) -> None:
    sessions = given(
        desk,
        form("R1", "Amina Kamau", video_urls="https://youtu.be/dQw4w9WgXcQ; x.com/a/status/77"),
    )
    yt, _ = add_post(sessions, "youtube", "dQw4w9WgXcQ",
                     url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", author_id="UCx")  # fmt: skip
    x, _ = add_post(sessions, "x", "77", url="https://twitter.com/renamed/status/77", handle="zz")
    other, _ = add_post(sessions, "youtube", "AAAAAAAAAAA",
                        url="https://www.youtube.com/watch?v=AAAAAAAAAAA")  # fmt: skip
    match(desk, sessions)
    assert match_of(sessions, yt) == ("matched", "R1", "video_url")
    assert match_of(sessions, x) == ("matched", "R1", "video_url")
    assert match_of(sessions, other) == ("none", None, None)


def test_a_stable_account_id_matches(desk: Setup) -> None:
    channel = "UC" + "a1B2c3D4e5F6g7H8i9J0kL"
    sessions = given(
        desk,
        form("R1", "Amina Kamau", youtube_channel=f"https://www.youtube.com/channel/{channel}"),
        form("R2", "Juma Diop", facebook_profile="https://www.facebook.com/profile.php?id=1000042"),
    )
    yt, _ = add_post(sessions, "youtube", "v1", author_id=channel, handle="@whatever")
    fb, _ = add_post(sessions, "facebook", "p1", author_id="1000042", name="J. D.")
    match(desk, sessions)
    assert match_of(sessions, yt) == ("matched", "R1", "account_id")
    assert match_of(sessions, fb) == ("matched", "R2", "account_id")


@pytest.mark.parametrize(
    "written",
    ["@AminaK_7", "aminak_7", "AMINAK_7", "https://x.com/AminaK_7", "https://twitter.com/AminaK_7/",
     "x.com/AminaK_7", " @AminaK_7 ", "https://mobile.twitter.com/aminak_7?lang=en"],
)  # fmt: skip
def test_a_handle_matches_however_the_form_writes_it(desk: Setup, written: str) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", x_handle=written))
    post, _ = add_post(sessions, "x", "1", author_id="900", handle="AminaK_7")
    match(desk, sessions)
    assert match_of(sessions, post) == ("matched", "R1", "handle")


def test_instagram_and_tiktok_handles_match_on_their_own_platform_only(desk: Setup) -> None:
    sessions = given(
        desk,
        form(
            "R1",
            "Léa Dubois",
            instagram_handle="https://www.instagram.com/lea.dubois/",
            tiktok_handle="@LeaTok",
        ),  # fmt: skip
    )
    ig, _ = add_post(sessions, "instagram", "1", handle="Lea.Dubois")
    tt, _ = add_post(sessions, "tiktok", "2", handle="leatok")
    x, _ = add_post(sessions, "x", "3", handle="lea.dubois")  # same words, another platform
    match(desk, sessions)
    assert match_of(sessions, ig) == ("matched", "R1", "handle")
    assert match_of(sessions, tt) == ("matched", "R1", "handle")
    assert match_of(sessions, x)[0] != "matched"


def test_a_renamed_handle_is_followed_through_the_stable_id(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", x_handle="@AminaK_7"))
    before, _ = add_post(sessions, "x", "1", author_id="900", handle="AminaK_7")
    after, _ = add_post(sessions, "x", "2", author_id="900", handle="AminaTeaches")
    match(desk, sessions)
    assert match_of(sessions, before) == ("matched", "R1", "handle")
    assert match_of(sessions, after) == ("matched", "R1", "account_id_renamed")


def test_name_and_city_alone_give_needs_check_never_matched(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Aïssatou Diop", city="Dakar"))
    same, _ = add_post(sessions, "facebook", "1", name="AISSATOU DIOP",
                       text="Je m'appelle Aïssatou, j'habite à Dakar. #LearningNeverStops")  # fmt: skip
    elsewhere, _ = add_post(sessions, "facebook", "2", name="Aïssatou Diop",
                            text="Hello from Lagos! #LearningNeverStops")  # fmt: skip
    other_name, _ = add_post(sessions, "facebook", "3", name="Moussa Diop",
                             text="Bonjour de Dakar #LearningNeverStops")  # fmt: skip
    match(desk, sessions)
    assert match_of(sessions, same) == ("needs-check", "R1", "name_and_city")
    assert match_of(sessions, elsewhere) == ("none", None, None)
    assert match_of(sessions, other_name) == ("none", None, None)


def test_a_handle_one_typo_away_gives_needs_check(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", x_handle="@AminaKamau_2020"))
    swapped, _ = add_post(sessions, "x", "1", handle="AmniaKamau_2020")
    far, _ = add_post(sessions, "x", "2", handle="AminaK")
    match(desk, sessions)
    assert match_of(sessions, swapped) == ("needs-check", "R1", "handle_similar")
    assert match_of(sessions, far) == ("none", None, None)


def test_a_minor_without_a_signed_guardian_part_needs_the_guardian(desk: Setup) -> None:
    sessions = given(
        desk,
        form("R1", "Mateo García", age=12, x_handle="mateo"),
        form(
            "R2",
            "Lucía García",
            age=12,
            x_handle="lucia",
            guardian_name="Sofía García",
            guardian_relationship="mother",
            guardian_signed="yes",
        ),  # fmt: skip
        form("R3", "Diego Silva", date_of_birth="2015-06-01", x_handle="diego"),
        form(
            "R4",
            "Ana Silva",
            age=16,
            x_handle="ana",
            guardian_name="João Silva",
            guardian_signed="no",
        ),  # fmt: skip
        form("R5", "Omar Haddad", age=30, x_handle="omar"),
    )
    posts = {h: add_post(sessions, "x", h, handle=h)[0] for h in
             ("mateo", "lucia", "diego", "ana", "omar")}  # fmt: skip
    match(desk, sessions)
    states = {h: match_of(sessions, p)[0] for h, p in posts.items()}
    assert states == {
        "mateo": "guardian-required",
        "lucia": "matched",
        "diego": "guardian-required",
        "ana": "guardian-required",
        "omar": "matched",
    }


def test_a_revoked_form_makes_its_posts_revoked(desk: Setup) -> None:
    sessions = given(
        desk,
        form("R1", "Amina Kamau", x_handle="aminak"),
        form("R2", "Juma Diop", x_handle="juma", revoked="yes"),
    )
    amina, _ = add_post(sessions, "x", "1", handle="aminak")
    juma, _ = add_post(sessions, "x", "2", handle="juma")
    outcome = desk.cli("consent", "revoke", "R1", "--reason", "asked by email", "--as", "kim")
    assert outcome.exit_code == 0, outcome.stderr
    match(desk, sessions)
    assert match_of(sessions, amina) == ("revoked", "R1", "handle")
    assert match_of(sessions, juma) == ("revoked", "R2", "handle")


def test_a_testimony_linked_across_platforms_shares_its_consent(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", video_urls="https://youtu.be/dQw4w9WgXcQ"))
    _, testimony = add_post(sessions, "youtube", "dQw4w9WgXcQ",
                            url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")  # fmt: skip
    reshare, _ = add_post(sessions, "instagram", "9", handle="someone.else", testimony=testimony)
    alone, lone_testimony = add_post(sessions, "instagram", "10", handle="someone.else")
    match(desk, sessions)
    assert match_of(sessions, reshare) == ("none", None, None)  # on its own: nothing
    with sessions() as session:
        record = session.scalars(
            select(models.ConsentRecord).where(models.ConsentRecord.response_id == "R1")
        ).one()
        linked = session.get(models.Testimony, testimony)
        single = session.get(models.Testimony, lone_testimony)
        assert linked is not None and single is not None
        assert (linked.consent_state, linked.consent_id) == ("matched", record.id)
        assert (linked.consent_evidence or {}).get("by") == "video_url"
        assert single.consent_state == "none"
    assert alone


def test_matching_again_changes_nothing_and_says_so(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", x_handle="aminak"))
    add_post(sessions, "x", "1", handle="aminak")
    first = desk.cli("match")
    assert first.exit_code == 0 and "matched 1" in first.stdout
    with sessions() as session:
        before = session.scalars(select(models.ConsentMatch.matched_at)).all()
    again = desk.cli("match")
    assert again.exit_code == 0 and "(0 changed)" in again.stdout
    with sessions() as session:  # nothing rewritten either (the CLI's clock has moved on)
        assert session.scalars(select(models.ConsentMatch.matched_at)).all() == before


def test_an_identifier_two_forms_claim_needs_a_person_to_decide(desk: Setup) -> None:
    sessions = given(
        desk,
        form("R1", "Mateo García", x_handle="@garcia_family"),
        form("R2", "Lucía García", x_handle="garcia_family"),
        form("R3", "Ana Silva", video_urls="https://youtu.be/dQw4w9WgXcQ"),
        form("R4", "Ana Silva", video_urls="https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    )
    shared, _ = add_post(sessions, "x", "1", author_id="77", handle="Garcia_Family")
    renamed, _ = add_post(sessions, "x", "2", author_id="77", handle="garcias")
    video, _ = add_post(sessions, "youtube", "dQw4w9WgXcQ",
                        url="https://www.youtube.com/watch?v=dQw4w9WgXcQ")  # fmt: skip
    match(desk, sessions)
    assert match_of(sessions, shared)[0] == "needs-check"
    assert match_of(sessions, renamed)[0] != "matched"
    assert match_of(sessions, video)[0] == "needs-check"


def test_a_name_written_in_the_handle_and_the_city_give_needs_check(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Léa Dubois", city="Lyon"))
    post, _ = add_post(sessions, "instagram", "1", handle="lea.dubois.7",
                       text="Bonjour, je m'appelle Léa, j'habite à Lyon #LearningNeverStops")  # fmt: skip
    short, _ = add_post(sessions, "instagram", "2", handle="lea.d", text="Lyon #LearningNeverStops")
    match(desk, sessions)
    assert match_of(sessions, post) == ("needs-check", "R1", "name_in_handle")
    assert match_of(sessions, short) == ("none", None, None)


def test_namesakes_in_one_city_are_all_named_the_one_whose_age_is_said_first(
    desk: Setup,
) -> None:
    sessions = given(
        desk,
        form("R1", "Omar Haddad", city="Cairo", age=41),
        form("R2", "Omar Haddad", city="Cairo", age=15),
        form("R3", "Omar Haddad", city="Cairo"),
    )
    post, _ = add_post(sessions, "facebook", "1", name="Omar Haddad",
                       text="I'm Omar, 15 years old, from Cairo #LearningNeverStops")  # fmt: skip
    teacher, _ = add_post(sessions, "facebook", "2", name="Omar Haddad",
                          text="I'm Omar, I teach music in Cairo #LearningNeverStops")  # fmt: skip
    match(desk, sessions)
    assert match_of(sessions, post) == ("needs-check", "R2", "name_and_city")
    assert match_of(sessions, teacher) == ("needs-check", "R3", "name_and_city")
    with sessions() as session:
        evidence = session.scalars(
            select(models.ConsentMatch.evidence).where(models.ConsentMatch.post_id == teacher)
        ).one()
    assert sorted(evidence["also_on_forms"]) == ["R1", "R2"]


def test_matched_without_problems_comes_first_in_the_queue(desk: Setup) -> None:
    sessions = given(desk, form("R1", "Amina Kamau", x_handle="aminak"))
    _, clean = add_post(sessions, "x", "1", handle="aminak")
    _, long = add_post(sessions, "x", "2", handle="aminak", problems=["video is 75 s (max 60)"])
    match(desk, sessions)
    with sessions() as session:
        priorities = {t.id: t.priority for t in session.scalars(select(models.Testimony))}
    assert (priorities[clean], priorities[long]) == (0, 2)


def _schema_and_statistics(session: Session) -> tuple[list[Any], list[Any]]:
    connection = session.connection()
    schema = connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'testimonies' ORDER BY name"
    ).all()
    stats = connection.exec_driver_sql("SELECT * FROM sqlite_stat1 ORDER BY idx").all()
    return list(schema), list(stats)


def test_rewriting_most_testimonies_gives_their_indexes_back_as_they_were(
    sqlite_url: str,
) -> None:
    """The first match drops the testimonies' indexes while it rewrites every row: they come
    back under their names with their SQL and statistics, and an error takes the whole
    rewrite back with the drop."""
    from sqlalchemy import update

    from consent.results import TESTIMONIES, indexes_rebuilt
    from db.session import make_engine, make_session_factory, transaction

    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as session:
        session.add(models.Campaign(id="c", name="c", created_at=NOW))
        session.flush()
        session.add_all(
            models.Testimony(campaign_id="c", created_at=NOW, updated_at=NOW) for _ in range(4)
        )
    with transaction(sessions) as session:
        session.connection().exec_driver_sql("ANALYZE")
    with sessions() as session:
        before = _schema_and_statistics(session)
    assert [name for kind, name, _ in before[0] if kind == "index"]

    # before any write, pysqlite has no transaction open yet: nothing may be dropped
    with transaction(sessions) as session, indexes_rebuilt(session, TESTIMONIES, 4):
        assert _schema_and_statistics(session) == before
    with transaction(sessions) as session:
        session.execute(update(TESTIMONIES).values(role="a"))  # as the match's results are
        with indexes_rebuilt(session, TESTIMONIES, 4):
            session.execute(update(TESTIMONIES).values(priority=0))
            left = _schema_and_statistics(session)[0]
        assert [kind for kind, _, _ in left] == ["table"]
    with sessions() as session:
        assert _schema_and_statistics(session) == before
        assert session.connection().exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"

    with pytest.raises(RuntimeError), transaction(sessions) as session:
        session.execute(update(TESTIMONIES).values(role="b"))
        with indexes_rebuilt(session, TESTIMONIES, 4):
            session.execute(update(TESTIMONIES).values(priority=1))
            raise RuntimeError
    with sessions() as session:
        assert _schema_and_statistics(session) == before
        assert set(session.scalars(select(models.Testimony.priority))) == {0}
        assert set(session.scalars(select(models.Testimony.role))) == {"a"}

    # a few rows of many: kept in step in place, nothing dropped
    with transaction(sessions) as session:
        session.execute(update(TESTIMONIES).values(role="c"))
        with indexes_rebuilt(session, TESTIMONIES, 1):
            assert _schema_and_statistics(session) == before
    engine.dispose()


def test_inserting_as_many_rows_as_a_table_holds_gives_its_indexes_back(
    sqlite_url: str,
) -> None:
    """The first match inserts every post's audit entry with the audit log's index dropped
    and made again afterwards, in the same transaction as the rows: the schema comes back
    as it was, the index answers as before, and an error takes rows and drop back alike."""
    from datetime import datetime

    from consent.results import AUDIT, AUDIT_COLUMNS, insert_all
    from db.session import make_engine, make_session_factory, transaction

    def schema(session: Session) -> list[Any]:
        return list(
            session.connection()
            .exec_driver_sql(
                "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'audit_log' "
                "ORDER BY name"
            )
            .all()
        )

    def entries(n: int, first: int = 0) -> list[tuple[Any, ...]]:
        at = datetime(2026, 5, 1).isoformat(sep=" ")
        return [
            (at, "matcher", "consent.matched", "testimony", str(i), "{}", None, None)
            for i in range(first, first + n)
        ]

    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        before = schema(session)
    assert [name for kind, name, _ in before if kind == "index"]
    with transaction(sessions) as session:
        insert_all(session, AUDIT, AUDIT_COLUMNS, entries(50))
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        insert_all(session, AUDIT, AUDIT_COLUMNS, entries(80, first=50))
        assert schema(session) == before  # made again inside the transaction
        raise RuntimeError
    with sessions() as session:
        assert schema(session) == before
        connection = session.connection()
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert connection.exec_driver_sql("SELECT count(*) FROM audit_log").scalar() == 50
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM audit_log "
            "WHERE subject_type = 'testimony' AND subject_id = '7'"
        ).all()
        assert "ix_audit_log_subject_type_subject_id" in str(plan)
        found = connection.exec_driver_sql(
            "SELECT subject_id FROM audit_log INDEXED BY ix_audit_log_subject_type_subject_id "
            "WHERE subject_type = 'testimony' AND subject_id IN ('7', '49', '50')"
        ).all()
        assert sorted(found) == [("49",), ("7",)]
    engine.dispose()


def test_evidence_is_stored_as_json_dumps_writes_it() -> None:
    """The match compares the stored text with its own: one character off would rewrite
    every row on every match."""
    import json

    from consent.results import dumps

    for evidence in (
        {},
        {"by": "handle", "form_field": "x_handle", "value": "@Zoë_Ä", "response_id": "R1"},
        {"by": "name_and_city", "value": "李 小龍\u2028\t\"'\\", "also_on_forms": ["R2", "R3"]},
        {"by": "video_url", "value": "https://youtu.be/x?a=1&b=<2>", "n": [1, 2.5, None, True]},
    ):
        assert dumps(evidence) == json.dumps(evidence)


def test_an_age_and_a_birth_date_that_disagree_are_read_as_the_younger(desk: Setup) -> None:
    # "18" typed beside a birth date of 2014: the form is a child's, and no guardian signed
    sessions = given(
        desk,
        form("R1", "Kid A", x_handle="kida", age=18, date_of_birth="2014-01-01"),
        form("R2", "Kid B", x_handle="kidb", age=15, date_of_birth="1990-01-01"),
        form("R3", "Adult C", x_handle="adultc", age=30, date_of_birth="1990-01-01"),
    )
    a, _ = add_post(sessions, "x", "1", author_id="1", handle="kida")
    b, _ = add_post(sessions, "x", "2", author_id="2", handle="kidb")
    c, _ = add_post(sessions, "x", "3", author_id="3", handle="adultc")
    match(desk, sessions)
    assert match_of(sessions, a) == ("guardian-required", "R1", "handle")
    assert match_of(sessions, b) == ("guardian-required", "R2", "handle")
    assert match_of(sessions, c) == ("matched", "R3", "handle")


def test_a_form_naming_another_persons_video_or_account_never_outranks_their_withdrawal(
    desk: Setup,
) -> None:
    # R1 names the video (someone else's), R2 the account and withdrew; R3 names an account
    # R4 (a child's form, no guardian) also names: neither can be approved, even overriding
    sessions = given(
        desk,
        form("R1", "Mallory Evil", video_urls="https://x.com/victim/status/555"),
        form("R2", "Victor Victim", x_handle="victim", revoked="yes"),
        form("R3", "Mallory Evil", x_handle="kid", age=30),
        form("R4", "Kid Victim", x_handle="@Kid", age=12),
        form("R5", "Ana Silva", video_urls="https://x.com/anas/status/9", x_handle="anas"),
    )
    video, by_video = add_post(sessions, "x", "555", url="https://x.com/victim/status/555",
                               author_id="9", handle="victim")  # fmt: skip
    child, by_child = add_post(sessions, "x", "1", author_id="10", handle="kid")
    own, _ = add_post(sessions, "x", "9", url="https://x.com/anas/status/9", handle="anas")
    match(desk, sessions)
    assert match_of(sessions, video) == ("revoked", "R1", "video_url")
    assert match_of(sessions, child) == ("guardian-required", "R3", "handle")
    assert match_of(sessions, own) == ("matched", "R5", "video_url")  # one form, both named
    for testimony in (by_video, by_child):
        outcome = desk.cli("approve", str(testimony), "--as", "kim", "--override", "--reason", "x")
        assert outcome.exit_code == 1
        assert "refused: consent is" in outcome.stderr
    with sessions() as session:
        assert session.scalars(select(models.Publication)).all() == []


def test_a_handle_another_account_took_after_a_rename_is_not_matched_to_the_form(
    desk: Setup,
) -> None:
    # Alice (account 100) signed as @alice, then renamed; account 200 took @alice
    sessions = given(desk, form("R1", "Alice Abara", x_handle="alice"))
    first, _ = add_post(sessions, "x", "1", author_id="100", handle="alice")
    match(desk, sessions)
    assert match_of(sessions, first) == ("matched", "R1", "handle")
    add_post(sessions, "x", "2", author_id="100", handle="alice_new")
    taker, testimony = add_post(sessions, "x", "3", author_id="200", handle="Alice")
    match(desk, sessions)
    assert match_of(sessions, taker) == ("needs-check", "R1", "handle")
    assert match_of(sessions, first) == ("needs-check", "R1", "handle")
    outcome = desk.cli("approve", str(testimony), "--as", "kim")
    assert outcome.exit_code == 1 and "needs-check" in outcome.stderr


def test_a_form_also_naming_the_account_withdrawn_after_approval_stops_the_publish(
    desk: Setup,
) -> None:
    # two forms name @victim; the reviewer confirmed R1; then R2's signer withdrew
    sessions = given(
        desk,
        form("R1", "Mallory Evil", x_handle="victim"),
        form("R2", "Victor Victim", x_handle="@Victim"),
    )
    _, testimony = add_post(sessions, "x", "1", author_id="9", handle="victim")
    match(desk, sessions)
    approved = desk.cli("approve", str(testimony), "--as", "kim", "--override", "--reason", "seen")
    assert approved.exit_code == 0, approved.stderr
    assert desk.cli("consent", "revoke", "R2", "--reason", "withdrawn").exit_code == 0
    published = desk.cli("publish", "--target", "gallery")
    assert "0 published" in published.stdout and "1 skipped" in published.stdout
    with sessions() as session:
        row = session.scalars(select(models.Publication).where(
            models.Publication.target == "gallery")).one()  # fmt: skip
        assert row.state == "skipped"
        assert "form R2, which also names this account" in (row.skip_reason or "")
