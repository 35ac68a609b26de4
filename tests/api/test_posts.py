"""Posts over real HTTP: publishing with sanitised HTML, replies and threads, edits, tombstones,
likes, moderation, members-only visibility, suspended authors, validation and pagination."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from server.api.keys import COMMANDS
from tests.api.conftest import Client, Member, make_admin, register

MISSING = "00000000-0000-4000-8000-000000000000"


async def publish(member: Member, body: str = "Hello", **fields: Any) -> str:
    response = await member.request("POST", "/api/v1/posts", json={"body": body, **fields})
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def get(member: Member, path: str) -> Any:
    response = await member.request("GET", path)
    assert response.status == 200, await response.text()
    return await response.json()


async def community(owner: Member, slug: str, **fields: Any) -> str:
    body = {"slug": slug, "name": slug.title(), **fields}
    response = await owner.request("POST", "/api/v1/communities", json=body)
    assert response.status == 201, await response.text()
    return (await response.json())["id"]


async def join(member: Member, slug: str) -> None:
    response = await member.request("POST", f"/api/v1/communities/{slug}/join", json={})
    assert response.status == 200, await response.text()


async def problem_field(response: Any) -> str:
    assert response.content_type == "application/problem+json"
    return (await response.json())["errors"][0]["field"]


async def test_publish_and_read_back_sanitised_html(client: Client) -> None:
    ada = await register(client, "ada")
    post_id = await publish(
        ada, "# Title\n\nSome **bold** and <script>alert(1)</script> [x](javascript:alert(1))"
    )
    post = await get(ada, f"/api/v1/posts/{post_id}")
    assert post["id"] == post_id == post["thread_id"]
    assert post["author"]["handle"] == "ada"
    assert post["community_id"] is None and post["in_reply_to"] is None
    assert post["body"].startswith("# Title")  # as written
    assert post["format"] == "markdown" and post["status"] == "published"
    assert "<h1>Title</h1>" in post["html"]
    assert "<strong>bold</strong>" in post["html"]
    assert "<script" not in post["html"]
    assert 'href="javascript' not in post["html"]  # shown as text, never a link
    assert post["likes_count"] == 0 and post["replies_count"] == 0
    assert post["liked_by_viewer"] is False and post["edited_at"] is None

    plain_id = await publish(ada, "line *one*\nline <b>two</b>", format="plain")
    plain = await get(ada, f"/api/v1/posts/{plain_id}")
    assert plain["html"] == "<p>line *one*<br>\nline &lt;b&gt;two&lt;/b&gt;</p>"
    anonymous = await client.get(
        f"/api/v1/posts/{plain_id}", headers={"Learnwork-Min-Position": str(ada.position)}
    )
    assert anonymous.status == 200


async def test_replies_make_a_thread(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await publish(ada, "Question")
    bob.saw(ada)
    first = await publish(bob, "Answer", in_reply_to=root)
    ada.saw(bob)
    nested = await publish(ada, "Thanks", in_reply_to=first)
    reply = await get(ada, f"/api/v1/posts/{nested}")
    assert reply["in_reply_to"] == first and reply["thread_id"] == root
    assert (await get(ada, f"/api/v1/posts/{root}"))["replies_count"] == 1
    assert (await get(ada, f"/api/v1/posts/{first}"))["replies_count"] == 1
    for any_post in (root, first, nested):
        thread = await get(ada, f"/api/v1/posts/{any_post}/thread")
        assert [p["id"] for p in thread["items"]] == [root, first, nested]
    # A member's posts: newest first, replies included.
    bob.saw(ada)
    mine = await get(bob, "/api/v1/members/ada/posts")
    assert [p["id"] for p in mine["items"]] == [nested, root]
    response = await ada.request(
        "POST", "/api/v1/posts", json={"body": "x", "in_reply_to": MISSING}
    )
    assert response.status == 404
    assert await problem_field(response) == "in_reply_to"


async def test_edit_and_delete_leave_a_tombstone(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await publish(ada, "First *draft*")
    bob.saw(ada)
    reply = await publish(bob, "Reply", in_reply_to=root)
    ada.saw(bob)
    response = await ada.request("PATCH", f"/api/v1/posts/{root}", json={"body": "Final *text*"})
    assert response.status == 200
    post = await get(ada, f"/api/v1/posts/{root}")
    assert post["body"] == "Final *text*" and post["html"] == "<p>Final <em>text</em></p>"
    assert post["edited_at"] is not None
    response = await ada.request(
        "PATCH", f"/api/v1/posts/{root}", json={"body": "Final *text*", "format": "plain"}
    )
    assert response.status == 200
    assert (await get(ada, f"/api/v1/posts/{root}"))["html"] == "<p>Final *text*</p>"
    response = await bob.request("PATCH", f"/api/v1/posts/{root}", json={"body": "mine now"})
    assert response.status == 403
    assert (await bob.request("DELETE", f"/api/v1/posts/{root}")).status == 403

    response = await ada.request("DELETE", f"/api/v1/posts/{root}")
    assert response.status == 200
    again = await ada.request("DELETE", f"/api/v1/posts/{root}")
    assert again.status == 200 and (await again.json())["position"] is None
    tombstone = await get(ada, f"/api/v1/posts/{root}")
    assert tombstone["status"] == "deleted"
    assert tombstone["body"] == "" and tombstone["html"] == ""
    bob.saw(ada)
    thread = await get(bob, f"/api/v1/posts/{reply}/thread")
    assert [(p["id"], p["status"]) for p in thread["items"]] == [
        (root, "deleted"),
        (reply, "published"),
    ]
    response = await ada.request("PATCH", f"/api/v1/posts/{root}", json={"body": "back"})
    assert response.status == 409
    response = await bob.request("POST", "/api/v1/posts", json={"body": "x", "in_reply_to": root})
    assert response.status == 404
    assert (await get(ada, "/api/v1/members/ada/posts"))["items"] == []
    # A deleted reply no longer counts among its parent's replies.
    other = await publish(ada, "Another")
    bob.saw(ada)
    gone = await publish(bob, "Oops", in_reply_to=other)
    assert (await get(bob, f"/api/v1/posts/{other}"))["replies_count"] == 1
    await bob.request("DELETE", f"/api/v1/posts/{gone}")
    assert (await get(bob, f"/api/v1/posts/{other}"))["replies_count"] == 0


async def test_likes(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    post_id = await publish(ada)
    bob.saw(ada)
    cy.saw(ada)
    response = await ada.request("POST", f"/api/v1/posts/{post_id}/like")
    assert response.status == 422
    assert await problem_field(response) == "post_id"
    for member in (bob, cy):
        assert (await member.request("POST", f"/api/v1/posts/{post_id}/like")).status == 200
    again = await bob.request("POST", f"/api/v1/posts/{post_id}/like")
    assert again.status == 200 and (await again.json())["position"] is None
    ada.saw(bob, cy)
    bob.saw(cy)
    post = await get(bob, f"/api/v1/posts/{post_id}")
    assert post["likes_count"] == 2 and post["liked_by_viewer"] is True
    assert (await get(ada, f"/api/v1/posts/{post_id}"))["liked_by_viewer"] is False
    likes = await get(ada, f"/api/v1/posts/{post_id}/likes?limit=1")
    assert [like["member"]["handle"] for like in likes["items"]] == ["cy"]
    rest = await get(ada, f"/api/v1/posts/{post_id}/likes?limit=1&cursor={likes['next_cursor']}")
    assert [like["member"]["handle"] for like in rest["items"]] == ["bob"]
    assert rest["next_cursor"] is None

    assert (await bob.request("POST", f"/api/v1/posts/{post_id}/unlike")).status == 200
    nothing = await bob.request("POST", f"/api/v1/posts/{post_id}/unlike")
    assert (await nothing.json())["position"] is None
    post = await get(bob, f"/api/v1/posts/{post_id}")
    assert post["likes_count"] == 1 and post["liked_by_viewer"] is False
    assert (await bob.request("POST", f"/api/v1/posts/{MISSING}/like")).status == 404


async def test_moderators_remove_posts(client: Client) -> None:
    ada, bob, mod = [await register(client, h) for h in ("ada", "bob", "mod")]
    community_id = await community(ada, "craft")
    for member in (bob, mod):
        member.saw(ada)
        await join(member, "craft")
    ada.saw(mod)
    response = await ada.request(
        "PUT",
        f"/api/v1/communities/craft/members/{mod.id}/role",
        json={"role": "moderator"},
    )
    assert response.status == 200, await response.text()
    post_id = await publish(bob, "Spam", community_id=community_id)
    for member in (ada, mod):
        member.saw(bob)
    refused = await bob.request("POST", f"/api/v1/posts/{post_id}/remove", json={"reason": "mine"})
    assert refused.status == 403
    response = await mod.request("POST", f"/api/v1/posts/{post_id}/remove", json={"reason": " "})
    assert response.status == 422
    assert await problem_field(response) == "reason"
    response = await mod.request("POST", f"/api/v1/posts/{post_id}/remove", json={"reason": "spam"})
    assert response.status == 200
    removed = await get(mod, f"/api/v1/posts/{post_id}")
    assert removed["status"] == "removed" and removed["body"] == ""
    assert (await get(mod, "/api/v1/communities/craft/posts"))["items"] == []

    profile_post = await publish(bob, "On my profile")
    mod.saw(bob)
    response = await mod.request(
        "POST", f"/api/v1/posts/{profile_post}/remove", json={"reason": "x"}
    )
    assert response.status == 403
    root = await make_admin(client)
    root.saw(bob)
    response = await root.request(
        "POST", f"/api/v1/posts/{profile_post}/remove", json={"reason": "x"}
    )
    assert response.status == 200


async def test_members_only_posts_are_hidden_from_non_members(client: Client) -> None:
    ada, bob, eve = [await register(client, h) for h in ("ada", "bob", "eve")]
    community_id = await community(ada, "inner", visibility="members_only")
    invited = await ada.request(
        "POST", "/api/v1/communities/inner/invitations", json={"member_id": bob.id}
    )
    assert invited.status == 200, await invited.text()
    bob.saw(ada)
    await join(bob, "inner")
    ada.saw(bob)
    post_id = await publish(ada, "Members only", community_id=community_id)
    bob.saw(ada)
    reply_id = await publish(bob, "Indeed", in_reply_to=post_id)
    assert [p["id"] for p in (await get(bob, "/api/v1/communities/inner/posts"))["items"]] == [
        post_id
    ]
    eve.saw(ada, bob)
    for path in (
        f"/api/v1/posts/{post_id}",
        f"/api/v1/posts/{reply_id}/thread",
        f"/api/v1/posts/{post_id}/likes",
        "/api/v1/communities/inner/posts",
    ):
        assert (await eve.request("GET", path)).status == 404, path
        anonymous = await client.get(path, headers={"Learnwork-Min-Position": str(eve.position)})
        assert anonymous.status == 404, path
    assert (await get(eve, "/api/v1/members/ada/posts"))["items"] == []
    assert [p["id"] for p in (await get(bob, "/api/v1/members/ada/posts"))["items"]] == [post_id]

    refused = await eve.request(
        "POST", "/api/v1/posts", json={"body": "let me in", "community_id": community_id}
    )
    assert refused.status == 404
    assert await problem_field(refused) == "community_id"
    refused = await eve.request(
        "POST", "/api/v1/posts", json={"body": "hi", "in_reply_to": post_id}
    )
    assert refused.status == 404
    assert await problem_field(refused) == "in_reply_to"
    for verb in ("like", "unlike"):
        assert (await eve.request("POST", f"/api/v1/posts/{post_id}/{verb}")).status == 404
    assert (await eve.request("DELETE", f"/api/v1/posts/{post_id}")).status == 404
    assert (await bob.request("POST", f"/api/v1/posts/{post_id}/like")).status == 200

    # A public community: non-members read, but only members post.
    public_id = await community(ada, "open-craft")
    eve.saw(ada)
    refused = await eve.request(
        "POST", "/api/v1/posts", json={"body": "hi", "community_id": public_id}
    )
    assert refused.status == 403
    await join(eve, "open-craft")
    await publish(eve, "Now a member", community_id=public_id)


async def test_a_suspended_authors_posts_disappear(client: Client) -> None:
    root = await make_admin(client)
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root_post = await publish(bob, "Question")
    ada.saw(bob)
    reply = await publish(ada, "Spam reply", in_reply_to=root_post)
    response = await root.request(
        "POST", f"/api/v1/admin/members/{ada.id}/suspend", json={"reason": "x"}
    )
    assert response.status == 200
    bob.saw(root, ada)
    assert (await bob.request("GET", f"/api/v1/posts/{reply}")).status == 404
    assert (await bob.request("GET", f"/api/v1/posts/{reply}/thread")).status == 404
    thread = await get(bob, f"/api/v1/posts/{root_post}/thread")
    assert [p["id"] for p in thread["items"]] == [root_post]
    assert (await bob.request("GET", "/api/v1/members/ada/posts")).status == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"body": "   "}, "body"),
        ({}, "body"),
        ({"body": "x", "format": "html"}, "format"),
        ({"body": "x", "colour": "red"}, "colour"),
        ({"body": "x", "community_id": "not-an-id"}, "community_id"),
        ({"body": "x", "community_id": MISSING, "in_reply_to": MISSING}, "community_id"),
    ],
)
async def test_invalid_posts_are_422_and_write_nothing(
    client: Client, body: dict[str, Any], field: str
) -> None:
    ada = await register(client, "ada")
    store = client.server.app[COMMANDS].store
    before = await store.last_position()
    response = await ada.request("POST", "/api/v1/posts", json=body)
    assert response.status == 422, await response.text()
    assert await problem_field(response) == field
    assert await store.last_position() == before


async def test_path_ids_that_are_not_ids_are_404(client: Client) -> None:
    ada = await register(client, "ada")
    for method, path in (
        ("GET", "/api/v1/posts/nope"),
        ("GET", "/api/v1/posts/nope/thread"),
        ("PATCH", "/api/v1/posts/nope"),
        ("POST", "/api/v1/posts/nope/like"),
    ):
        kwargs = {"json": {"body": "x"}} if method == "PATCH" else {}
        response = await ada.request(method, path, **kwargs)
        assert response.status == 404, path
        assert await problem_field(response) == "post_id"
    assert (await ada.request("GET", f"/api/v1/posts/{MISSING}")).status == 404
    assert (await ada.request("GET", "/api/v1/members/nobody/posts")).status == 404
    assert (await ada.request("GET", "/api/v1/communities/nowhere/posts")).status == 404


async def test_lists_paginate(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    community_id = await community(ada, "craft")
    firsts = [await publish(ada, f"Post {n}", community_id=community_id) for n in range(3)]
    bob.saw(ada)
    await join(bob, "craft")
    replies = [await publish(bob, f"Reply {n}", in_reply_to=firsts[0]) for n in range(3)]

    async def walk(member: Member, path: str) -> list[str]:
        ids: list[str] = []
        cursor = None
        while True:
            query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
            page = await get(member, path + query)
            assert len(page["items"]) <= 2
            ids += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return ids

    thread = await walk(bob, f"/api/v1/posts/{replies[-1]}/thread")
    assert thread == [firsts[0], *replies]
    assert await walk(bob, "/api/v1/communities/craft/posts") == firsts[::-1]
    assert await walk(bob, f"/api/v1/members/{bob.id}/posts") == replies[::-1]
    response = await bob.request("GET", f"/api/v1/posts/{firsts[0]}/thread?cursor=%%%")
    assert response.status == 400


async def test_racing_likes_count_each_member_once(client: Client) -> None:
    ada = await register(client, "ada")
    fans = [await register(client, f"fan{n}") for n in range(4)]
    written = await (await ada.request("POST", "/api/v1/posts", json={"body": "hi"})).json()
    post_id = written["id"]
    like = f"/api/v1/posts/{post_id}/like"
    responses = await asyncio.gather(*(fan.request("POST", like) for fan in fans for _ in range(3)))
    assert {r.status for r in responses} == {200}
    ada.saw(*fans)
    view = await (await ada.request("GET", f"/api/v1/posts/{post_id}")).json()
    assert view["likes_count"] == 4
