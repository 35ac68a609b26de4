"""Endorsements over real HTTP: members' skills and artefacts, no self-endorsement, one active
endorsement per endorser, target and skill, withdrawing, visibility and suspension."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.conftest import Client, Member, field_of, make_admin, register

NO_SUCH = "00000000-0000-4000-8000-000000000000"


async def _endorse(member: Member, status: int = 201, **body: Any) -> Any:
    return await member.expect("POST", "/api/v1/endorsements", status, json=body)


async def test_endorse_a_members_skill_withdraw_and_endorse_again(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    done = await _endorse(bob, kind="member", member_id=ada.id, skill=" SQL ", comment="Sharp.")
    endorsement_id = done["id"]
    await _endorse(cy, kind="member", member_id=ada.id, skill="postgres")
    ada.saw(bob, cy)
    listed = await ada.expect("GET", "/api/v1/members/ada/endorsements", 200)
    assert [(e["endorser"]["handle"], e["skill"], e["comment"]) for e in listed["items"]] == [
        ("cy", "postgres", ""),
        ("bob", "sql", "Sharp."),
    ]
    first = listed["items"][1]
    assert (first["id"], first["kind"], first["target_id"]) == (endorsement_id, "member", ada.id)
    assert first["given_at"] is not None
    only_sql = await ada.expect("GET", f"/api/v1/members/{ada.id}/endorsements?skill=Sql", 200)
    assert [e["id"] for e in only_sql["items"]] == [endorsement_id]

    # the same endorsement, however the skill is spelt, is active once
    refused = await _endorse(bob, 409, kind="member", member_id=ada.id, skill="sql")
    assert field_of(refused) == "skill"
    # only its endorser withdraws it
    path = f"/api/v1/endorsements/{endorsement_id}"
    assert (await cy.request("DELETE", path)).status == 403
    await bob.expect("DELETE", path, 200)
    again = await bob.expect("DELETE", path, 200)
    assert again["position"] is None
    ada.saw(bob)
    listed = await ada.expect("GET", "/api/v1/members/ada/endorsements", 200)
    assert [e["endorser"]["handle"] for e in listed["items"]] == ["cy"]
    renewed = await _endorse(bob, kind="member", member_id=ada.id, skill="SQL", comment="Still.")
    assert renewed["id"] == endorsement_id
    ada.saw(bob)
    listed = await ada.expect("GET", "/api/v1/members/ada/endorsements?limit=1", 200)
    assert [(e["id"], e["comment"]) for e in listed["items"]] == [(endorsement_id, "Still.")]
    rest = await ada.expect(
        "GET", f"/api/v1/members/ada/endorsements?limit=1&cursor={listed['next_cursor']}", 200
    )
    assert [e["endorser"]["handle"] for e in rest["items"]] == ["cy"]
    assert rest["next_cursor"] is None


async def test_refusals_name_the_field(client: Client) -> None:
    ada = await register(client, "ada")
    bob = await register(client, "bob")
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"kind": "member", "member_id": ada.id, "skill": "sql"}, 422, "member_id"),  # oneself
        ({"kind": "member", "member_id": bob.id}, 422, "skill"),
        ({"kind": "member", "member_id": bob.id, "skill": "   "}, 422, "skill"),
        ({"kind": "member", "member_id": bob.id, "skill": "x" * 51}, 422, "skill"),
        ({"kind": "member", "member_id": NO_SUCH, "skill": "sql"}, 404, "member_id"),
        ({"kind": "member", "member_id": "bob", "skill": "sql"}, 422, "member_id"),
        ({"kind": "member", "skill": "sql"}, 422, "member_id"),
        ({"kind": "member", "member_id": bob.id, "artefact_id": NO_SUCH}, 422, "artefact_id"),
        ({"kind": "artefact", "artefact_id": NO_SUCH}, 404, "artefact_id"),
        ({"kind": "skill", "member_id": bob.id}, 422, "kind"),
        ({"kind": "member", "member_id": bob.id, "skill": "sql", "stars": 5}, 422, "stars"),
    ]
    for body, status, field in cases:
        response = await ada.request("POST", "/api/v1/endorsements", json=body)
        assert response.status == status, (body, await response.text())
        assert response.content_type == "application/problem+json"
        assert field_of(await response.json()) == field, body
    ada.saw(bob)  # bob registered after ada: read at least up to that
    assert (await ada.expect("GET", "/api/v1/members/bob/endorsements", 200))["items"] == []
    assert (
        field_of(await ada.expect("DELETE", "/api/v1/endorsements/nope", 404)) == "endorsement_id"
    )
    missing = "0" * 32
    assert field_of(await ada.expect("DELETE", f"/api/v1/endorsements/{missing}", 404)) == (
        "endorsement_id"
    )
    assert (await ada.request("GET", "/api/v1/members/nobody/endorsements")).status == 404


async def test_endorse_an_artefact(client: Client) -> None:
    ada, bob, eve = [await register(client, h) for h in ("ada", "bob", "eve")]
    artefact = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Query plans"})
    artefact_id = artefact["id"]
    refused = await _endorse(ada, 422, kind="artefact", artefact_id=artefact_id)
    assert field_of(refused) == "artefact_id"  # one's own
    whole = await _endorse(bob, kind="artefact", artefact_id=artefact_id, comment="Clear.")
    for_sql = await _endorse(bob, kind="artefact", artefact_id=artefact_id, skill="SQL")
    assert whole["id"] != for_sql["id"]
    await _endorse(bob, 409, kind="artefact", artefact_id=artefact_id)
    eve.saw(bob)
    listed = await eve.expect("GET", f"/api/v1/artefacts/{artefact_id}/endorsements", 200)
    assert [(e["id"], e["skill"], e["comment"]) for e in listed["items"]] == [
        (for_sql["id"], "sql", ""),
        (whole["id"], "", "Clear."),
    ]
    assert all(e["kind"] == "artefact" for e in listed["items"])
    # a member's endorsements are those of their skills, not of their artefacts
    assert (await eve.expect("GET", "/api/v1/members/ada/endorsements", 200))["items"] == []
    missing = f"/api/v1/artefacts/{NO_SUCH}/endorsements"
    assert field_of(await eve.expect("GET", missing, 404)) == "artefact_id"
    assert field_of(await eve.expect("GET", "/api/v1/artefacts/x/endorsements", 404)) == (
        "artefact_id"
    )


async def test_artefacts_in_members_only_communities(client: Client) -> None:
    owner, ada, eve = [await register(client, h) for h in ("owner", "ada", "eve")]
    body = {"slug": "inner", "name": "Inner", "visibility": "members_only", "join_policy": "open"}
    inner = (await owner.expect("POST", "/api/v1/communities", 201, json=body))["id"]
    work = {"title": "Inside work", "community_id": inner}
    artefact = await owner.expect("POST", "/api/v1/artefacts", 201, json=work)
    invitation = {"member_id": ada.id}
    await owner.expect("POST", "/api/v1/communities/inner/invitations", 200, json=invitation)
    ada.saw(owner)
    await ada.expect("POST", "/api/v1/communities/inner/join", 200, json={})
    refused = await _endorse(eve, 404, kind="artefact", artefact_id=artefact["id"])
    assert field_of(refused) == "artefact_id"
    await _endorse(ada, kind="artefact", artefact_id=artefact["id"])
    eve.saw(ada)
    path = f"/api/v1/artefacts/{artefact['id']}/endorsements"
    assert (await eve.request("GET", path)).status == 404
    anonymous = await client.get(path, headers={"Learnwork-Min-Position": str(ada.position)})
    assert anonymous.status == 404
    assert len((await ada.expect("GET", path, 200))["items"]) == 1


async def test_a_suspended_endorsers_endorsements_disappear(client: Client) -> None:
    root = await make_admin(client)
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    artefact = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Notes"})
    await _endorse(bob, kind="member", member_id=ada.id, skill="sql")
    await _endorse(bob, kind="artefact", artefact_id=artefact["id"])
    await _endorse(cy, kind="member", member_id=ada.id, skill="sql")
    await _endorse(ada, kind="member", member_id=bob.id, skill="go")
    done = await root.expect("POST", f"/api/v1/admin/members/{bob.id}/suspend", 200, json={})
    cy.position = done["position"]
    listed = await cy.expect("GET", "/api/v1/members/ada/endorsements", 200)
    assert [e["endorser"]["handle"] for e in listed["items"]] == ["cy"]
    on_artefact = await cy.expect("GET", f"/api/v1/artefacts/{artefact['id']}/endorsements", 200)
    assert on_artefact["items"] == []
    assert (await cy.request("GET", "/api/v1/members/bob/endorsements")).status == 404
    # nobody endorses a suspended member
    refused = await _endorse(cy, 404, kind="member", member_id=bob.id, skill="go")
    assert field_of(refused) == "member_id"

    done = await root.expect("POST", f"/api/v1/admin/members/{bob.id}/unsuspend", 200)
    cy.position = done["position"]
    listed = await cy.expect("GET", "/api/v1/members/ada/endorsements", 200)
    assert [e["endorser"]["handle"] for e in listed["items"]] == ["cy", "bob"]


async def test_racing_identical_endorsements_make_one(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    body = {"kind": "member", "member_id": ada.id, "skill": "sql"}
    responses = await asyncio.gather(
        *(bob.request("POST", "/api/v1/endorsements", json=body) for _ in range(5))
    )
    assert sorted(r.status for r in responses) == [201, 409, 409, 409, 409]
    bob.saw(ada)
    received = await bob.expect("GET", "/api/v1/members/ada/endorsements", 200)
    assert len(received["items"]) == 1
