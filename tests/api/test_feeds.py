"""Home and community feeds over real HTTP: who and where an item comes from, visibility,
undone items, pages."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Client, Member, make_admin, register
from tests.api.test_paths import _community, _complete, _join, _path, _step_ids


def _item(activity: dict[str, Any]) -> tuple[str, str, str]:
    what = (
        (activity["post"] and activity["post"]["html"])
        or (activity["artefact"] and activity["artefact"]["title"])
        or (activity["path"] and activity["path"]["title"])
        or (activity["endorsement"] and activity["endorsement"]["skill"])
    )
    return activity["kind"], activity["actor"]["handle"], what


async def _feed(reader: Member, url: str = "/api/v1/feeds/home", **params: str) -> list[Any]:
    return [_item(a) for a in (await reader.expect("GET", url, 200, params=params))["items"]]


async def test_the_home_feed_gathers_follows_communities_and_your_own(client: Client) -> None:
    ada, bob, cy, dan = [await register(client, h) for h in ("ada", "bob", "cy", "dan")]
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    data = await _community(dan, "data")
    await _join(bob, "data")
    await _join(ada, "data")
    inner = await _community(cy, "inner", visibility="members_only")
    await cy.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": ada.id}
    )
    ada.saw(cy)
    await _join(ada, "inner")

    async def post(member: Member, body: str, community: str | None = None) -> Any:
        json = {"body": body, **({"community_id": community} if community else {})}
        return await member.expect("POST", "/api/v1/posts", 201, json=json)

    await post(ada, "ada at home")
    await post(ada, "ada in data", data)  # followed *and* in bob's community: listed once
    await post(ada, "ada inside", inner)  # members-only: not for bob
    await post(dan, "dan in data", data)
    await post(cy, "cy at home")  # bob follows neither cy nor any place cy posted
    await post(bob, "bob himself")
    await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Ada's notes"})
    path_id = await _path(dan, "data", steps=1)
    ada.saw(dan)
    await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    [step] = await _step_ids(ada, path_id)
    await _complete(ada, path_id, step)
    await ada.expect(
        "POST", "/api/v1/endorsements", 201, json={"kind": "member", "member_id": cy.id,
                                                   "skill": "sql"}
    )  # fmt: skip
    bob.saw(ada, cy, dan)

    home = await _feed(bob)
    assert home == [
        ("endorsement", "ada", "sql"),
        ("path_completed", "ada", "SQL from zero"),
        ("path_published", "dan", "SQL from zero"),
        ("artefact", "ada", "Ada's notes"),
        ("post", "bob", "<p>bob himself</p>"),
        ("post", "dan", "<p>dan in data</p>"),
        ("post", "ada", "<p>ada in data</p>"),
        ("post", "ada", "<p>ada at home</p>"),
    ]
    assert ("post", "ada", "<p>ada inside</p>") in await _feed(ada)

    pages: list[Any] = []
    cursor = None
    while True:
        found = await bob.expect(
            "GET",
            "/api/v1/feeds/home",
            200,
            params={"limit": "3", **({"cursor": cursor} if cursor else {})},
        )
        pages += [_item(a) for a in found["items"]]
        if not (cursor := found["next_cursor"]):
            break
    assert pages == home

    community = await _feed(bob, "/api/v1/communities/data/feed")
    assert [i for i in community if i[0] == "post"] == [
        ("post", "dan", "<p>dan in data</p>"),
        ("post", "ada", "<p>ada in data</p>"),
    ]
    assert (await bob.request("GET", "/api/v1/communities/inner/feed")).status == 404
    assert ("post", "ada", "<p>ada inside</p>") in await _feed(
        ada, "/api/v1/communities/inner/feed"
    )
    assert (await client.get("/api/v1/feeds/home")).status == 401


async def test_undone_and_suspended_leave_the_feed(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    gone = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "oops"})
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "kept"})
    await ada.expect("DELETE", f"/api/v1/posts/{gone['id']}", 200)
    bob.saw(ada)
    assert await _feed(bob) == [("post", "ada", "<p>kept</p>")]
    root.saw(ada)
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    bob.saw(root)
    assert await _feed(bob) == []
