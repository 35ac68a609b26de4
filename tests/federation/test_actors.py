"""Actors over real HTTP: members as Person, public communities as Group, the instance as
Application — as JSON-LD to servers, as a page to browsers — with their keys and collections."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pyld import jsonld

from server.api.keys import COMMANDS
from server.commands import members
from server.config import Settings
from server.domain.common import Actor
from server.federation import state
from server.federation.client import FetchFailed
from server.federation.jsonld import load_document
from server.federation.keys import INSTANCE
from server.federation.multikey import from_public_key_multibase
from server.federation.urls import Urls
from tests.api.conftest import Client, Member, register, settle
from tests.api.test_paths import _community

ACTIVITY = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def _get(client: Client, url: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status == status, await response.text()
    return response


async def _actor(client: Client, path: str) -> dict[str, Any]:
    response = await _get(client, path, ACTIVITY)
    assert response.content_type == "application/activity+json"
    assert response.headers["Vary"] == "Accept"
    return await response.json(content_type=None)


async def _ada(client: Client) -> Member:
    ada = await register(client, "ada")
    await ada.expect("PATCH", "/api/v1/me", 200, json={"headline": "Data <engineer>"})
    return ada


async def test_a_member_is_a_person_with_a_key_it_owns(client: Client) -> None:
    ada = await _ada(client)
    await settle(client)
    person = await _actor(client, f"/ap/members/{ada.id}")
    assert person["type"] == "Person" and person["preferredUsername"] == "ada"
    assert person["id"].endswith(f"/ap/members/{ada.id}")
    assert person["summary"] == "<p>Data &lt;engineer&gt;</p>"  # text, escaped into HTML
    assert "https://www.w3.org/ns/activitystreams" in person["@context"]
    for collection in ("inbox", "outbox", "followers", "following"):
        assert person[collection] == f"{person['id']}/{collection}"
    assert person["endpoints"]["sharedInbox"].endswith("/ap/inbox")
    key = person["publicKey"]
    assert key["owner"] == person["id"] and key["id"] == person["id"] + "#main-key"
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    # The same key every time: it was made once, and kept.
    assert (await _actor(client, f"/ap/members/{ada.id}"))["publicKey"] == key
    [method] = person["assertionMethod"]  # FEP-521a: what integrity proofs are signed with
    assert method["type"] == "Multikey" and method["controller"] == person["id"]
    assert method["id"] == person["id"] + "#ed25519-key"
    keys = await client.server.app[state.VAULT].keys(ada.id)
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    published = from_public_key_multibase(method["publicKeyMultibase"])
    assert published.public_bytes(*raw) == keys.ed25519_public.public_bytes(*raw)
    # Read as JSON-LD (with our bundled contexts), the terms mean what FEP-521a says.
    [expanded] = jsonld.expand(person, {"documentLoader": load_document})
    [read] = expanded["https://w3id.org/security#assertionMethod"]
    assert read["@type"] == ["https://w3id.org/security#Multikey"]
    assert (
        "https://w3id.org/security#publicKeyPem"
        in expanded["https://w3id.org/security#publicKey"][0]
    )


async def test_content_negotiation(client: Client) -> None:
    ada = await _ada(client)
    await settle(client)
    path = f"/ap/members/{ada.id}"
    for headers in (ACTIVITY, LD, {"Accept": "*/*"}, {}):
        response = await _get(client, path, headers)
        assert response.content_type == "application/activity+json", headers
    for accept in ("text/html", "text/html,application/xhtml+xml,*/*;q=0.8",
                   "application/activity+json;q=0.5, text/html"):  # fmt: skip
        response = await _get(client, path, {"Accept": accept})
        assert response.content_type == "text/html", accept
        page = await response.text()
        assert "<h1>Ada</h1>" in page and "Data &lt;engineer&gt;" in page


async def test_communities_are_groups_and_members_only_ones_are_not_shown(client: Client) -> None:
    ada = await _ada(client)
    open_one = await _community(ada, "sql")
    body = {"slug": "club", "name": "Club", "visibility": "public", "join_policy": "approval"}
    club = (await ada.expect("POST", "/api/v1/communities", 201, json=body))["id"]
    hidden = await _community(ada, "hidden", visibility="members_only")
    await settle(client)
    group = await _actor(client, f"/ap/communities/{open_one}")
    assert group["type"] == "Group" and group["preferredUsername"] == "sql"
    assert group["manuallyApprovesFollowers"] is False and "following" not in group
    assert group["publicKey"]["owner"] == group["id"]
    assert (await _actor(client, f"/ap/communities/{club}"))["manuallyApprovesFollowers"] is True
    for path in (f"/ap/communities/{hidden}", f"/ap/communities/{hidden}/outbox",
                 f"/ap/members/{hidden}", "/ap/members/not-an-id"):  # fmt: skip
        await _get(client, path, ACTIVITY, 404)


async def test_the_instance_is_an_application(client: Client) -> None:
    instance = await _actor(client, "/ap/instance")
    assert instance["type"] == "Application" and instance["publicKey"]["owner"] == instance["id"]
    outbox = await (await _get(client, "/ap/instance/outbox", ACTIVITY)).json(content_type=None)
    assert outbox["totalItems"] == 0


async def test_collections_count_only_what_anyone_may_read(client: Client) -> None:
    ada, bob = await _ada(client), await register(client, "bob")
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    hidden = await _community(ada, "hidden", visibility="members_only")
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "public"})
    await ada.expect("POST", "/api/v1/posts", 201, json={"body": "inside", "community_id": hidden})
    await settle(client)

    async def total(path: str) -> int:
        collection = await (await _get(client, path, ACTIVITY)).json(content_type=None)
        assert collection["type"] == "OrderedCollection" and collection["id"].endswith(path)
        return collection["totalItems"]

    assert await total(f"/ap/members/{ada.id}/followers") == 1
    assert await total(f"/ap/members/{bob.id}/following") == 1
    assert await total(f"/ap/members/{ada.id}/outbox") == 1  # not the members-only post


async def test_a_suspended_member_is_not_presented(client: Client) -> None:
    ada = await _ada(client)
    root = await register(client, "root")
    await settle(client)
    await _actor(client, f"/ap/members/{ada.id}")
    cx = client.server.app[COMMANDS]
    await members.suspend(cx, Actor(root.id, admin=True), ada.id, "spam")
    await settle(client)
    await _get(client, f"/ap/members/{ada.id}", ACTIVITY, 404)


class TestAuthorizedFetch:
    """With authorized fetch on, actors and collections answer only signed requests — here
    signed by this instance's own actor, whose key the server fetches from itself like any
    other server's; the instance actor and browsers are answered anyway."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return msgspec.structs.replace(
            settings, federation_authorized_fetch=True, federation_allow_private_addresses=True
        )

    async def test_only_signed_requests_are_answered(self, client: Client) -> None:
        ada = await _ada(client)
        await settle(client)
        path = f"/ap/members/{ada.id}"
        refused = await (await _get(client, path, ACTIVITY, 401)).json(content_type=None)
        assert refused["reason"] == "no_signature"
        await _get(client, path + "/followers", ACTIVITY, 401)
        await _get(client, path, {"Accept": "text/html"})  # a browser
        await _actor(client, "/ap/instance")  # how other servers check our signatures

        app = client.server.app
        urls = Urls(app[state.OPTIONS].base_url)
        fetched = await app[state.CLIENT].get(
            urls.member(ada.id).id, actor=INSTANCE, key_id=urls.instance.main_key
        )
        assert fetched["type"] == "Person"
        with pytest.raises(FetchFailed, match="answered 401"):  # ada's key, the instance's name
            await app[state.CLIENT].get(
                urls.member(ada.id).followers, actor=ada.id, key_id=urls.instance.main_key
            )
