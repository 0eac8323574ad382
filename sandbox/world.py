"""A deterministic, realistic campaign: people, their testimonies on several platforms, and
the consent-form export with its ground truth (some forms missing or wrong on purpose)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sandbox.constants import HASHTAGS, MENTION

PLATFORMS = ("youtube", "x", "instagram", "facebook")
CITIES = [
    ("Nairobi", "Kenya", "sw"),
    ("Lagos", "Nigeria", "en"),
    ("Dakar", "Senegal", "fr"),
    ("Paris", "France", "fr"),
    ("Lyon", "France", "fr"),
    ("Madrid", "Spain", "es"),
    ("Bogotá", "Colombia", "es"),
    ("Lima", "Peru", "es"),
    ("São Paulo", "Brazil", "pt"),
    ("Cairo", "Egypt", "ar"),
    ("Amman", "Jordan", "ar"),
    ("Mumbai", "India", "hi"),
    ("Delhi", "India", "hi"),
    ("Beijing", "China", "zh"),
    ("Shanghai", "China", "zh"),
    ("Cork", "Ireland", "en"),
    ("Melbourne", "Australia", "en"),
    ("Toronto", "Canada", "en"),
    ("Seoul", "Republic of Korea", "en"),
    ("Hamburg", "Germany", "en"),
]
FIRST = {
    "en": ["Amina", "John", "Grace", "Liam", "Olivia", "Noah", "Chloe", "Samuel"],
    "sw": ["Wanjiru", "Baraka", "Zawadi", "Juma", "Neema"],
    "fr": ["Camille", "Léa", "Moussa", "Aïssatou", "Hugo", "Chloé"],
    "es": ["Sofía", "Mateo", "Valentina", "Diego", "Lucía"],
    "pt": ["João", "Ana", "Gabriel", "Beatriz"],
    "ar": ["ليلى", "Omar", "Yasmin", "Karim"],
    "hi": ["Priya", "Arjun", "अनन्या", "Rohan"],
    "zh": ["李娜", "Wei", "Mei", "张伟"],
}
LAST = [
    "Kamau",
    "Okafor",
    "Diop",
    "Martin",
    "García",
    "Silva",
    "Haddad",
    "Sharma",
    "Wang",
    "Murphy",
    "Smith",
    "Kim",
    "Müller",
    "Rossi",
    "Nguyen",
    "Dubois",
    "Mensah",
]
TOPICS = ["mathematics", "reading", "science", "music", "coding", "history", "languages"]
LEARNER_LINES = {
    "en": "Hi, I'm {first}, I'm {age} years old from {city}, {country}. "
    "I keep learning at home with my family.",
    "fr": "Bonjour, je m'appelle {first}, j'ai {age} ans, j'habite à {city}. "
    "J'apprends chaque jour.",
    "es": "Hola, soy {first}, tengo {age} años y vivo en {city}, {country}. Sigo aprendiendo.",
    "pt": "Olá, sou {first}, tenho {age} anos, de {city}. Continuo a aprender em casa.",
    "ar": "مرحبا، أنا {first}، عمري {age} سنة من {city}. التعلم لا يتوقف.",
    "hi": "नमस्ते, मैं {first} हूँ, {age} साल, {city} से। I'm a student and I keep learning.",
    "zh": "大家好，我是{first}，{age}岁，来自{city}。I am a student, learning never stops.",
    "sw": "Habari, mimi ni {first}, umri {age} years old, kutoka {city}. Najifunza kila siku.",
}
PROVIDER_LINE = (
    "I'm {first}, I teach {topic} in {city}, {country}. My students keep learning online."
)
DEVELOPER_LINE = "I'm {first}: we built a platform so {city} stays one of the Cities of Learning."


@dataclass
class Person:
    index: int
    first_name: str
    full_name: str
    role: str
    age: int | None
    city: str
    country: str
    language: str
    handles: dict[str, str]  # platform -> true handle
    ids: dict[str, str]  # platform -> stable account id
    has_form: bool
    response_id: str | None = None


@dataclass
class WorldPost:
    platform: str
    native_id: str
    person: int
    text: str
    published_at: datetime
    duration: float | None
    is_video: bool
    links: list[str] = field(default_factory=list)
    state: str = "available"  # available | deleted | protected | private
    testimony: int = 0
    # X only. An edit is a new post id; the original id stays first in the edit history
    # (docs.x.com/x-api/fundamentals/edit-posts). `text` is always the latest version.
    edits: list[str] = field(default_factory=list)
    old_texts: list[str] = field(default_factory=list)  # the words of each earlier version
    # X only: countries where the post is withheld (X's data dictionary, `withheld`).
    withheld: list[str] = field(default_factory=list)
    # X only: what the attachment is; an animated GIF is not a video (media.fields `type`).
    media_kind: str = "video"

    @property
    def latest_id(self) -> str:
        return self.edits[-1] if self.edits else self.native_id

    @property
    def version_ids(self) -> list[str]:
        return [self.native_id, *self.edits]


@dataclass
class World:
    people: list[Person]
    posts: list[WorldPost]
    consent_rows: list[dict[str, str]]
    now: datetime

    def by_platform(self, platform: str) -> list[WorldPost]:
        return [p for p in self.posts if p.platform == platform]


def _tweet_id(seq: int) -> str:
    return str(1_860_000_000_000_000_000 + seq * 4096)


def native_id(platform: str, seq: int, rng: random.Random) -> str:
    if platform == "x":
        return _tweet_id(seq)
    if platform == "youtube":
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return "".join(rng.choice(alphabet) for _ in range(11))
    if platform == "instagram":
        return str(3_100_000_000_000_000_000 + seq)
    return f"100000000000001_{2_000_000_000_000 + seq}"


def post_url(post: WorldPost, handle: str) -> str:
    if post.platform == "x":
        return f"https://x.com/{handle}/status/{post.native_id}"
    if post.platform == "youtube":
        return f"https://www.youtube.com/watch?v={post.native_id}"
    if post.platform == "instagram":
        return f"https://www.instagram.com/p/{shortcode(post.native_id)}/"
    if post.platform == "bluesky":
        return f"https://bsky.app/profile/{handle}/post/{post.native_id.rsplit('/', 1)[1]}"
    page, story = post.native_id.split("_")
    return f"https://www.facebook.com/{page}/posts/{story}"


def shortcode(media_id: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    number, code = int(media_id), ""
    while number:
        number, rest = divmod(number, 64)
        code = alphabet[rest] + code
    return code


def _make_person(i: int, rng: random.Random) -> Person:
    city, country, lang = rng.choice(CITIES)
    first = rng.choice(FIRST[lang])
    last = rng.choice(LAST)
    role = rng.choices(["learner", "learning-provider", "platform-developer"], [70, 20, 10])[0]
    age = rng.randint(8, 70) if role == "learner" else None
    if role == "learner" and rng.random() < 0.3:
        age = rng.randint(8, 17)
    ascii_first = first if first.isascii() else f"user{i}"
    base = f"{ascii_first}{last}".replace("é", "e").replace("í", "i").replace("ü", "u")
    base = "".join(c for c in base if c.isascii() and c.isalnum())
    suffix = f"_{i}"  # X usernames are at most 15 of [A-Za-z0-9_]
    handles = {
        "x": f"{base[: 15 - len(suffix)]}{suffix}",
        "instagram": f"{base.lower()}.{i}",
        "youtube": f"@{base}{i}",
        "facebook": f"{first} {last}",
    }
    ids = {
        "x": str(900_000_000 + i),
        "instagram": str(5_000_000_000 + i),
        "youtube": f"UC{i:022d}"[:24],
        "facebook": str(10_000_000_000 + i),
    }
    return Person(
        i,
        first,
        f"{first} {last}",
        role,
        age,
        city,
        country,
        lang,
        handles,
        ids,
        has_form=rng.random() < 0.85,
    )


def _text(person: Person, rng: random.Random, tagged: bool) -> str:
    if person.role == "learner":
        line = LEARNER_LINES.get(person.language, LEARNER_LINES["en"])
    elif person.role == "learning-provider":
        line = PROVIDER_LINE
    else:
        line = DEVELOPER_LINE
    text = line.format(
        first=person.first_name,
        age=person.age,
        city=person.city,
        country=person.country,
        topic=rng.choice(TOPICS),
    )
    if tagged:
        tags = rng.sample(HASHTAGS, rng.randint(1, 3))
        if "LearningNeverStops" not in tags and rng.random() < 0.7:
            tags.insert(0, "LearningNeverStops")
        text += " " + " ".join("#" + (t if rng.random() > 0.1 else t.lower()) for t in tags)
        text += f" @{MENTION}"
    return text


def generate_world(
    posts: int = 200, seed: int = 7, now: datetime | None = None, namesakes: int = 0
) -> World:
    """Deterministic for (posts, seed, day of now, namesakes). `namesakes` adds that many
    people who share a first name, age and city with someone already there (other accounts,
    their own forms, the same scripted words on the same days), some with a second X
    account, some with a handle in the wrong column of their form; with 0 the world is
    exactly as it always was."""
    now = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(seed * 1_000_003 + posts)
    people = [_make_person(i, rng) for i in range(max(2, int(posts / 1.4)))]
    world_posts: list[WorldPost] = []
    testimony = 0
    seq = 0
    while len(world_posts) < posts:
        person = people[rng.randrange(len(people))]
        testimony += 1
        n_platforms = 1 if rng.random() < 0.75 else 2
        first = rng.choices(PLATFORMS, [35, 30, 20, 15])[0]
        chosen = [first] + (
            [p for p in rng.sample(PLATFORMS, 4) if p != first][:1] if n_platforms == 2 else []
        )
        tagged = rng.random() > 0.08
        text = _text(person, rng, tagged)
        duration = round(rng.uniform(61, 120) if rng.random() < 0.1 else rng.uniform(20, 60), 1)
        is_video = rng.random() > 0.05
        when = now - timedelta(seconds=rng.randint(3600, 6 * 86400))
        youtube_url = None
        for platform in chosen:
            if len(world_posts) >= posts:
                break
            seq += 1
            post = WorldPost(
                platform,
                native_id(platform, seq, rng),
                person.index,
                text,
                when + timedelta(seconds=seq % 600),
                # everything on YouTube is a video, with a duration
                duration if is_video or platform == "youtube" else None,
                is_video or platform == "youtube",
                testimony=testimony,
            )
            if platform == "youtube":
                if rng.random() < 0.03:
                    post.published_at = datetime(2025, 6, 1, tzinfo=UTC) + timedelta(days=seq % 90)
                youtube_url = f"https://www.youtube.com/watch?v={post.native_id}"
            elif youtube_url and platform == "x":
                post.links = [youtube_url]
                post.text = f"{text} {youtube_url}"
            world_posts.append(post)
    _renumber_by_time(world_posts)
    _x_as_it_is(world_posts)
    from sandbox.bluesky_api import add_copies  # the other platforms' draws stay as they were

    world_posts += add_copies(world_posts, people)
    consent_rows = _consent_rows(people, world_posts, rng, now)
    world = World(people, world_posts, consent_rows, now)
    if namesakes:
        _add_namesakes(world, namesakes, random.Random(seed * 7_919 + namesakes))
    return world


def _add_namesakes(world: World, count: int, rng: random.Random) -> None:
    """People who share a first name, age and city with a learner in the world and say the
    same scripted words on the same days, each with their own accounts and form. Every
    fourth also posts from a second X account (their form names that video's URL); every
    fifth wrote their X handle in the form's Instagram column (then nothing ties the X
    account to them). Drawn from their own random sequence: the rest of the world stays."""
    seq = 20_000_000  # ids apart from the world's: the stored forms' URLs stay valid
    people, posts = world.people, world.posts
    first_new = len(people)
    twins = [p for p in people if p.role == "learner" and p.age is not None]
    for n in range(count):
        twin = twins[rng.randrange(len(twins))]
        i = len(people)
        last = rng.choice([x for x in LAST if x not in twin.full_name])
        person = _make_person(i, rng)
        ascii_first = twin.first_name if twin.first_name.isascii() else f"user{i}"
        base = "".join(c for c in f"{ascii_first}{last}" if c.isascii() and c.isalnum())
        suffix = f"_{i}"
        person.first_name, person.full_name = twin.first_name, f"{twin.first_name} {last}"
        person.role, person.age = "learner", twin.age
        person.city, person.country, person.language = twin.city, twin.country, twin.language
        person.handles = {
            "x": f"{base[: 15 - len(suffix)]}{suffix}",
            "instagram": f"{base.lower()}.{i}",
            "youtube": f"@{base}{i}",
            "facebook": person.full_name,
        }
        person.has_form = True
        people.append(person)
        theirs = [p for p in posts if p.person == twin.index]
        model = theirs[0] if theirs else posts[0]
        for platform in dict.fromkeys([rng.choice(PLATFORMS), model.platform]):
            seq += 1
            post = WorldPost(
                platform,
                native_id(platform, seq, rng),
                i,
                _text(person, rng, True),
                model.published_at + timedelta(minutes=rng.randint(1, 600)),
                round(rng.uniform(20, 60), 1),
                True,
                testimony=200_000_000 + seq,
            )
            videos = [p for p in theirs if p.platform == "youtube"]
            if platform == "x" and videos and rng.random() < 0.5:
                # a tweet linking the namesake's YouTube video (a friend's, say)
                url = f"https://www.youtube.com/watch?v={videos[0].native_id}"
                post.links, post.text = [url], f"{post.text} {url}"
            posts.append(post)
        if n % 4 == 1:
            second = Person(**{**person.__dict__, "index": i + 1, "has_form": False})
            second.handles = {**person.handles, "x": f"{base[:8]}2x{i}"[:15]}
            second.ids = {k: f"{v}9" for k, v in person.ids.items()}
            people.append(second)
            seq += 1
            when = model.published_at + timedelta(minutes=7)
            text = _text(person, rng, True)
            own_id = native_id("x", seq, rng)
            posts.append(
                WorldPost("x", own_id, i + 1, text, when, 30.0, True, testimony=200_000_000 + seq)
            )
    known = {row["response_id"] for row in world.consent_rows}
    rows = [
        row
        for row in _consent_rows(people, posts, rng, world.now)
        if row["response_id"] not in known
    ]
    for row in rows:
        person = next(p for p in people[first_new:] if p.response_id == row["response_id"])
        if person.index + 1 < len(people) and not people[person.index + 1].has_form:
            second = people[person.index + 1]
            second.response_id = person.response_id  # the same person's other account
            urls = [post_url(p, second.handles["x"]) for p in posts if p.person == second.index]
            row["video_urls"] = ";".join(filter(None, [row["video_urls"], *urls]))
        if person.index % 5 == 2 and row["x_handle"]:  # written in the wrong column
            row["instagram_handle"], row["x_handle"] = row["x_handle"], ""
    world.consent_rows.extend(rows)


def _renumber_by_time(posts: list[WorldPost]) -> None:
    # Tweet and Instagram ids grow with time on the real platforms (since_id relies on it).
    for platform, make in (
        ("x", _tweet_id),
        ("instagram", lambda k: str(3_100_000_000_000_000_000 + k)),
    ):
        ordered = sorted((p for p in posts if p.platform == platform), key=lambda p: p.published_at)
        for k, post in enumerate(ordered, start=1):
            post.native_id = make(k)


# A long post (X Premium: up to 25,000 characters): the campaign hashtags and @UNESCO land
# beyond the 280 characters that `text` carries; only `note_tweet` has them.
LONG_LINE = (
    " Before I finish I want to say thank you to every teacher, librarian, parent, neighbour "
    "and friend who helped me keep going this year, even on the days when the connection "
    "dropped, the power went out or the lessons felt too hard, because every one of them "
    "showed me that learning does not stop at the school gate."
)
# Characters X sends escaped in `text` (&amp; &lt; &gt;), as a person types them.
AMPERSAND_LINE = " Thanks to my teachers & family <3"


def _x_as_it_is(posts: list[WorldPost]) -> None:
    """X as it is today, on posts of testimonies that exist on X only (so no cross-platform
    link depends on their words): long posts, escaped characters, an edit, animated GIFs.
    (Withheld posts are made on request: /__sandbox__/withhold.) Chosen by position, without drawing from the world's random sequence."""
    copies: dict[int, int] = {}
    for post in posts:
        copies[post.testimony] = copies.get(post.testimony, 0) + 1
    alone = [
        p
        for p in sorted(posts, key=lambda p: int(p.native_id) if p.platform == "x" else 0)
        if p.platform == "x" and copies[p.testimony] == 1 and " #" in p.text
    ]
    for k, post in enumerate(alone):
        cut = post.text.index(" #")
        if k % 7 == 1:
            post.text = post.text[:cut] + LONG_LINE + post.text[cut:]
        elif k % 7 == 3:
            post.text = post.text[:cut] + AMPERSAND_LINE + post.text[cut:]
        elif k % 7 == 6 and post.is_video:
            post.media_kind, post.duration = "animated_gif", None
        elif k == 2:
            # edited within X's 30 minutes: a new id right after the original
            post.edits = [str(int(post.native_id) + 1)]
            post.old_texts = [post.text]
            post.text = post.text.replace(" #", " (edited) #", 1)


