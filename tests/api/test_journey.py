"""A member's learning journey over real HTTP: milestones in time order, undone ones gone,
members-only ones kept from outsiders, pages in both orders."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Client, Member, make_admin, register
from tests.api.test_paths import _community, _complete, _join, _path, _step_ids


def _summary(milestone: dict[str, Any]) -> tuple[Any, ...]:
    subject = milestone["community"] or milestone["path"] or milestone["artefact"]
    endorser = milestone["endorser"]
    return (
        milestone["kind"],
        subject and subject["title"],
        milestone["skill"],
        endorser and endorser["handle"],
    )


async def _journey(reader: Member, handle: str, **params: str) -> list[tuple[Any, ...]]:
    found = await reader.expect("GET", f"/api/v1/members/{handle}/journey", 200, params=params)
    return [_summary(m) for m in found["items"]]


async def test_the_journey_tells_how_a_member_got_there(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    await _community(bob, "sql")
    await _join(ada, "sql")
    inner = await _community(ada, "inner", visibility="members_only")
    path_id = await _path(bob, "sql", steps=1)
    ada.saw(bob)
    await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    [step] = await _step_ids(ada, path_id)
    await _complete(ada, path_id, step)
    kept = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Query plans"})
    inner_notes = {"title": "Inner notes", "community_id": inner}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=inner_notes)
    gone = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Draft"})
    await ada.expect("DELETE", f"/api/v1/artefacts/{gone['id']}", 200)
    endorsement = {"kind": "member", "member_id": ada.id, "skill": "sql", "comment": "Sharp."}
    await bob.expect("POST", "/api/v1/endorsements", 201, json=endorsement)
    withdrawn = await cy.expect(
        "POST", "/api/v1/endorsements", 201, json={**endorsement, "skill": "python"}
    )
    await cy.expect("DELETE", f"/api/v1/endorsements/{withdrawn['id']}", 200)
    await bob.expect("PATCH", f"/api/v1/paths/{path_id}", 200, json={"title": "SQL, renamed"})
    for reader in (ada, bob, cy):
        reader.saw(ada, bob, cy)

    everything = [
        ("joined_learnwork", None, None, None),
        ("joined_community", "Sql", None, None),
        ("founded_community", "Inner", None, None),
        ("completed_path", "SQL, renamed", None, None),  # titles as they are now
        ("published_artefact", "Query plans", None, None),
        ("published_artefact", "Inner notes", None, None),
        ("endorsed_for_skill", None, "sql", "bob"),
    ]
    assert await _journey(ada, "ada") == everything
    outside = [m for m in everything if m[1] not in ("Inner", "Inner notes")]
    assert await _journey(bob, "ada") == outside
    anonymous = await client.get(
        "/api/v1/members/ada/journey", headers={"Learnwork-Min-Position": str(ada.position)}
    )
    assert [_summary(m) for m in (await anonymous.json())["items"]] == outside
    assert await _journey(ada, "ada", order="newest") == everything[::-1]

    pages, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        found = await ada.expect("GET", "/api/v1/members/ada/journey", 200, params=params)
        pages.append([_summary(m) for m in found["items"]])
        if not (cursor := found["next_cursor"]):
            break
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [m for p in pages for m in p] == everything

    artefact = (await ada.expect("GET", "/api/v1/members/ada/journey", 200))["items"][4]
    assert artefact["artefact"]["id"] == kept["id"]


async def test_a_suspended_endorser_and_a_suspended_member_leave_the_journey(
    client: Client,
) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    root = await make_admin(client)
    endorsement = {"kind": "member", "member_id": ada.id, "skill": "sql"}
    await bob.expect("POST", "/api/v1/endorsements", 201, json=endorsement)
    ada.saw(bob)
    assert [m[0] for m in await _journey(ada, "ada")] == ["joined_learnwork", "endorsed_for_skill"]

    root.saw(bob)
    await root.expect("POST", f"/api/v1/admin/members/{bob.id}/suspend", 200, json={})
    ada.saw(root)
    assert [m[0] for m in await _journey(ada, "ada")] == ["joined_learnwork"]
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    bob.saw(root)
    assert (await root.request("GET", "/api/v1/members/ada/journey")).status == 404
