"""The artefact decider, without a database: creation, revisions kept in full, deletion."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain import artefacts
from server.domain.artefacts import Content
from server.domain.common import Actor, CommunityAccess
from server.domain.errors import Conflict, Forbidden, Invalid, NotFound
from server.events import Event
from server.events.types import REGISTRY
from server.events.types.artefacts import ArtefactCreated, ArtefactDeleted, ArtefactRevised

ADA, BOB, ADMIN = (
    "00000000-0000-4000-8000-00000000000a",
    "00000000-0000-4000-8000-00000000000b",
    "00000000-0000-4000-8000-0000000000ad",
)
COMMUNITY = "00000000-0000-4000-8000-0000000000c1"
ARTEFACT = "00000000-0000-4000-8000-0000000000a1"

ada, bob = Actor(ADA), Actor(BOB)
admin = Actor(ADMIN, admin=True)


def access(**facts: Any) -> CommunityAccess:
    """Ada's access to COMMUNITY: by default a plain member of a public one."""
    return CommunityAccess(
        **{"community_id": COMMUNITY, "exists": True, "is_member": True, **facts}
    )


def run(
    state: artefacts.Artefact, command: artefacts.Command
) -> tuple[list[Event], artefacts.Artefact]:
    """Decide, check every event can be stored, and fold the events in."""
    events = artefacts.decide(state, command)
    for event in events:
        REGISTRY.encode(event)
        state = artefacts.evolve(state, event)
    return events, state


def create(**changes: Any) -> artefacts.Create:
    command = artefacts.Create(actor=ada, title="Incident review", body="What happened")
    return msgspec.structs.replace(command, **changes)


def created(**changes: Any) -> tuple[list[Event], artefacts.Artefact]:
    return run(artefacts.initial(ARTEFACT), create(**changes))


# -- create ---------------------------------------------------------------------------------


def test_creation_normalises_the_content_and_is_revision_one() -> None:
    events, state = created(
        title="  Incident review ",
        summary=" A post-mortem \n",
        body="  # Timeline\n",
        format="markdown",
        links=[" https://example.org/a ", "https://example.org/a", "http://example.org/b"],
        skills=["  Incident   Review", "SQL", "incident review"],
    )
    assert events == [
        ArtefactCreated(
            author_id=ADA,
            title="Incident review",
            summary="A post-mortem",
            body="  # Timeline\n",  # the body as written
            format="markdown",
            links=["https://example.org/a", "http://example.org/b"],
            skills=["incident review", "sql"],
        )
    ]
    assert state.active and state.author_id == ADA and state.revision == 1
    assert state.community_id is None
    assert state.content == Content(
        title="Incident review",
        summary="A post-mortem",
        body="  # Timeline\n",
        links=("https://example.org/a", "http://example.org/b"),
        skills=("incident review", "sql"),
    )


def test_a_blank_body_is_stored_empty() -> None:
    events, _ = created(body=" \n ", format="plain")
    assert events == [ArtefactCreated(author_id=ADA, title="Incident review", format="plain")]


@pytest.mark.parametrize(
    "community",
    [access(), access(is_moderator=True), access(members_only=True)],
    ids=["member", "moderator", "members-only"],
)
def test_a_member_attaches_an_artefact_to_the_community(community: CommunityAccess) -> None:
    events, state = created(community=community)
    assert isinstance(events[0], ArtefactCreated) and events[0].community_id == COMMUNITY
    assert state.community_id == COMMUNITY


CONTENT_REFUSALS = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": "a\x00"}, "title"),
    ({"summary": "s" * 2_001}, "summary"),
    ({"body": "b" * 100_001}, "body"),
    ({"body": "a\x00b"}, "body"),
    ({"format": "html"}, "format"),
    ({"links": ["ftp://example.org"]}, "links"),
    ({"links": ["example.org"]}, "links"),
    ({"links": ["https://exa mple.org"]}, "links"),
    ({"links": ["javascript:alert(1)"]}, "links"),
    ({"links": ["https://example.org/" + "x" * 2_000]}, "links"),
    ({"links": [f"https://example.org/{n}" for n in range(21)]}, "links"),
    ({"links": ["https://example.org/\x00"]}, "links"),
    ({"skills": [" "]}, "skills"),
    ({"skills": ["s" * 51]}, "skills"),
    ({"skills": [f"skill {n}" for n in range(31)]}, "skills"),
    ({"skills": ["a\x00"]}, "skills"),
]


@pytest.mark.parametrize(("changes", "field"), CONTENT_REFUSALS)
def test_creation_refuses_bad_content(changes: dict, field: str) -> None:
    with pytest.raises(Invalid) as refused:
        artefacts.decide(artefacts.initial(ARTEFACT), create(**changes))
    assert refused.value.field == field


def test_limits_are_inclusive() -> None:
    events, _ = created(
        title="t" * 200,
        summary="s" * 2_000,
        body="b" * 100_000,
        links=[f"https://example.org/{n}" for n in range(20)],
        skills=[f"skill {n}" for n in range(30)],
    )
    assert len(events) == 1