def edit_post(world: World, post: WorldPost, text: str) -> str:
    """The person edits an X post now: a new id, newer than any other (ids grow with time)."""
    newest = max(int(p.latest_id) for p in world.posts if p.platform == "x")
    post.edits.append(str(newest + 1))
    post.old_texts.append(post.text)
    post.text = text
    return post.latest_id


def _typo(handle: str, rng: random.Random) -> str:
    if len(handle) < 4:
        return handle
    i = rng.randrange(1, len(handle) - 1)
    return handle[:i] + handle[i + 1] + handle[i] + handle[i + 2 :]


def _consent_rows(
    people: list[Person], posts: list[WorldPost], rng: random.Random, now: datetime
) -> list[dict[str, str]]:
    videos: dict[int, list[str]] = {}
    for post in posts:
        videos.setdefault(post.person, []).append(
            post_url(post, people[post.person].handles[post.platform])
        )
    rows: list[dict[str, str]] = []
    for person in people:
        if not person.has_form or person.index not in videos:
            continue
        person.response_id = f"R{10000 + person.index}"
        style = rng.random()
        x, ig = person.handles["x"], person.handles["instagram"]
        row = {
            "response_id": person.response_id,
            "submitted_at": (now - timedelta(days=rng.randint(1, 9))).strftime("%Y-%m-%d %H:%M:%S"),
            "full_name": person.full_name if rng.random() > 0.1 else person.full_name.upper(),
            "age": str(person.age) if person.age is not None else "",
            "date_of_birth": "",
            "city": person.city,
            "country": person.country,
            "role": person.role,
            "email": f"p{person.index}@example.org",
            "x_handle": "",
            "youtube_channel": "",
            "instagram_handle": "",
            "facebook_profile": "",
            "tiktok_handle": "",
            "linkedin_profile": "",
            "bluesky_handle": "",
            "video_urls": "",
            "consent_scope": rng.choice(
                ["website;social", "website;social", "all", "website;x;youtube"]
            ),
            "expires_at": "",
            "guardian_name": "",
            "guardian_relationship": "",
            "guardian_signed": "",
            "signature": person.full_name,
            "form_version": "2026-1",
            "video_file": f"/__sandbox__/files/{person.response_id}.mp4"
            if rng.random() < 0.9
            else "",
        }
        if style < 0.45:
            row["video_urls"] = ";".join(videos[person.index])
        if 0.3 < style < 0.92:
            row["x_handle"] = rng.choice([f"@{x}", x.lower(), f"https://x.com/{x}", x])
            if rng.random() < 0.05:
                row["x_handle"] = _typo(x, rng)
            row["instagram_handle"] = rng.choice([ig, f"@{ig}", f"https://www.instagram.com/{ig}/"])
            row["youtube_channel"] = rng.choice(
                [person.ids["youtube"], f"https://www.youtube.com/{person.handles['youtube']}"]
            )
            row["facebook_profile"] = (
                f"https://www.facebook.com/profile.php?id={person.ids['facebook']}"
            )
            if "bluesky" in person.handles:  # by handle or by DID, as forms write them
                written = (person.handles["bluesky"], person.ids["bluesky"])
                row["bluesky_handle"] = written[person.index % 8 == 0]
        if rng.random() < 0.05:
            row["consent_scope"] = ""
        if person.age is not None and person.age < 18 and rng.random() < 0.85:
            row["guardian_name"] = f"{rng.choice(FIRST['en'])} {person.full_name.split()[-1]}"
            row["guardian_relationship"] = rng.choice(["mother", "father", "guardian"])
            row["guardian_signed"] = "yes"
        rows.append(row)
    return rows


