"""Text for a seeded network, composed from `names` with the seed's random generator: handles
and display names, headlines, community names and descriptions, posts, replies, artefacts,
learning-path steps, comments.

Pure: every function takes the `random.Random` to draw from, so a seed always writes the same
words. Nothing here knows about events or the domain's rules beyond their length limits.
"""

from __future__ import annotations

import random
import re
import unicodedata

from server.seed import names
from server.seed.names import Field

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str) -> str:
    """`text` lower-cased, without accents: "Sebastián Müller" → "sebastian muller"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode().lower()


def slugify(text: str) -> str:
    return _NOT_SLUG.sub("-", ascii_fold(text)).strip("-")[:64].rstrip("-")


def title_case(skill: str) -> str:
    """A skill as the start of a title: "sql" → "SQL", "ux research" → "UX research"."""
    return names.SKILL_TITLES.get(skill) or skill[:1].upper() + skill[1:]


def person(rng: random.Random) -> tuple[str, str, str]:
    """(first name, last name, display name) of a new member."""
    first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
    return first, last, f"{first} {last}"


def handle_candidates(rng: random.Random, first: str, last: str) -> list[str]:
    """Handles to try for a person, most natural first; the last one is almost surely free."""
    f, la = _NOT_SLUG.sub("", ascii_fold(first)), _NOT_SLUG.sub("", ascii_fold(last))
    number = rng.randrange(10, 10_000)
    return [f"{f}{la}"[:30], f"{f}_{la}"[:30], f"{f[0]}{la}"[:30], f"{f}{number}"[:30],
            f"{f}_{la}{number}"[:30], f"{f}_{la}_{rng.randrange(10**6)}"[:30]]  # fmt: skip


def headline(role: str, skills: list[str]) -> str:
    return f"{role} · {', '.join(skills[:3])}"


def bio(rng: random.Random, role: str, field: Field, skills: list[str]) -> str:
    city = rng.choice(names.CITIES)
    wants = rng.choice(field.skills)
    return f"{role} based in {city}. Working with {skills[0]}; curious about {wants}."


def community_name(rng: random.Random, topic: str) -> str:
    kind = rng.choice(names.COMMUNITY_KINDS)
    qualifier = rng.choice(names.COMMUNITY_QUALIFIERS)
    match rng.randrange(3):
        case 0:
            return f"{topic} {kind}"
        case 1:
            return f"{qualifier} {topic} {kind}"
    return f"{topic} {kind} {qualifier}"


def community_description(rng: random.Random, skills: list[str]) -> str:
    return _fill(rng, rng.choice(names.COMMUNITY_PURPOSES), skills)


def post_body(rng: random.Random, skills: list[str]) -> tuple[str, str]:
    """(body, format) of a new post about `skills`."""
    kind = rng.random()
    if kind < 0.3:
        template = rng.choice(names.TIL)
    elif kind < 0.55:
        template = rng.choice(names.QUESTIONS)
    else:
        template = rng.choice(names.SHARES)
    body = _fill(rng, template, skills)
    return body, ("markdown" if "\n" in body or "**" in body or rng.random() < 0.7 else "plain")


def reply_body(rng: random.Random, skills: list[str]) -> str:
    return _fill(rng, rng.choice(names.REPLIES), skills)


def artefact(rng: random.Random, handle: str, skills: list[str]) -> tuple[str, str, str, str]:
    """(title, summary, body, link) of a work sample about `skills`."""
    sample = rng.choice(names.WORK_SAMPLES)
    skill = skills[0]
    title = rng.choice(names.ARTEFACT_TITLES).format(
        skill=skill, Skill=title_case(skill), sample=sample, Sample=sample[:1].upper() + sample[1:]
    )
    summary = f"What I made, why, and what I would change: {sample}, using {', '.join(skills)}."
    body = (
        f"## Context\n\n{_fill(rng, rng.choice(names.TIL), skills)}\n\n"
        f"## What I did\n\n- {rng.choice(names.TIPS)}\n- {rng.choice(names.TIPS)}\n\n"
        f"## What I learned\n\n{_fill(rng, '{Tip}.', skills)}"
    )
    link = f"https://example.org/{handle}/{slugify(title)}"
    return title, summary, body, link


def revision_note(rng: random.Random, revision: int) -> str:
    return f"\n\n## Revision {revision}\n\nUpdated after feedback: {rng.choice(names.TIPS)}."


def path_title(rng: random.Random, skills: list[str]) -> str:
    return _fill(rng, rng.choice(names.PATH_TITLES), skills)


def path_summary(skills: list[str]) -> str:
    return f"A guided route through {', '.join(skills)}, with practice and reflection."


def text_step(rng: random.Random, skills: list[str]) -> tuple[str, str]:
    title, text = rng.choice(names.TEXT_STEPS)
    return _fill(rng, title, skills), _fill(rng, text, skills)


def resource_step(rng: random.Random, skills: list[str], number: int) -> tuple[str, str]:
    """(title, url) of a step that links to something to read or watch."""
    title = _fill(rng, rng.choice(names.RESOURCE_STEPS), skills)
    return title, f"https://example.org/learn/{slugify(skills[0])}/{number}"


def endorsement_comment(rng: random.Random, skill: str) -> str:
    return rng.choice(names.ENDORSEMENT_COMMENTS).format(skill=skill)


def join_message(rng: random.Random, skills: list[str]) -> str:
    return _fill(rng, rng.choice(names.JOIN_MESSAGES), skills)


def reflection(rng: random.Random) -> str:
    return rng.choice(names.REFLECTIONS)


def _fill(rng: random.Random, template: str, skills: list[str]) -> str:
    """`template` with {skill}, {Skill}, {other}, {tip}, {tip2}, {Tip} and {week} filled in."""
    skill = rng.choice(skills)
    other = rng.choice([name for name in skills if name != skill] or skills)
    tip, tip2 = rng.sample(names.TIPS, 2)
    return template.format(
        skill=skill,
        Skill=title_case(skill),
        other=other,
        tip=tip,
        tip2=tip2,
        Tip=tip[:1].upper() + tip[1:],
        week=rng.randrange(2, 30),
    )