@pytest.mark.parametrize(
    ("actor", "community", "error"),
    [
        (ada, CommunityAccess(community_id=COMMUNITY, exists=False), NotFound),
        (ada, access(members_only=True, is_member=False), NotFound),
        (ada, access(is_member=False), Forbidden),
        (ada, access(is_member=False, banned=True), Forbidden),
        (admin, access(members_only=True, is_member=False), Forbidden),
    ],
)
def test_only_members_attach_artefacts_to_a_community(
    actor: Actor, community: CommunityAccess, error: type
) -> None:
    with pytest.raises(error) as refused:
        artefacts.decide(artefacts.initial(ARTEFACT), create(actor=actor, community=community))
    assert type(refused.value) is error and refused.value.field == "community_id"


def test_creating_under_a_used_id_is_a_conflict() -> None:
    _, state = created()
    with pytest.raises(Conflict) as refused:
        artefacts.decide(state, create(actor=bob))
    assert refused.value.field == "artefact_id"


# -- revise ---------------------------------------------------------------------------------


def test_each_revision_carries_the_full_content_and_the_next_number() -> None:
    _, state = created(skills=["sql"], links=["https://example.org"])
    events, state = run(state, artefacts.Revise(actor=ada, summary="Now with a summary"))
    assert events == [
        ArtefactRevised(
            revision=2,
            title="Incident review",
            summary="Now with a summary",
            body="What happened",
            links=["https://example.org"],
            skills=["sql"],
        )
    ]
    events, state = run(state, artefacts.Revise(actor=ada, skills=["SQL", "Go"], links=[]))
    assert events == [
        ArtefactRevised(
            revision=3,
            title="Incident review",
            summary="Now with a summary",
            body="What happened",
            skills=["sql", "go"],
        )
    ]
    assert state.revision == 3 and state.content.skills == ("sql", "go")


@pytest.mark.parametrize(
    "command",
    [
        artefacts.Revise(actor=ada),
        artefacts.Revise(actor=ada, title=" Incident review  ", body="What happened"),
        artefacts.Revise(actor=ada, skills=[], links=[], format="markdown", summary=" "),
    ],
)
def test_a_revision_that_changes_nothing_records_nothing(command: artefacts.Revise) -> None:
    _, state = created()
    assert artefacts.decide(state, command) == []


@pytest.mark.parametrize(("changes", "field"), CONTENT_REFUSALS)
def test_revising_refuses_bad_content(changes: dict, field: str) -> None:
    _, state = created()
    with pytest.raises(Invalid) as refused:
        artefacts.decide(state, artefacts.Revise(actor=ada, **changes))
    assert refused.value.field == field


def test_only_the_author_revises_a_live_artefact() -> None:
    with pytest.raises(NotFound):
        artefacts.decide(artefacts.initial(ARTEFACT), artefacts.Revise(actor=ada, title="x"))
    _, state = created()
    for actor in (bob, admin):
        with pytest.raises(Forbidden) as refused:
            artefacts.decide(state, artefacts.Revise(actor=actor, title="x"))
        assert refused.value.field is None
    _, state = run(state, artefacts.Delete(actor=ada))
    with pytest.raises(Conflict) as conflict:
        artefacts.decide(state, artefacts.Revise(actor=ada, title="x"))
    assert conflict.value.field == "status"


# -- revisions read back --------------------------------------------------------------------


def test_every_revision_reads_back_from_the_log() -> None:
    log, state = created(title="v1")
    for title in ("v2", "v3"):
        events, state = run(state, artefacts.Revise(actor=ada, title=title))
        log += events
    assert [content.title for content in artefacts.revisions(log)] == ["v1", "v2", "v3"]
    assert artefacts.revisions(log)[-1] == state.content
    assert artefacts.revisions(log)[0].body == "What happened"


@given(
    st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "title": st.sampled_from(["A", "B", " A "]),
                "body": st.sampled_from(["", "x", "y\n"]),
                "skills": st.lists(st.sampled_from(["sql", "SQL", "go"]), max_size=3),
                "format": st.sampled_from(["markdown", "plain"]),
            },
        ),
        max_size=15,
    )
)
def test_revisions_are_numbered_in_order_and_all_kept(changes: list[dict]) -> None:
    log, state = created(title="A")
    for change in changes:
        before = state.content
        events, state = run(state, artefacts.Revise(actor=ada, **change))
        assert (events == []) == (state.content == before)
        log += events
    kept = artefacts.revisions(log)
    assert len(kept) == state.revision
    assert [e.revision for e in log[1:]] == list(range(2, state.revision + 1))
    assert kept[-1] == state.content
    assert all(a != b for a, b in pairwise(kept))


# -- delete ---------------------------------------------------------------------------------


def test_the_author_deletes_and_nothing_is_served_any_more() -> None:
    log, state = created()
    events, state = run(state, artefacts.Delete(actor=ada))
    assert events == [ArtefactDeleted()]
    assert state.status == "deleted" and state.content == artefacts.EMPTY
    assert artefacts.revisions([*log, *events]) == []
    assert artefacts.decide(state, artefacts.Delete(actor=ada)) == []  # idempotent


@pytest.mark.parametrize(("actor", "error"), [(bob, Forbidden), (admin, Forbidden)])
def test_only_the_author_deletes(actor: Actor, error: type) -> None:
    _, state = created()
    with pytest.raises(error):
        artefacts.decide(state, artefacts.Delete(actor=actor))


def test_deleting_what_does_not_exist_is_not_found() -> None:
    with pytest.raises(NotFound):
        artefacts.decide(artefacts.initial(ARTEFACT), artefacts.Delete(actor=ada))


def test_the_stream_is_named_after_the_artefact() -> None:
    assert artefacts.stream(ARTEFACT) == f"artefact-{ARTEFACT}"
