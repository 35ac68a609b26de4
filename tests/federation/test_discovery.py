"""WebFinger, host-meta and NodeInfo over real HTTP: other servers find members and public
communities, never members-only ones, and malformed questions get a problem naming `resource`."""

from __future__ import annotations

from urllib.parse import urlsplit

from server.federation.state import OPTIONS
from tests.api.conftest import Client, field_of, register, settle
from tests.api.test_paths import _community

AS_TYPE = "https://www.w3.org/ns/activitystreams#type"


def _host(client: Client) -> str:
    """The instance's host as its public base URL names it."""
    return urlsplit(client.server.app[OPTIONS].base_url).netloc


async def _finger(client: Client, resource: str | None, status: int = 200) -> dict:
    params = {} if resource is None else {"resource": resource}
    response = await client.get("/.well-known/webfinger", params=params)
    assert response.status == status, await response.text()
    return await response.json(content_type=None)


async def test_webfinger_finds_a_member_and_a_public_community(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "sql")
    await settle(client)  # other servers read what the read models show
    host = _host(client)

    found = await _finger(client, f"acct:Ada@{host}")
    assert found["subject"] == f"acct:ada@{host}"
    [self_link] = [link for link in found["links"] if link["rel"] == "self"]
    assert self_link["type"] == "application/activity+json"
    assert self_link["properties"][AS_TYPE] == "Person"
    assert self_link["href"].endswith(f"/ap/members/{ada.id}")
    assert found["aliases"] == [self_link["href"]]

    group = await _finger(client, f"acct:sql@{host}")
    [group_link] = [link for link in group["links"] if link["rel"] == "self"]
    assert group_link["properties"][AS_TYPE] == "Group"
    # The actor's id is a resource too, answered with the same links.
    by_id = await _finger(client, self_link["href"])
    assert by_id["aliases"] == [self_link["href"]] and by_id["subject"] == self_link["href"]


async def test_a_name_that_is_both_a_handle_and_a_slug_gets_both_links(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "ada")
    await settle(client)
    found = await _finger(client, f"acct:ada@{_host(client)}")
    kinds = [link["properties"][AS_TYPE] for link in found["links"] if link["rel"] == "self"]
    assert kinds == ["Person", "Group"]


async def test_webfinger_refuses_and_does_not_find(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    host = _host(client)
    assert field_of(await _finger(client, None, 400)) == "resource"
    for malformed in ("ada", f"acct:@{host}", "acct:ada", "mailto:ada@x", "ftp://x/y"):
        assert field_of(await _finger(client, malformed, 400)) == "resource", malformed
    for unknown in (
        f"acct:nobody@{host}",
        "acct:ada@elsewhere.example",
        f"acct:hidden@{host}",  # members-only: nothing about it leaves the instance
        f"acct:{ada.id}@{host}",  # a name, never an id
        "https://elsewhere.example/ap/members/" + ada.id,
    ):
        await _finger(client, unknown, 404)


async def test_host_meta_points_at_webfinger(client: Client) -> None:
    response = await client.get("/.well-known/host-meta")
    assert response.status == 200 and response.content_type == "application/xrd+xml"
    assert "/.well-known/webfinger?resource={uri}" in await response.text()
    as_json = await (await client.get("/.well-known/host-meta.json")).json(content_type=None)
    assert as_json["links"][0]["rel"] == "lrdd"


async def test_nodeinfo_describes_the_instance(client: Client) -> None:
    links = await (await client.get("/.well-known/nodeinfo")).json()
    [link] = links["links"]
    assert link["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1"
    ada = await register(client, "ada")
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "hello"})
    await settle(client)
    response = await client.get(urlsplit(link["href"]).path)
    assert response.status == 200
    assert (
        'profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
        in response.headers["Content-Type"]
    )
    info = await response.json(content_type=None)
    assert info["version"] == "2.1" and info["protocols"] == ["activitypub"]
    assert info["software"]["name"] == "learnwork" and info["software"]["version"]
    assert info["openRegistrations"] is True
    assert info["usage"]["users"]["total"] == 1
    assert info["usage"]["users"]["activeMonth"] == 1
    assert info["usage"]["localPosts"] == 1
