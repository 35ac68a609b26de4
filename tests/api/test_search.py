"""Search over real HTTP: ranked full-text matches of every kind, stemming, filters, pages,
and only what the reader may see."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Client, Member, field_of, make_admin, register
from tests.api.test_paths import _community


async def _search(reader: Member, q: str, **params: str) -> list[tuple[str, str]]:
    found = await reader.expect("GET", "/api/v1/search", 200, params={"q": q, **params})
    return [(hit["kind"], hit["title"] or hit["snippet"]) for hit in found["items"]]


async def test_search_finds_every_kind_ranked_and_only_what_you_may_see(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    profile = {"headline": "Database engineer", "bio": "I tune queries.", "skills": ["postgres"]}
    await ada.expect("PATCH", "/api/v1/me", 200, json=profile)
    body = {"slug": "sql", "name": "SQL Practitioners", "description": "On query planning",
            "skills": ["sql"], "visibility": "public", "join_policy": "open"}  # fmt: skip
    await ada.expect("POST", "/api/v1/communities", 201, json=body)
    inner = await _community(ada, "inner", visibility="members_only")
    sql = (await ada.expect("GET", "/api/v1/communities/sql", 200))["id"]
    post = {"body": "Reading *query* plans with EXPLAIN ANALYZE", "community_id": sql}
    published = await ada.expect("POST", "/api/v1/posts", 201, json=post)
    secret = {"body": "Secret query tricks", "community_id": inner}
    await ada.expect("POST", "/api/v1/posts", 201, json=secret)
    artefact = {"title": "Index tuning", "summary": "A query gets faster", "skills": ["postgres"]}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=artefact)
    path = {"title": "Query mastery", "summary": "From zero", "steps": [{"kind": "text",
            "title": "Start", "text": "Go"}]}  # fmt: skip
    path_id = (await ada.expect("POST", "/api/v1/communities/sql/paths", 201, json=path))["id"]
    bob.saw(ada)

    # "queries" and "query" are one word stemmed; the draft path is not found yet.
    found = await _search(bob, "queries")
    assert sorted(found) == [
        ("artefact", "Index tuning"),
        ("community", "SQL Practitioners"),
        ("member", "Ada"),
        ("post", "Reading *query* plans with EXPLAIN ANALYZE"),
    ]
    await ada.expect("POST", f"/api/v1/paths/{path_id}/publish", 200)
    bob.saw(ada)
    # A match in a title ranks first; the members-only community's post is ada's alone.
    assert (await _search(bob, "query"))[0] == ("path", "Query mastery")
    assert ("post", "Secret query tricks") not in await _search(bob, "query")
    assert ("post", "Secret query tricks") in await _search(ada, "query")
    wait = {"Learnwork-Min-Position": str(bob.position)}
    anonymous = await client.get("/api/v1/search", params={"q": "secret"}, headers=wait)
    assert (await anonymous.json())["items"] == []

    assert await _search(bob, "query", type="post") == [
        ("post", "Reading *query* plans with EXPLAIN ANALYZE")
    ]
    [member] = (await bob.expect("GET", "/api/v1/search", 200, params={"q": "ada"}))["items"]
    assert (member["kind"], member["handle"], member["id"]) == ("member", "ada", ada.id)
    [community] = (await bob.expect("GET", "/api/v1/search", 200, params={"q": "sql"}))["items"]
    assert (community["slug"], community["community_id"]) == ("sql", sql)
    assert await _search(bob, '"tuning index"') == []  # a phrase keeps its order
    assert await _search(bob, "query -plans", type="post") == []

    everything = await _search(bob, "query or postgres or sql")
    pages: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "query or postgres or sql", "limit": "2"}
        if cursor:
            params["cursor"] = cursor
        found_page = await bob.expect("GET", "/api/v1/search", 200, params=params)
        pages += [(h["kind"], h["title"] or h["snippet"]) for h in found_page["items"]]
        if not (cursor := found_page["next_cursor"]):
            break
    assert pages == everything and len(everything) == 5

    await ada.expect("DELETE", f"/api/v1/posts/{published['id']}", 200)
    bob.saw(ada)
    assert await _search(bob, "explain") == []


async def test_suspended_members_are_not_found_and_bad_queries_are_refused(
    client: Client,
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Kubernetes at home"})
    bob.saw(ada)
    assert await _search(bob, "kubernetes") == [("post", "Kubernetes at home")]
    root.saw(ada)
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    bob.saw(root)
    assert await _search(bob, "kubernetes") == []
    assert await _search(bob, "ada") == []

    for params in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "a\x00b"}, {"q": "x", "type": "bogus"}):
        refused = await bob.expect("GET", "/api/v1/search", 400, params=params)
        assert field_of(refused) in ("q", "type")


async def test_a_community_turning_members_only_takes_its_content_out_of_search(
    client: Client,
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    data = await _community(ada, "data")
    await ada.expect(
        "POST", "/api/v1/posts", 201, json={"body": "Lakehouse notes", "community_id": data}
    )
    bob.saw(ada)
    assert await _search(bob, "lakehouse") == [("post", "Lakehouse notes")]
    await ada.expect("PATCH", "/api/v1/communities/data", 200, json={"visibility": "members_only"})
    bob.saw(ada)
    assert await _search(bob, "lakehouse") == []
    assert await _search(ada, "lakehouse") == [("post", "Lakehouse notes")]
