"""Member profiles, follows and the admin's approval and suspension, over real HTTP."""

from __future__ import annotations

import pytest

from server.config import Settings
from tests.api.conftest import Client, make_admin, register


async def test_follow_lists_and_counts(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    for follower in (bob, cy):
        response = await follower.request("POST", "/api/v1/members/ada/follow")
        assert response.status == 200
    again = await bob.request("POST", "/api/v1/members/ada/follow")
    assert (await again.json())["position"] is None  # already following: nothing written
    page = await (await cy.request("GET", f"/api/v1/members/{ada.id}/followers?limit=1")).json()
    assert [f["member"]["handle"] for f in page["items"]] == ["cy"]
    rest = await (
        await cy.request(
            "GET", f"/api/v1/members/ada/followers?limit=1&cursor={page['next_cursor']}"
        )
    ).json()
    assert [f["member"]["handle"] for f in rest["items"]] == ["bob"]
    assert rest["next_cursor"] is None
    profile = await (await cy.request("GET", "/api/v1/members/ada")).json()
    assert profile["followers_count"] == 2
    await bob.request("POST", "/api/v1/members/ada/unfollow")
    profile = await (await bob.request("GET", "/api/v1/members/ada")).json()
    assert profile["followers_count"] == 1


async def test_follow_refusals(client: Client) -> None:
    ada = await register(client, "ada")
    response = await ada.request("POST", "/api/v1/members/ada/follow")
    assert response.status == 422
    response = await ada.request("POST", "/api/v1/members/nobody/follow")
    assert response.status == 404
    reader = await register(client, "reader", scopes=["read", "write"])
    assert (await reader.request("POST", "/api/v1/members/ada/follow")).status == 403


async def test_a_malformed_cursor_is_400(client: Client) -> None:
    ada = await register(client, "ada")
    response = await ada.request("GET", "/api/v1/members/ada/followers?cursor=%%%")
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "cursor"
    response = await ada.request("GET", "/api/v1/members/ada/followers?limit=1000")
    assert response.status == 400
    assert (await response.json())["errors"][0]["field"] == "limit"


async def test_suspension_hides_the_member_and_stops_their_token(client: Client) -> None:
    root = await make_admin(client)
    ada = await register(client, "ada")
    bob = await register(client, "bob")
    await ada.request("POST", "/api/v1/members/bob/follow")
    response = await bob.request("POST", f"/api/v1/admin/members/{ada.id}/suspend", json={})
    assert response.status == 403  # bob's token has no admin scope
    response = await root.request(
        "POST", f"/api/v1/admin/members/{ada.id}/suspend", json={"reason": "spam"}
    )
    assert response.status == 200
    position = (await response.json())["position"]
    headers = {"Learnwork-Min-Position": str(position)}
    assert (await client.get("/api/v1/members/ada", headers=headers)).status == 404
    followers = await (await client.get("/api/v1/members/bob/followers", headers=headers)).json()
    assert followers["items"] == []
    assert (await ada.request("GET", "/api/v1/me")).status == 401
    listed = await (await root.request("GET", "/api/v1/admin/members?status=suspended")).json()
    assert [m["handle"] for m in listed["items"]] == ["ada"]
    response = await root.request("POST", f"/api/v1/admin/members/{ada.id}/unsuspend")
    assert response.status == 200
    ada.saw(root)
    assert (await ada.request("GET", "/api/v1/me")).status == 200


class TestApproval:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(registration="approval", sign_ins_per_minute=1000)

    async def test_an_admin_approves_and_the_member_signs_in(self, client: Client) -> None:
        root = await make_admin(client)
        response = await client.post(
            "/api/v1/accounts",
            json={"handle": "ada", "display_name": "A", "password": "correct horse 1"},
        )
        registered = await response.json()
        ada_id = registered["id"]
        root.position = registered["position"]  # the admin reads after ada's registration
        queue = await (await root.request("GET", "/api/v1/admin/members?status=pending")).json()
        assert [m["id"] for m in queue["items"]] == [ada_id]
        assert (await client.get(f"/api/v1/members/{ada_id}")).status == 404
        response = await root.request("POST", f"/api/v1/admin/members/{ada_id}/approve")
        assert response.status == 200
        again = await root.request("POST", f"/api/v1/admin/members/{ada_id}/approve")
        assert again.status == 409


class TestInvitations:
    @pytest.fixture
    def settings(self) -> Settings:
        return Settings(registration="invite", sign_ins_per_minute=1000)

    async def test_an_invitation_admits_its_number_of_members(self, client: Client) -> None:
        root = await make_admin(client)
        response = await root.request("POST", "/api/v1/admin/invites", json={"max_uses": 1})
        assert response.status == 201
        code = (await response.json())["code"]
        body = {"display_name": "A", "password": "correct horse 1"}
        response = await client.post("/api/v1/accounts", json={**body, "handle": "ada"})
        assert response.status == 403
        assert (await response.json())["errors"][0]["field"] == "invite_code"
        response = await client.post(
            "/api/v1/accounts", json={**body, "handle": "ada", "invite_code": code}
        )
        assert response.status == 201
        response = await client.post(
            "/api/v1/accounts", json={**body, "handle": "bob", "invite_code": code}
        )
        assert response.status == 403
