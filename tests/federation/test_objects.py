"""Posts, artefacts and learning paths as ActivityStreams objects over real HTTP: what Mastodon
renders, Learnwork's own terms beside it, addressing, tombstones — and nothing from
members-only communities, nor drafts."""

from __future__ import annotations

from typing import Any

from server.federation import state
from server.federation.objects import LEARNWORK_NS, PUBLIC
from server.federation.urls import Urls
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community, _path

ACTIVITY = {"Accept": "application/activity+json"}


async def _get(client: Client, url: str, status: int = 200) -> dict[str, Any]:
    path = url.removeprefix(client.server.app[state.OPTIONS].base_url)
    response = await client.get(path, headers=ACTIVITY)
    assert response.status == status, await response.text()
    return await response.json(content_type=None)


async def test_posts_are_notes_with_their_addressing(client: Client) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    first = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "Hello *world*"})
    reply = await ada.expect("POST", "/api/v1/posts", 201,
                             json={"body": "again", "in_reply_to": first["id"]})  # fmt: skip
    inside = await ada.expect("POST", "/api/v1/posts", 201, json={"body": "x", "community_id": sql})
    await settle(client)

    note = await _get(client, urls.post(first["id"]))
    author = urls.member(ada.id)
    assert note["type"] == "Note" and note["attributedTo"] == author.id
    assert note["content"] == "<p>Hello <em>world</em></p>"
    assert note["source"] == {"content": "Hello *world*", "mediaType": "text/markdown"}
    assert note["to"] == [PUBLIC] and note["cc"] == [author.followers]
    assert (await _get(client, urls.post(reply["id"])))["inReplyTo"] == urls.post(first["id"])
    in_community = await _get(client, urls.post(inside["id"]))
    assert in_community["audience"] == urls.community(sql).id
    assert urls.community(sql).id in in_community["to"]

    await ada.expect("DELETE", f"/api/v1/posts/{first['id']}", 200)
    await settle(client)
    gone = await _get(client, urls.post(first["id"]), 410)
    assert gone["type"] == "Tombstone" and gone["formerType"] == "Note"


async def test_artefacts_and_paths_are_articles_with_our_terms(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "sql")
    body = {"title": "Query plans", "summary": "What <EXPLAIN> says", "body": "Read **it**",
            "skills": ["SQL tuning"], "links": ["https://example.org/plan"]}  # fmt: skip
    made = await ada.expect("POST", "/api/v1/artefacts", 201, json=body)
    path_id = await _path(ada, "sql", steps=2)
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)

    article = await _get(client, urls.artefact(made["id"]))
    assert article["type"] == "Article" and article["name"] == "Query plans"
    assert article["summary"] == "What &lt;EXPLAIN&gt; says"
    assert article["content"] == "<p>Read <strong>it</strong></p>"
    assert article["skills"] == ["sql tuning"] and article["tag"][0]["name"] == "#SqlTuning"
    assert article["links"] == ["https://example.org/plan"] and article["revision"] == 1
    assert article["@context"][1]["learnwork"] == LEARNWORK_NS

    learning = await _get(client, urls.path(path_id))
    assert learning["type"] == "Article" and learning["name"] == "SQL from zero"
    assert [s["name"] for s in learning["steps"]] == ["Step 1", "Step 2"]
    assert learning["steps"][0] == {"type": "Step", "name": "Step 1", "kind": "text",
                                    "content": "Do 1"}  # fmt: skip
    assert "<ol><li>Step 1</li><li>Step 2</li></ol>" in learning["content"]


async def test_what_is_not_published_is_not_found(client: Client) -> None:
    ada = await register(client, "ada")
    hidden = await _community(ada, "hidden", visibility="members_only")
    await _community(ada, "sql")
    inside = await ada.expect("POST", "/api/v1/posts", 201,
                              json={"body": "x", "community_id": hidden})  # fmt: skip
    draft = await _path(ada, "sql", steps=1, publish=False)
    hidden_path = await _path(ada, "hidden", steps=1)
    await settle(client)
    urls = Urls(client.server.app[state.OPTIONS].base_url)
    nobody = "00000000-0000-4000-8000-000000000000"
    for url in (urls.post(inside["id"]), urls.path(draft), urls.path(hidden_path),
                urls.post("not-an-id"), urls.artefact(nobody)):  # fmt: skip
        await _get(client, url, 404)
    page = await client.get(
        urls.path(draft).removeprefix(urls.base), headers={"Accept": "text/html"}
    )
    assert page.status == 404