def truth(world: World) -> list[dict[str, str | None]]:
    return [
        {
            "platform": p.platform,
            "native_id": p.native_id,
            "response_id": world.people[p.person].response_id,
        }
        for p in world.posts
    ]


def add_posts(
    world: World,
    count: int,
    rng: random.Random,
    platform: str | None = None,
    now: datetime | None = None,
) -> list[WorldPost]:
    """New posts, newer than all others and posted just now (the campaign goes on)."""
    added: list[WorldPost] = []
    seq = 10_000_000 + len(world.posts)
    latest = max((p.published_at for p in world.posts), default=world.now)
    if now is not None:
        # posted in the last moments, so "recent" searches (24 h, 7 days) find them at any hour
        latest = max(latest, now - timedelta(seconds=count + 1))
    for i in range(count):
        person = world.people[rng.randrange(len(world.people))]
        chosen = platform or rng.choice(PLATFORMS)
        seq += 1
        post = WorldPost(
            chosen,
            native_id(chosen, seq, rng),
            person.index,
            _text(person, rng, True),
            latest + timedelta(seconds=i + 1),
            round(rng.uniform(20, 60), 1),
            True,
            testimony=100_000_000 + seq,
        )
        world.posts.append(post)
        added.append(post)
    return added


def birth_date(age: int, today: date) -> date:
    return date(today.year - age, 1, 1)
