"""Artefacts and learning paths reach a remote follower, end to end over loopback, as the
`Article`s our object URLs serve — with `summary`, `url`, `content` and Learnwork's own terms —
created, updated and (artefacts) deleted by their author, and announced by their public
community; a draft path never goes out, nor what was done to it before it was published."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server.federation import objects
from tests.api.conftest import Client, register, settle
from tests.api.test_paths import _community
from tests.federation.follower import Server, follow, follower, until
from tests.federation.test_translate import _proved_by_their_actors, _queued, _urls

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def alice(client: Client) -> AsyncIterator[Server]:
    async with follower(client) as server:
        yield server


Activities = list[dict[str, Any]]


def _about(alice: Server, kind: str, object_id: str) -> tuple[Activities, Activities]:
    """The activities alice received that are a `kind` of `object_id`, and the communities'
    Announces of them — of the object itself, for a Create — each in the order they came."""
    direct, announced = [], []
    for delivered in alice.received:
        activity = delivered.activity
        if activity["type"] == kind and activity["object"]["id"] == object_id:
            direct.append(activity)
        elif activity["type"] == "Announce":
            inner = activity["object"]
            if (kind == "Create" and inner["id"] == object_id) or (
                inner["type"] == kind and inner["object"]["id"] == object_id
            ):
                announced.append(activity)
    return direct, announced


def _both(alice: Server, kind: str, object_id: str, count: int = 1) -> bool:
    return all(len(found) == count for found in _about(alice, kind, object_id))


async def test_an_artefact_is_created_revised_and_deleted_as_an_article(
    client: Client, alice: Server
) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    await settle(client)
    urls = _urls(client)
    author, community = urls.member(ada.id), urls.community(sql)
    await follow(client, alice, author.id, community.id)
    body = {"title": "Query plans", "summary": "What EXPLAIN <says>", "body": "Read the *plan*",
            "links": ["https://example.org/plans"], "skills": ["SQL", "query tuning"],
            "community_id": sql}  # fmt: skip
    made = await ada.expect("POST", "/api/v1/artefacts", 201, json=body)
    article_id = urls.artefact(made["id"])

    await until(lambda: _both(alice, "Create", article_id))
    [create], [announce] = _about(alice, "Create", article_id)
    assert create["actor"] == author.id and announce["actor"] == community.id
    assert announce["type"] == "Announce" and announce["object"]["type"] == "Article"
    article = create["object"]
    assert article["attributedTo"] == author.id and article["url"] == article_id
    assert article["name"] == "Query plans" and article["summary"] == "What EXPLAIN &lt;says&gt;"
    assert article["content"] == "<p>Read the <em>plan</em></p>"
    assert article["revision"] == 1 and article["skills"] == ["sql", "query tuning"]
    assert article["links"] == ["https://example.org/plans"]
    assert article["tag"] == [{"type": "Hashtag", "name": "#Sql"},
                              {"type": "Hashtag", "name": "#QueryTuning"}]  # fmt: skip
    assert article["to"] == [PUBLIC, community.id] and article["audience"] == community.id
    # Our terms are defined where they are read: in the activity's context.
    assert objects.LEARNWORK_NS in str(create["@context"])

    await ada.expect("PATCH", f"/api/v1/artefacts/{made['id']}", 200, json={"title": "Plans"})
    await until(lambda: _both(alice, "Update", article_id))
    [update], [announced] = _about(alice, "Update", article_id)
    assert update["actor"] == author.id and announced["actor"] == community.id
    assert update["object"]["revision"] == 2 and update["object"]["name"] == "Plans"
    assert update["object"]["updated"] >= update["object"]["published"]
    assert announced["object"]["id"] == update["id"]

    await ada.expect("DELETE", f"/api/v1/artefacts/{made['id']}", 200)
    await until(lambda: _both(alice, "Delete", article_id))
    [delete], [announced] = _about(alice, "Delete", article_id)
    assert delete["actor"] == author.id and announced["actor"] == community.id
    assert delete["object"] == {"id": article_id, "type": "Tombstone", "formerType": "Article"}

    # On a profile: the author's followers only, no community to announce it.
    own = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Side project"})
    await until(lambda: _about(alice, "Create", urls.artefact(own["id"]))[0])
    [alone], none = _about(alice, "Create", urls.artefact(own["id"]))
    assert none == []
    assert alone["actor"] == author.id and alone["to"] == [PUBLIC]
    _proved_by_their_actors(alice)


async def test_a_path_goes_out_once_published_and_then_as_it_changes(
    client: Client, alice: Server
) -> None:
    ada = await register(client, "ada")
    sql = await _community(ada, "sql")
    await settle(client)
    urls = _urls(client)
    creator, community = urls.member(ada.id), urls.community(sql)
    await follow(client, alice, creator.id, community.id)
    manual = {"kind": "resource", "title": "The manual", "estimated_minutes": 30,
              "url": "https://www.postgresql.org/docs/"}  # fmt: skip
    practice = {"kind": "text", "title": "Try it", "text": "Write *one* query"}
    body = {"title": "SQL from zero", "summary": "Queries & joins", "skills": ["SQL"],
            "steps": [manual, practice]}  # fmt: skip
    path = (await ada.expect("POST", f"/api/v1/communities/{sql}/paths", 201, json=body))["id"]
    article_id = urls.path(path)
    # Changes to the draft: never sent, even once the path is published when they are read.
    await ada.expect("PATCH", f"/api/v1/paths/{path}", 200, json={"title": "SQL, step by step"})
    step = {"kind": "text", "title": "Join", "text": "Join two tables"}
    await ada.expect("POST", f"/api/v1/paths/{path}/steps", 201, json=step)
    await ada.expect("POST", f"/api/v1/paths/{path}/publish", 200)

    await until(lambda: _both(alice, "Create", article_id))
    [create], [announce] = _about(alice, "Create", article_id)
    assert create["actor"] == creator.id and announce["actor"] == community.id
    article = create["object"]
    assert article["type"] == "Article" and article["url"] == article_id
    assert article["name"] == "SQL, step by step" and article["summary"] == "Queries &amp; joins"
    assert article["content"].startswith("<p>Queries &amp; joins</p><ol><li><a href=")
    assert article["skills"] == ["sql"] and article["audience"] == community.id
    assert [(s["type"], s["name"], s["kind"]) for s in article["steps"]] == [
        ("Step", "The manual", "resource"), ("Step", "Try it", "text"), ("Step", "Join", "text")
    ]  # fmt: skip
    assert article["steps"][0]["url"] == "https://www.postgresql.org/docs/"
    assert article["steps"][0]["estimatedMinutes"] == 30
    assert article["steps"][1]["content"] == "Write *one* query"
    assert '"type":"Update"' not in await _queued(client) and not alice.of_type("Update")

    await ada.expect("POST", f"/api/v1/paths/{path}/steps", 201,
                     json={"kind": "text", "title": "Index", "text": "Add an index"})  # fmt: skip
    await until(lambda: _both(alice, "Update", article_id))
    [update], [announced] = _about(alice, "Update", article_id)
    assert update["actor"] == creator.id and announced["actor"] == community.id
    assert [s["name"] for s in update["object"]["steps"]][-1] == "Index"
    assert announced["object"]["id"] == update["id"]

    # Archived, it stays readable: an Update (its `updated` moves on), no Delete.
    await ada.expect("POST", f"/api/v1/paths/{path}/archive", 200)
    await until(lambda: _both(alice, "Update", article_id, 2))
    archived = _about(alice, "Update", article_id)[0][1]
    assert archived["object"]["updated"] > update["object"]["updated"]
    assert not alice.of_type("Delete")
    _proved_by_their_actors(alice)
