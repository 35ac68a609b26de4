"""The read models are only a cache of the log: replaying the whole log into fresh read models
gives the same answer to every read, for every reader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from server.app import create_app
from server.config import Settings
from tests.api.conftest import Client, Member, make_admin, register


async def _scenario(client: Client) -> tuple[list[Member], list[str]]:
    """A small instance with a bit of everything; returns its members and the reads to compare."""
    root = await make_admin(client)
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]

    async def ok(member: Member, method: str, path: str, body: Any = None) -> Any:
        response = await member.request(method, path, json=body)
        assert response.status < 300, f"{method} {path}: {await response.text()}"
        return await response.json()

    await ok(ada, "PATCH", "/api/v1/me", {"headline": "Data engineer", "skills": ["SQL"]})
    await ok(bob, "POST", "/api/v1/members/ada/follow")
    await ok(ada, "POST", "/api/v1/communities", {"slug": "data", "name": "Data"})
    await ok(
        ada,
        "POST",
        "/api/v1/communities",
        {"slug": "inner", "name": "Inner", "visibility": "members_only", "join_policy": "approval"},
    )
    await ok(bob, "POST", "/api/v1/communities/data/join")
    await ok(ada, "POST", "/api/v1/communities/inner/invitations", {"member_id": cy.id})
    await ok(cy, "POST", "/api/v1/communities/inner/join")
    await ok(
        ada,
        "POST",
        "/api/v1/communities/data/library",
        {"url": "https://example.org/dbt", "title": "dbt docs", "skills": ["dbt"]},
    )
    post = (await ok(ada, "POST", "/api/v1/posts", {"body": "# Hi\n\n*all*"}))["id"]
    reply = await ok(bob, "POST", "/api/v1/posts", {"body": "hello", "in_reply_to": post})
    await ok(bob, "POST", f"/api/v1/posts/{post}/like")
    await ok(ada, "PATCH", f"/api/v1/posts/{post}", {"body": "# Hi\n\n**all**"})
    await ok(bob, "DELETE", f"/api/v1/posts/{reply['id']}")
    community = await ok(ada, "GET", "/api/v1/communities/inner")
    inner_post = await ok(
        cy, "POST", "/api/v1/posts", {"body": "inside", "community_id": community["id"]}
    )
    artefact = (await ok(ada, "POST", "/api/v1/artefacts", {"title": "Pipeline", "body": "v1"}))[
        "id"
    ]
    await ok(ada, "PATCH", f"/api/v1/artefacts/{artefact}", {"body": "v2"})
    path = (
        await ok(
            ada,
            "POST",
            "/api/v1/communities/data/paths",
            {
                "title": "Start",
                "steps": [
                    {"kind": "text", "title": "Read", "text": "Read this", "estimated_minutes": 5},
                    {"kind": "resource", "title": "Docs", "url": "https://example.org/d"},
                ],
            },
        )
    )["id"]
    await ok(ada, "POST", f"/api/v1/paths/{path}/publish")
    await ok(bob, "POST", f"/api/v1/paths/{path}/enroll")
    steps = (await ok(bob, "GET", f"/api/v1/paths/{path}"))["steps"]
    await ok(bob, "POST", f"/api/v1/paths/{path}/steps/{steps[0]['step_id']}/complete", {})
    await ok(
        bob,
        "POST",
        "/api/v1/endorsements",
        {"kind": "member", "member_id": ada.id, "skill": "sql", "comment": "Great"},
    )
    await ok(bob, "POST", "/api/v1/endorsements", {"kind": "artefact", "artefact_id": artefact})
    await ok(root, "POST", f"/api/v1/admin/members/{cy.id}/suspend", {"reason": "test"})
    reads = [
        "/api/v1/members/ada",
        "/api/v1/members/ada/followers",
        "/api/v1/communities",
        "/api/v1/communities/data",
        "/api/v1/communities/data/members",
        "/api/v1/communities/data/library",
        "/api/v1/communities/inner",
        "/api/v1/communities/inner/members",
        f"/api/v1/posts/{post}",
        f"/api/v1/posts/{post}/thread",
        f"/api/v1/posts/{inner_post['id']}",
        "/api/v1/members/ada/posts",
        f"/api/v1/artefacts/{artefact}",
        f"/api/v1/artefacts/{artefact}/revisions",
        f"/api/v1/paths/{path}",
        f"/api/v1/paths/{path}/enrollments/bob",
        f"/api/v1/paths/{path}/insight",
        "/api/v1/members/ada/endorsements",
        "/api/v1/members/ada/journey",
        "/api/v1/members/ada/profile",
        "/api/v1/members/bob/profile",
        "/api/v1/search?q=data",
        "/api/v1/search?q=ada",
        "/api/v1/feeds/home",
        "/api/v1/communities/data/feed",
        "/api/v1/communities/inner/feed",
        "/api/v1/members/bob/journey",
        f"/api/v1/artefacts/{artefact}/endorsements",
        "/api/v1/admin/members",
    ]
    members = [root, ada, bob, cy]
    for member in members:
        member.saw(*members)
    return members, reads


async def _answers(members: list[Member], reads: list[str]) -> list[tuple[int, Any]]:
    """What every member, then an anonymous reader, is told by each read (members' reads wait
    for the whole scenario, so the anonymous ones come after it too)."""
    answers = []
    for member in members:
        for path in reads:
            response = await member.request("GET", path)
            answers.append((response.status, await response.json()))
    for path in reads:
        response = await members[0].client.get(path)
        answers.append((response.status, await response.json()))
    return answers


async def test_replaying_the_log_gives_identical_answers(
    another_database: str,
    client: Client,
    database_url: str,
    settings: Settings,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    members, reads = await _scenario(client)
    before = await _answers(members, reads)
    assert sum(status == 200 for status, _ in before) > len(before) // 2

    # Copy the log, and only the log, into a database whose read models are empty.
    source = await asyncpg.connect(database_url)
    target = await asyncpg.connect(another_database)
    try:
        rows = await source.fetch("SELECT * FROM events ORDER BY position")
        columns = list(rows[0].keys())
        await target.copy_records_to_table("events", records=rows, columns=columns)
    finally:
        await source.close()
        await target.close()
    replayed = await aiohttp_client(create_app(settings, another_database))
    again = [Member(replayed, m.id, m.handle, m.token, m.position) for m in members]
    after = await _answers(again, reads)
    assert after == before
