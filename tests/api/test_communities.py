"""Communities over real HTTP: creation, slugs, joining under each policy, roles, moderation,
the library, and members-only visibility."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import Client, Member, make_admin, register


async def create(member: Member, slug: str, **fields: Any) -> str:
    body = {"slug": slug, "name": slug.title(), **fields}
    response = await member.request("POST", "/api/v1/communities", json=body)
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def get(member: Member, path: str) -> Any:
    response = await member.request("GET", path)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_create_read_by_id_and_slug_and_update(client: Client) -> None:
    ada = await register(client, "ada")
    community_id = await create(
        ada, "Data-Eng", description="Pipelines", skills=["SQL", " dbt "], join_policy="approval"
    )
    by_slug = await get(ada, "/api/v1/communities/data-eng")
    assert by_slug["id"] == community_id
    assert by_slug["slug"] == "data-eng"
    assert by_slug["skills"] == ["sql", "dbt"]
    assert by_slug["viewer_role"] == "owner"
    assert by_slug["members_count"] == 1
    response = await ada.request(
        "PATCH", f"/api/v1/communities/{community_id}", json={"name": "Data engineering"}
    )
    assert response.status == 200
    view = await get(ada, "/api/v1/communities/DATA-ENG")
    assert view["name"] == "Data engineering"
    assert view["description"] == "Pipelines"  # unchanged: not sent


async def test_a_slug_is_taken_once_even_by_racing_creators(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    responses = await asyncio.gather(
        *(
            m.request("POST", "/api/v1/communities", json={"slug": "craft", "name": "Craft"})
            for m in (ada, bob, ada, bob)
        )
    )
    assert sorted(r.status for r in responses) == [201, 409, 409, 409]
    ada.saw(bob)
    refused = next(r for r in responses if r.status == 409)
    assert (await refused.json())["errors"][0]["field"] == "slug"
    page = await get(ada, "/api/v1/communities")
    assert [c["slug"] for c in page["items"]] == ["craft"]


async def test_bad_input_names_the_field_and_writes_nothing(client: Client) -> None:
    ada = await register(client, "ada")
    cases = [
        ({"slug": "-bad-", "name": "x"}, 422, "slug"),
        ({"slug": "ok", "name": "   "}, 422, "name"),
        ({"slug": "ok", "name": "x", "visibility": "secret"}, 422, "visibility"),
        ({"slug": "ok", "name": "x", "colour": "red"}, 422, "colour"),
        ({"name": "x"}, 422, "slug"),
    ]
    for body, status, field in cases:
        response = await ada.request("POST", "/api/v1/communities", json=body)
        assert response.status == status, body
        assert response.content_type == "application/problem+json"
        assert (await response.json())["errors"][0]["field"] == field, body
    assert (await get(ada, "/api/v1/communities"))["items"] == []


async def test_open_approval_and_invite_policies(client: Client) -> None:
    owner, ada, bob = [await register(client, h) for h in ("owner", "ada", "bob")]
    await create(owner, "open-c")
    await create(owner, "approve-c", join_policy="approval")
    await create(owner, "invite-c", join_policy="invite")

    joined = await ada.request("POST", "/api/v1/communities/open-c/join")
    assert (await joined.json())["membership"] == "member"

    asked = await ada.request(
        "POST", "/api/v1/communities/approve-c/join", json={"message": "I run the ETL"}
    )
    assert (await asked.json())["membership"] == "requested"
    owner.saw(ada)
    queue = await get(owner, "/api/v1/communities/approve-c/requests")
    assert [(r["member"]["handle"], r["message"]) for r in queue["items"]] == [
        ("ada", "I run the ETL")
    ]
    assert (await ada.request("GET", "/api/v1/communities/approve-c/requests")).status == 403
    approved = await owner.request(
        "POST", f"/api/v1/communities/approve-c/requests/{ada.id}/approve"
    )
    assert approved.status == 200
    ada.saw(owner)
    view = await get(ada, "/api/v1/communities/approve-c")
    assert view["viewer_role"] == "member"
    assert view["members_count"] == 2

    refused = await bob.request("POST", "/api/v1/communities/invite-c/join")
    assert refused.status == 403
    invited = await owner.request(
        "POST", "/api/v1/communities/invite-c/invitations", json={"member_id": bob.id}
    )
    assert invited.status == 200
    bob.saw(owner)
    assert (await get(bob, "/api/v1/communities/invite-c"))["viewer_invited"] is True
    joined = await bob.request("POST", "/api/v1/communities/invite-c/join")
    assert (await joined.json())["membership"] == "member"
    members = await get(bob, "/api/v1/communities/invite-c/members")
    assert [(m["member"]["handle"], m["role"]) for m in members["items"]] == [
        ("owner", "owner"),
        ("bob", "member"),
    ]


async def test_members_only_communities_do_not_exist_for_outsiders(client: Client) -> None:
    owner, ada = await register(client, "owner"), await register(client, "ada")
    root = await make_admin(client)
    await create(owner, "inner", visibility="members_only", join_policy="open")
    ada.saw(owner)
    root.saw(owner)
    for path in ("", "/members", "/library"):
        response = await ada.request("GET", f"/api/v1/communities/inner{path}")
        assert response.status == 404, path
        anonymous = await client.get(f"/api/v1/communities/inner{path}")
        assert anonymous.status == 404, path
    assert (await ada.request("POST", "/api/v1/communities/inner/join")).status == 404
    assert (await get(ada, "/api/v1/communities"))["items"] == []
    assert (await get(root, "/api/v1/communities/inner"))["viewer_role"] is None  # admin sees it
    await owner.request("POST", "/api/v1/communities/inner/invitations", json={"member_id": ada.id})
    ada.saw(owner)
    assert (await get(ada, "/api/v1/communities/inner"))["viewer_invited"] is True
    assert (await ada.request("POST", "/api/v1/communities/inner/join")).status == 200
    mine = await get(ada, "/api/v1/communities?mine=true")
    assert [c["slug"] for c in mine["items"]] == ["inner"]


async def test_roles_keep_an_owner_and_moderators_moderate(client: Client) -> None:
    owner, mod, ada = [await register(client, h) for h in ("owner", "mod", "ada")]
    await create(owner, "guild")
    for member in (mod, ada):
        await member.request("POST", "/api/v1/communities/guild/join")
    last_owner = await owner.request("POST", "/api/v1/communities/guild/leave")
    assert last_owner.status == 409
    demote = await owner.request(
        "PUT", f"/api/v1/communities/guild/members/{owner.id}/role", json={"role": "member"}
    )
    assert demote.status == 409
    assert (await demote.json())["errors"][0]["field"] == "role"
    promoted = await owner.request(
        "PUT", f"/api/v1/communities/guild/members/{mod.id}/role", json={"role": "moderator"}
    )
    assert promoted.status == 200
    not_owner = await mod.request(
        "PUT", f"/api/v1/communities/guild/members/{ada.id}/role", json={"role": "owner"}
    )
    assert not_owner.status == 403

    banned = await mod.request(
        "POST", "/api/v1/communities/guild/bans", json={"member_id": ada.id, "reason": "spam"}
    )
    assert banned.status == 200
    assert (await ada.request("POST", "/api/v1/communities/guild/join")).status == 403
    bans = await get(mod, "/api/v1/communities/guild/bans")
    assert [(b["member_id"], b["reason"]) for b in bans["items"]] == [(ada.id, "spam")]
    assert (await get(mod, "/api/v1/communities/guild"))["members_count"] == 2
    lifted = await mod.request("DELETE", f"/api/v1/communities/guild/bans/{ada.id}")
    assert lifted.status == 200
    assert (await ada.request("POST", "/api/v1/communities/guild/join")).status == 200

    removed = await mod.request(
        "POST", f"/api/v1/communities/guild/members/{ada.id}/remove", json={"reason": "test"}
    )
    assert removed.status == 200
    cannot = await mod.request("POST", f"/api/v1/communities/guild/members/{owner.id}/remove")
    assert cannot.status == 403
    owner.saw(mod)
    members = await get(owner, "/api/v1/communities/guild/members")
    assert {m["member"]["handle"] for m in members["items"]} == {"owner", "mod"}


async def test_library_is_curated_by_moderators(client: Client) -> None:
    owner, ada = await register(client, "owner"), await register(client, "ada")
    await create(owner, "reading")
    await ada.request("POST", "/api/v1/communities/reading/join")
    resource = {"url": "https://sre.google/books/", "title": "SRE book", "skills": ["SRE"]}
    refused = await ada.request("POST", "/api/v1/communities/reading/library", json=resource)
    assert refused.status == 403
    added = await owner.request("POST", "/api/v1/communities/reading/library", json=resource)
    assert added.status == 201
    resource_id = (await added.json())["id"]
    bad = await owner.request(
        "POST", "/api/v1/communities/reading/library", json={**resource, "url": "ftp://x"}
    )
    assert bad.status == 422
    assert (await bad.json())["errors"][0]["field"] == "url"
    ada.saw(owner)
    library = await get(ada, "/api/v1/communities/reading/library")
    assert [(r["id"], r["skills"]) for r in library["items"]] == [(resource_id, ["sre"])]
    assert (await get(ada, "/api/v1/communities/reading"))["resources_count"] == 1
    gone = await owner.request("DELETE", f"/api/v1/communities/reading/library/{resource_id}")
    assert gone.status == 200
    ada.saw(owner)
    assert (await get(ada, "/api/v1/communities/reading/library"))["items"] == []


async def test_lists_page_with_cursors(client: Client) -> None:
    ada = await register(client, "ada")
    for n in range(5):
        await create(ada, f"c{n}")
    seen: list[str] = []
    cursor = None
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = await get(ada, f"/api/v1/communities{query}")
        seen += [c["slug"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["c4", "c3", "c2", "c1", "c0"]


async def test_writes_need_a_token_with_write_scope(client: Client) -> None:
    anonymous = await client.post("/api/v1/communities", json={"slug": "x", "name": "X"})
    assert anonymous.status == 401
    reader = await register(client, "reader", scopes=["read"])
    response = await reader.request("POST", "/api/v1/communities", json={"slug": "x", "name": "X"})
    assert response.status == 403


async def test_a_request_is_taken_back_by_leaving_and_an_invitation_revoked(
    client: Client,
) -> None:
    owner, ada, bob = [await register(client, h) for h in ("owner", "ada", "bob")]
    await create(owner, "asking", join_policy="approval")
    await create(owner, "hidden", visibility="members_only", join_policy="invite")
    await ada.request("POST", "/api/v1/communities/asking/join", json={"message": "hi"})
    taken_back = await ada.request("POST", "/api/v1/communities/asking/leave")
    assert taken_back.status == 200
    assert (await taken_back.json())["position"] is not None
    owner.saw(ada)
    assert (await get(owner, "/api/v1/communities/asking/requests"))["items"] == []

    invitation = {"member_id": bob.id}
    await owner.request("POST", "/api/v1/communities/hidden/invitations", json=invitation)
    revoked = await owner.request("DELETE", f"/api/v1/communities/hidden/invitations/{bob.id}")
    assert revoked.status == 200
    bob.saw(owner)
    assert (await bob.request("GET", "/api/v1/communities/hidden")).status == 404
    assert (await bob.request("POST", "/api/v1/communities/hidden/join")).status == 404
    not_moderator = await bob.request(
        "DELETE", f"/api/v1/communities/hidden/invitations/{owner.id}"
    )
    assert not_moderator.status == 404  # bob cannot see the community at all
