"""Artefacts over real HTTP: creation, revisions kept and readable, deletion, community
attachment and visibility, suspension, validation and pagination."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Client, Member, field_of, make_admin, register

NO_SUCH = "00000000-0000-4000-8000-000000000000"


async def _create(member: Member, status: int = 201, **fields: Any) -> Any:
    body = {"title": "A write-up", **fields}
    return await member.expect("POST", "/api/v1/artefacts", status, json=body)


async def _community(owner: Member, slug: str, visibility: str = "public") -> str:
    body = {"slug": slug, "name": slug.title(), "visibility": visibility, "join_policy": "open"}
    return (await owner.expect("POST", "/api/v1/communities", 201, json=body))["id"]


async def test_create_and_read_back(client: Client) -> None:
    ada = await register(client, "ada")
    done = await _create(
        ada,
        title="  Query planner notes ",
        summary="What I learned",
        body="# Plans\n\n**Bold** <script>alert(1)</script> [x](javascript:alert(1))",
        links=["https://example.org/notes", "https://example.org/notes"],
        skills=["SQL", " sql ", "Postgres"],
    )
    assert isinstance(done["position"], int)
    view = await ada.expect("GET", f"/api/v1/artefacts/{done['id']}", 200)
    assert view["id"] == done["id"]
    assert view["author"]["handle"] == "ada"
    assert view["community_id"] is None
    assert view["revision"] == 1
    assert view["title"] == "Query planner notes"
    assert view["summary"] == "What I learned"
    assert view["body"].startswith("# Plans")  # as written
    assert view["format"] == "markdown"
    assert "<h1>Plans</h1>" in view["html"]
    assert "<strong>Bold</strong>" in view["html"]
    assert "<script>" not in view["html"]
    assert 'href="javascript' not in view["html"]
    assert view["links"] == ["https://example.org/notes"]
    assert view["skills"] == ["sql", "postgres"]
    assert view["created_at"] == view["revised_at"]
    # anonymous readers see a public artefact too
    headers = {"Learnwork-Min-Position": str(ada.position)}
    anonymous = await client.get(f"/api/v1/artefacts/{done['id']}", headers=headers)
    assert anonymous.status == 200


async def test_plain_text_is_escaped(client: Client) -> None:
    ada = await register(client, "ada")
    done = await _create(ada, body="a <b>bold</b> claim\nnext line", format="plain")
    view = await ada.expect("GET", f"/api/v1/artefacts/{done['id']}", 200)
    assert view["html"] == "<p>a &lt;b&gt;bold&lt;/b&gt; claim<br>\nnext line</p>"


async def test_revisions_are_kept_and_readable(client: Client) -> None:
    ada = await register(client, "ada")
    artefact_id = (await _create(ada, title="v1", body="first"))["id"]
    path = f"/api/v1/artefacts/{artefact_id}"
    second = await ada.expect("PATCH", path, 200, json={"title": "v2", "body": "*second*"})
    assert isinstance(second["position"], int) and second["id"] == artefact_id
    await ada.expect("PATCH", path, 200, json={"summary": "third", "format": "plain"})

    view = await ada.expect("GET", path, 200)
    assert (view["revision"], view["title"], view["summary"], view["body"]) == (
        3,
        "v2",
        "third",
        "*second*",
    )
    assert view["html"] == "<p>*second*</p>"  # plain now
    assert view["revised_at"] > view["created_at"]

    revisions = await ada.expect("GET", f"{path}/revisions", 200)
    assert [r["revision"] for r in revisions["items"]] == [3, 2, 1]
    assert revisions["next_cursor"] is None
    first = await ada.expect("GET", f"{path}/revisions/1", 200)
    assert (first["title"], first["body"], first["html"]) == ("v1", "first", "<p>first</p>")
    middle = await ada.expect("GET", f"{path}/revisions/2", 200)
    assert (middle["title"], middle["summary"], middle["format"]) == ("v2", "", "markdown")
    assert middle["html"] == "<p><em>second</em></p>"
    last = await ada.expect("GET", f"{path}/revisions/3", 200)
    assert (last["summary"], last["format"]) == ("third", "plain")
    assert revisions["items"][1] == middle

    missing = await ada.expect("GET", f"{path}/revisions/4", 404)
    assert field_of(missing) == "revision"
    for bad in ("two", "0", "-1", "99999999999"):
        problem = await ada.expect("GET", f"{path}/revisions/{bad}", 404)
        assert field_of(problem) == "revision"


async def test_revision_pages(client: Client) -> None:
    ada = await register(client, "ada")
    artefact_id = (await _create(ada, title="t0"))["id"]
    for n in range(1, 5):
        await ada.expect("PATCH", f"/api/v1/artefacts/{artefact_id}", 200, json={"title": f"t{n}"})
    path = f"/api/v1/artefacts/{artefact_id}/revisions?limit=2"
    seen: list[int] = []
    cursor = None
    while True:
        page = await ada.expect("GET", path + (f"&cursor={cursor}" if cursor else ""), 200)
        seen += [r["revision"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [5, 4, 3, 2, 1]


async def test_a_revision_that_changes_nothing_writes_nothing(client: Client) -> None:
    ada = await register(client, "ada")
    artefact_id = (await _create(ada, title="Same", skills=["sql"]))["id"]
    path = f"/api/v1/artefacts/{artefact_id}"
    for body in ({}, {"title": " Same "}, {"skills": ["SQL"]}, {"title": None}):
        done = await ada.expect("PATCH", path, 200, json=body)
        assert done == {"position": None, "id": artefact_id}
    revisions = await ada.expect("GET", f"{path}/revisions", 200)
    assert len(revisions["items"]) == 1


async def test_only_the_author_revises_or_deletes(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    artefact_id = (await _create(ada))["id"]
    bob.saw(ada)
    path = f"/api/v1/artefacts/{artefact_id}"
    assert (await bob.request("PATCH", path, json={"title": "mine"})).status == 403
    assert (await bob.request("DELETE", path)).status == 403
    assert (await bob.expect("GET", path, 200))["title"] == "A write-up"
    reader = await register(client, "reader", scopes=["read"])
    assert (await reader.request("PATCH", path, json={"title": "x"})).status == 403
    assert (await client.patch(path, json={"title": "x"})).status == 401


async def test_delete_hides_the_artefact_and_its_revisions(client: Client) -> None:
    ada = await register(client, "ada")
    artefact_id = (await _create(ada))["id"]
    path = f"/api/v1/artefacts/{artefact_id}"
    await ada.expect("PATCH", path, 200, json={"title": "Second"})
    done = await ada.expect("DELETE", path, 200)
    assert isinstance(done["position"], int)
    for read in (path, f"{path}/revisions", f"{path}/revisions/1", f"{path}/revisions/2"):
        problem = await ada.expect("GET", read, 404)
        assert field_of(problem) == "artefact_id"
    listed = await ada.expect("GET", "/api/v1/members/ada/artefacts", 200)
    assert listed["items"] == []
    again = await ada.expect("DELETE", path, 200)
    assert again["position"] is None
    assert (await ada.request("PATCH", path, json={"title": "back"})).status == 409


async def test_unknown_and_malformed_ids_are_404(client: Client) -> None:
    ada = await register(client, "ada")
    for path in ("/api/v1/artefacts/nope", f"/api/v1/artefacts/{NO_SUCH}"):
        for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
            problem = await ada.expect(method, path, 404, json=body)
            assert field_of(problem) == "artefact_id"
        problem = await ada.expect("GET", f"{path}/revisions", 404)
        assert field_of(problem) == "artefact_id"
    problem = await ada.expect("GET", "/api/v1/members/nobody/artefacts", 404)
    assert field_of(problem) == "member"
    problem = await ada.expect("GET", "/api/v1/communities/nowhere/artefacts", 404)
    assert field_of(problem) == "community"


async def test_attaching_to_a_community_needs_membership(client: Client) -> None:
    owner, ada = await register(client, "owner"), await register(client, "ada")
    public = await _community(owner, "sql-club")
    private = await _community(owner, "inner-circle", "members_only")

    problem = await _create(ada, 403, community_id=public)
    assert field_of(problem) == "community_id"
    problem = await _create(ada, 404, community_id=private)
    assert field_of(problem) == "community_id"
    problem = await _create(ada, 404, community_id=NO_SUCH)
    assert field_of(problem) == "community_id"

    await ada.expect("POST", "/api/v1/communities/sql-club/join", 200, json={})
    done = await _create(ada, title="For the club", community_id=public)
    view = await ada.expect("GET", f"/api/v1/artefacts/{done['id']}", 200)
    assert view["community_id"] == public
    listed = await owner.expect("GET", "/api/v1/communities/sql-club/artefacts", 200)
    assert [a["title"] for a in listed["items"]] == ["For the club"]
    mine = await ada.expect("GET", f"/api/v1/members/{ada.id}/artefacts", 200)
    assert [a["id"] for a in mine["items"]] == [done["id"]]


async def test_members_only_community_artefacts_are_for_members(client: Client) -> None:
    owner, ada, bob = [await register(client, h) for h in ("owner", "ada", "bob")]
    private = await _community(owner, "inner-circle", "members_only")
    secret = await _create(owner, title="Secret", community_id=private)
    shown = await _create(owner, title="Open")
    path = f"/api/v1/artefacts/{secret['id']}"

    headers = {"Learnwork-Min-Position": str(owner.position)}
    assert (await client.get(path, headers=headers)).status == 404
    bob.position = owner.position
    for read in (path, f"{path}/revisions", f"{path}/revisions/1"):
        assert (await bob.request("GET", read)).status == 404
    assert (await bob.request("PATCH", path, json={"title": "x"})).status == 404
    assert (await bob.request("DELETE", path)).status == 404
    listed = await bob.expect("GET", "/api/v1/members/owner/artefacts", 200)
    assert [a["id"] for a in listed["items"]] == [shown["id"]]
    assert (await bob.request("GET", "/api/v1/communities/inner-circle/artefacts")).status == 404

    invite = {"member_id": ada.id}
    await owner.expect("POST", "/api/v1/communities/inner-circle/invitations", 200, json=invite)
    ada.position = owner.position
    await ada.expect("POST", "/api/v1/communities/inner-circle/join", 200, json={})
    assert (await ada.expect("GET", path, 200))["title"] == "Secret"
    assert len((await ada.expect("GET", f"{path}/revisions", 200))["items"]) == 1
    listed = await ada.expect("GET", "/api/v1/members/owner/artefacts", 200)
    assert [a["title"] for a in listed["items"]] == ["Open", "Secret"]
    listed = await ada.expect("GET", "/api/v1/communities/inner-circle/artefacts", 200)
    assert [a["title"] for a in listed["items"]] == ["Secret"]

    root = await make_admin(client)
    root.saw(ada)  # and its own registration as an admin
    assert (await root.request("GET", path)).status == 200


async def test_a_suspended_authors_artefacts_disappear(client: Client) -> None:
    root = await make_admin(client)
    ada, bob = await register(client, "ada"), await register(client, "bob")
    owner = await register(client, "owner")
    club = await _community(owner, "sql-club")
    await ada.expect("POST", "/api/v1/communities/sql-club/join", 200, json={})
    attached = await _create(ada, title="Club work", community_id=club)
    artefact_id = (await _create(ada))["id"]
    done = await root.expect(
        "POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={"reason": "x"}
    )
    bob.position = done["position"]
    for the_id in (artefact_id, attached["id"]):
        path = f"/api/v1/artefacts/{the_id}"
        for read in (path, f"{path}/revisions", f"{path}/revisions/1"):
            assert (await bob.request("GET", read)).status == 404
    listed = await bob.expect("GET", "/api/v1/communities/sql-club/artefacts", 200)
    assert listed["items"] == []
    done = await root.expect("POST", f"/api/v1/admin/members/{ada.id}/unsuspend", 200)
    bob.position = done["position"]
    assert (await bob.request("GET", f"/api/v1/artefacts/{artefact_id}")).status == 200


async def test_bad_input_is_422_naming_the_field_and_writes_nothing(client: Client) -> None:
    ada = await register(client, "ada")
    artefact_id = (await _create(ada, title="Keep"))["id"]
    cases = [
        ({"summary": "no title"}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "t", "links": ["ftp://example.org"]}, "links[0]"),
        ({"title": "t", "format": "html"}, "format"),
        ({"title": "t", "colour": "red"}, "colour"),
        ({"title": "t", "community_id": "sql-club"}, "community_id"),
        ({"title": "x" * 201}, "title"),
    ]
    for body, field in cases:
        response = await ada.request("POST", "/api/v1/artefacts", json=body)
        assert response.status == 422, (body, await response.text())
        assert response.content_type == "application/problem+json"
        assert field_of(await response.json()) == field
    path = f"/api/v1/artefacts/{artefact_id}"
    for body, field in [
        ({"title": ""}, "title"),
        ({"links": ["not a url"]}, "links[0]"),
        ({"author_id": ada.id}, "author_id"),
        ({"skills": [" "]}, "skills"),
    ]:
        response = await ada.request("PATCH", path, json=body)
        assert response.status == 422, (body, await response.text())
        assert field_of(await response.json()) == field
    listed = await ada.expect("GET", "/api/v1/members/ada/artefacts", 200)
    assert [a["title"] for a in listed["items"]] == ["Keep"]
    revisions = await ada.expect("GET", f"{path}/revisions", 200)
    assert len(revisions["items"]) == 1


async def test_member_artefacts_page_with_a_cursor(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    ids = [(await _create(ada, title=f"Work {n}"))["id"] for n in range(5)]
    await _create(bob, title="Not ada's")
    seen: list[str] = []
    cursor = None
    while True:
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = await bob.expect("GET", f"/api/v1/members/ada/artefacts{query}", 200)
        assert len(page["items"]) <= 2
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    problem = await bob.expect("GET", "/api/v1/members/ada/artefacts?cursor=%%%", 400)
    assert field_of(problem) == "cursor"


async def test_the_openapi_document_lists_the_endpoints(client: Client) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    assert {"post"} <= set(paths["/api/v1/artefacts"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/artefacts/{artefact_id}"])
    assert "get" in paths["/api/v1/artefacts/{artefact_id}/revisions/{revision}"]
    assert "get" in paths["/api/v1/members/{member}/artefacts"]
    assert "get" in paths["/api/v1/communities/{community}/artefacts"]
