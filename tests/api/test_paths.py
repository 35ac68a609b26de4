"""Learning paths over real HTTP: paths with steps, publishing, enrolling, completing steps with
evidence, progress while the path is edited (docs/paths.md), leaving, visibility, permissions
and validation."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.api.conftest import Client, Member, field_of, make_admin, register

NO_SUCH = "00000000-0000-4000-8000-000000000000"


async def _community(owner: Member, slug: str, visibility: str = "public") -> str:
    body = {"slug": slug, "name": slug.title(), "visibility": visibility, "join_policy": "open"}
    return (await owner.expect("POST", "/api/v1/communities", 201, json=body))["id"]


async def _join(member: Member, slug: str) -> None:
    await member.expect("POST", f"/api/v1/communities/{slug}/join", 200, json={})


def _steps(n: int) -> list[dict[str, Any]]:
    return [{"kind": "text", "title": f"Step {i + 1}", "text": f"Do {i + 1}"} for i in range(n)]


async def _path(editor: Member, slug: str, steps: int = 3, publish: bool = True) -> str:
    body = {"title": "SQL from zero", "steps": _steps(steps)}
    path_id = (await editor.expect("POST", f"/api/v1/communities/{slug}/paths", 201, json=body))[
        "id"
    ]
    if publish:
        await editor.expect("POST", f"/api/v1/paths/{path_id}/publish", 200)
    return path_id


async def _step_ids(member: Member, path_id: str) -> list[str]:
    view = await member.expect("GET", f"/api/v1/paths/{path_id}", 200)
    return [step["step_id"] for step in view["steps"]]


async def _complete(member: Member, path_id: str, step_id: str, **body: Any) -> Any:
    url = f"/api/v1/paths/{path_id}/steps/{step_id}/complete"
    return await member.expect("POST", url, 200, json=body)


async def _enrollment(reader: Member, path_id: str, learner: Member) -> Any:
    return await reader.expect("GET", f"/api/v1/paths/{path_id}/enrollments/{learner.handle}", 200)


async def test_create_with_steps_and_read_back(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "sql")
    artefact = await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Notes"})
    body = {
        "title": "  SQL from zero ",
        "summary": "Queries, joins, plans",
        "skills": ["SQL", " sql ", "Postgres"],
        "steps": [
            {
                "kind": "resource",
                "title": "Read the tutorial",
                "url": "https://example.org/sql",
                "estimated_minutes": 30,
            },
            {
                "kind": "text",
                "title": "Write a join",
                "text": "Join two tables.",
                "estimated_minutes": 15,
            },
            {"kind": "artefact", "title": "My notes", "ref_id": artefact["id"]},
        ],
    }
    done = await ada.expect("POST", "/api/v1/communities/sql/paths", 201, json=body)
    path_id = done["id"]
    view = await ada.expect("GET", f"/api/v1/paths/{path_id}", 200)
    assert view["title"] == "SQL from zero"
    assert view["skills"] == ["sql", "postgres"]
    assert view["status"] == "draft"
    assert view["creator"]["handle"] == "ada"
    assert view["viewer_can_edit"] is True
    assert view["steps_count"] == 3
    assert view["estimated_minutes"] == 45
    assert view["enrolled_count"] == 0
    assert view["viewer_progress"] is None
    steps = view["steps"]
    assert [s["kind"] for s in steps] == ["resource", "text", "artefact"]
    assert steps[0]["url"] == "https://example.org/sql"
    assert steps[0]["ref_id"] is None
    assert steps[1]["text"] == "Join two tables."
    assert steps[2]["ref_id"] == artefact["id"]
    assert steps[2]["estimated_minutes"] is None
    assert len({s["step_id"] for s in steps}) == 3

    # a draft is its editors' only
    bob = await register(client, "bob")
    bob.saw(ada)
    assert (await bob.request("GET", f"/api/v1/paths/{path_id}")).status == 404
    assert (await bob.expect("GET", "/api/v1/communities/sql/paths", 200))["items"] == []
    mine = await ada.expect("GET", "/api/v1/communities/sql/paths", 200)
    assert [p["id"] for p in mine["items"]] == [path_id]
    await ada.expect("POST", f"/api/v1/paths/{path_id}/publish", 200)
    bob.saw(ada)
    listed = await bob.expect("GET", "/api/v1/communities/sql/paths", 200)
    assert [(p["id"], p["status"], p["viewer_can_edit"]) for p in listed["items"]] == [
        (path_id, "published", False)
    ]
    anonymous = await client.get(
        f"/api/v1/paths/{path_id}", headers={"Learnwork-Min-Position": str(ada.position)}
    )
    assert anonymous.status == 200


async def test_publishing_needs_a_step_and_drafts_take_no_learners(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=0, publish=False)
    refused = await ada.expect("POST", f"/api/v1/paths/{path_id}/publish", 409)
    assert field_of(refused) == "steps"
    refused = await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 409)
    assert field_of(refused) == "path_id"
    added = await ada.expect(
        "POST",
        f"/api/v1/paths/{path_id}/steps",
        201,
        json={"kind": "text", "title": "A", "text": "a"},
    )
    await ada.expect("POST", f"/api/v1/paths/{path_id}/publish", 200)
    again = await ada.expect("POST", f"/api/v1/paths/{path_id}/publish", 200)
    assert again["position"] is None  # publishing twice records nothing
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    bob.saw(ada)
    view = await bob.expect("GET", f"/api/v1/paths/{path_id}", 200)
    assert view["enrolled_count"] == 1
    assert view["steps"][0]["step_id"] == added["id"]
    progress = view["viewer_progress"]
    assert progress["status"] == "enrolled"
    assert (progress["completed"], progress["total"], progress["percent"]) == (0, 1, 0)
    assert progress["path_completed"] is False


async def test_completing_steps_with_evidence_and_the_path_once(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=2)
    first, second = await _step_ids(ada, path_id)
    own = await bob.expect("POST", "/api/v1/artefacts", 201, json={"title": "My join"})
    others = await cy.expect("POST", "/api/v1/artefacts", 201, json={"title": "Cy's"})

    refused = await bob.expect("POST", f"/api/v1/paths/{path_id}/steps/{first}/complete", 409)
    assert field_of(refused) == "path_id"  # not enrolled yet
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    refused = await bob.expect(
        "POST",
        f"/api/v1/paths/{path_id}/steps/{first}/complete",
        422,
        json={"evidence_artefact_id": others["id"]},
    )
    assert field_of(refused) == "evidence_artefact_id"
    refused = await bob.expect("POST", f"/api/v1/paths/{path_id}/steps/{NO_SUCH}/complete", 404)
    assert field_of(refused) == "step_id"
    await _complete(bob, path_id, first, evidence_artefact_id=own["id"], reflection="Joins!")
    halfway = await _enrollment(bob, path_id, bob)
    assert (halfway["completed"], halfway["total"], halfway["percent"]) == (1, 2, 50)
    assert halfway["path_completed_at"] is None
    await _complete(bob, path_id, second)

    ada.saw(bob)  # anyone who sees the path sees its learners' progress
    view = await _enrollment(ada, path_id, bob)
    assert view["member"]["handle"] == "bob"
    assert view["status"] == "enrolled"
    assert (view["completed"], view["total"], view["percent"]) == (2, 2, 100)
    assert view["completed_step_ids"] == [first, second]
    steps = view["completed_steps"]
    assert [(s["step_id"], s["evidence_artefact_id"], s["reflection"]) for s in steps] == [
        (first, own["id"], "Joins!"),
        (second, None, ""),
    ]
    assert view["path_completed"] is True
    completed_at = view["path_completed_at"]
    assert completed_at is not None

    again = await _complete(bob, path_id, second, reflection="once more")
    assert again["position"] is None  # completing again changes nothing
    assert (await _enrollment(bob, path_id, bob))["path_completed_at"] == completed_at

    listed = await ada.expect("GET", "/api/v1/members/bob/enrollments", 200)
    assert [(e["path"]["id"], e["percent"], e["path_completed"]) for e in listed["items"]] == [
        (path_id, 100, True)
    ]
    assert (await ada.expect("GET", f"/api/v1/paths/{path_id}/enrollments/cy", 404)) is not None


async def test_editing_a_published_path_keeps_progress(client: Client) -> None:
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=3)
    s1, s2, s3 = await _step_ids(ada, path_id)
    for learner in (bob, cy):
        await learner.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    for step in (s1, s2, s3):
        await _complete(bob, path_id, step)
    for step in (s1, s2):
        await _complete(cy, path_id, step)
    ada.saw(bob, cy)
    assert (await _enrollment(ada, path_id, bob))["path_completed"] is True
    assert (await _enrollment(ada, path_id, cy))["percent"] == 66

    # a step added: it starts open for everyone; bob's completion stays
    s4 = (
        await ada.expect(
            "POST",
            f"/api/v1/paths/{path_id}/steps",
            201,
            json={"kind": "text", "title": "Extra", "text": "x", "position": 0},
        )
    )["id"]
    bob_view = await _enrollment(ada, path_id, bob)
    assert (bob_view["completed"], bob_view["total"], bob_view["percent"]) == (3, 4, 75)
    assert bob_view["path_completed"] is True
    assert bob_view["completed_step_ids"] == [s1, s2, s3]
    assert (await ada.expect("GET", f"/api/v1/paths/{path_id}", 200))["steps"][0]["step_id"] == s4

    # reordering changes nobody's figures, only the order of what is complete
    order = [s3, s2, s1, s4]
    await ada.expect("PUT", f"/api/v1/paths/{path_id}/steps/order", 200, json={"step_ids": order})
    assert await _step_ids(ada, path_id) == order
    cy_view = await _enrollment(ada, path_id, cy)
    assert (cy_view["completed"], cy_view["total"], cy_view["percent"]) == (2, 4, 50)
    assert cy_view["completed_step_ids"] == [s2, s1]
    bob_view = await _enrollment(ada, path_id, bob)
    assert (bob_view["completed"], bob_view["percent"]) == (3, 75)

    # rewriting a step keeps it complete
    await ada.expect("PATCH", f"/api/v1/paths/{path_id}/steps/{s1}", 200, json={"title": "One"})
    assert (await _enrollment(ada, path_id, cy))["completed_step_ids"] == [s2, s1]

    # cy's open steps are s3 and s4: completing s3 then removing s4 completes the path for cy
    await _complete(cy, path_id, s3)
    ada.saw(cy)
    assert (await _enrollment(ada, path_id, cy))["path_completed"] is False
    removed = await ada.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{s4}", 200)
    assert removed["id"] == s4
    cy.saw(ada)
    cy_view = await _enrollment(cy, path_id, cy)
    assert (cy_view["completed"], cy_view["total"], cy_view["percent"]) == (3, 3, 100)
    assert cy_view["path_completed"] is True
    assert cy_view["path_completed_at"] is not None
    # removing it again records nothing; its id is never used again
    again = await ada.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{s4}", 200)
    assert again["position"] is None
    refused = await cy.expect("POST", f"/api/v1/paths/{path_id}/steps/{s4}/complete", 404)
    assert field_of(refused) == "step_id"


async def test_removing_the_only_open_step_completes_the_path(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=2)
    first, second = await _step_ids(ada, path_id)
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    await _complete(bob, path_id, first)
    ada.saw(bob)
    await ada.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{second}", 200)
    bob.saw(ada)
    view = await _enrollment(bob, path_id, bob)
    assert (view["completed"], view["total"], view["percent"]) == (1, 1, 100)
    assert view["path_completed"] is True
    refused = await ada.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{first}", 409)
    assert field_of(refused) == "step_id"  # a published path keeps a step


async def test_leaving_and_enrolling_again_keeps_progress(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=3)
    s1, s2, s3 = await _step_ids(ada, path_id)
    refused = await bob.expect("POST", f"/api/v1/paths/{path_id}/leave", 409)
    assert field_of(refused) == "path_id"
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    await _complete(bob, path_id, s1)
    await bob.expect("POST", f"/api/v1/paths/{path_id}/leave", 200)
    left = await _enrollment(bob, path_id, bob)
    assert left["status"] == "left"
    assert left["left_at"] is not None
    assert (await bob.expect("GET", f"/api/v1/paths/{path_id}", 200))["enrolled_count"] == 0
    assert (await bob.expect("GET", "/api/v1/members/bob/enrollments", 200))["items"] == []
    refused = await bob.expect("POST", f"/api/v1/paths/{path_id}/steps/{s2}/complete", 409)
    assert field_of(refused) == "path_id"

    # meanwhile a step is removed: enrolling again picks up under the current steps
    await ada.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{s3}", 200)
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    back = await _enrollment(bob, path_id, bob)
    assert back["status"] == "enrolled"
    assert (back["completed"], back["total"], back["percent"]) == (1, 2, 50)
    await _complete(bob, path_id, s2)
    assert (await _enrollment(bob, path_id, bob))["path_completed"] is True


async def test_members_only_paths_do_not_exist_for_outsiders(client: Client) -> None:
    owner, ada, eve = [await register(client, h) for h in ("owner", "ada", "eve")]
    root = await make_admin(client)
    await _community(owner, "inner", visibility="members_only")
    path_id = await _path(owner, "inner", steps=1)
    invitation = {"member_id": ada.id}
    await owner.expect("POST", "/api/v1/communities/inner/invitations", 200, json=invitation)
    ada.saw(owner)
    await _join(ada, "inner")
    for reader in (ada, eve, root):
        reader.saw(owner)
    path = f"/api/v1/paths/{path_id}"
    assert (await eve.request("GET", path)).status == 404
    anonymous = await client.get(path, headers={"Learnwork-Min-Position": str(owner.position)})
    assert anonymous.status == 404
    assert (await eve.request("GET", "/api/v1/communities/inner/paths")).status == 404
    refused = await eve.expect("POST", f"{path}/enroll", 404)
    assert field_of(refused) == "path_id"
    refused = await eve.expect("POST", "/api/v1/communities/inner/paths", 404, json={"title": "x"})
    assert field_of(refused) == "community_id"
    assert (await root.request("GET", path)).status == 200  # admins see it

    await ada.expect("POST", f"{path}/enroll", 200)
    eve.saw(ada)
    assert (await eve.request("GET", f"{path}/enrollments/ada")).status == 404
    assert (await eve.expect("GET", "/api/v1/members/ada/enrollments", 200))["items"] == []
    listed = await ada.expect("GET", "/api/v1/members/ada/enrollments", 200)
    assert [e["path"]["id"] for e in listed["items"]] == [path_id]


async def test_only_editors_edit_and_archived_paths_are_read_only(client: Client) -> None:
    owner, ada, bob, mod = [await register(client, h) for h in ("owner", "ada", "bob", "mod")]
    await _community(owner, "sql")
    for member in (ada, bob, mod):
        await _join(member, "sql")
    await owner.expect(
        "PUT",
        f"/api/v1/communities/sql/members/{mod.id}/role",
        200,
        json={"role": "moderator"},
    )
    path_id = await _path(ada, "sql", steps=2)
    (s1, _) = await _step_ids(ada, path_id)
    path = f"/api/v1/paths/{path_id}"
    assert (await bob.request("PATCH", path, json={"title": "Mine now"})).status == 403
    assert (await bob.request("DELETE", f"{path}/steps/{s1}")).status == 403
    assert (await bob.request("POST", f"{path}/archive")).status == 403
    assert (await bob.expect("GET", path, 200))["viewer_can_edit"] is False
    await mod.expect("PATCH", path, 200, json={"summary": "Tidied by a moderator"})
    await ada.expect("PATCH", path, 200, json={"title": "SQL, properly"})
    view = await ada.expect("GET", path, 200)
    assert (view["title"], view["summary"]) == ("SQL, properly", "Tidied by a moderator")

    await bob.expect("POST", f"{path}/enroll", 200)
    await ada.expect("POST", f"{path}/archive", 200)
    refused = await ada.expect("PATCH", path, 409, json={"title": "Again"})
    assert field_of(refused) == "status"
    refused = await mod.expect("POST", f"{path}/enroll", 409)
    assert field_of(refused) == "path_id"
    await _complete(bob, path_id, s1)  # those enrolled go on
    bob.saw(ada)
    view = await bob.expect("GET", path, 200)
    assert view["status"] == "archived"
    assert view["archived_at"] is not None
    assert view["viewer_progress"]["completed_step_ids"] == [s1]
    archived = await bob.expect("GET", "/api/v1/communities/sql/paths?status=archived", 200)
    assert [p["id"] for p in archived["items"]] == [path_id]


async def test_bad_input_names_the_field_and_writes_nothing(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    await _community(ada, "sql")
    others = await bob.expect("POST", "/api/v1/artefacts", 201, json={"title": "Bob's"})
    text = {"kind": "text", "title": "T", "text": "t"}
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"summary": "no title"}, 422, "title"),
        ({"title": "   "}, 422, "title"),
        ({"title": "x", "colour": "red"}, 422, "colour"),
        (
            {"title": "x", "steps": [{"kind": "resource", "title": "R", "url": "ftp://x"}]},
            422,
            "steps[0].url",
        ),
        ({"title": "x", "steps": [text, {"kind": "resource", "title": "R"}]}, 422, "steps[1].url"),
        ({"title": "x", "steps": [{**text, "url": "https://example.org"}]}, 422, "steps[0].url"),
        ({"title": "x", "steps": [{"kind": "video", "title": "V"}]}, 422, "steps[0].kind"),
        ({"title": "x", "steps": [{"kind": "text", "title": "T"}]}, 422, "steps[0].text"),
        (
            {"title": "x", "steps": [{"kind": "text", "title": "  ", "text": "t"}]},
            422,
            "steps[0].title",
        ),
        (
            {"title": "x", "steps": [{**text, "estimated_minutes": 0}]},
            422,
            "steps[0].estimated_minutes",
        ),
        (
            {"title": "x", "steps": [{"kind": "artefact", "title": "A", "ref_id": NO_SUCH}]},
            404,
            "steps[0].ref_id",
        ),
        (
            {"title": "x", "steps": [{"kind": "post", "title": "P", "ref_id": others["id"]}]},
            404,
            "steps[0].ref_id",
        ),
    ]
    for body, status, field in cases:
        response = await ada.request("POST", "/api/v1/communities/sql/paths", json=body)
        assert response.status == status, (body, await response.text())
        assert response.content_type == "application/problem+json"
        assert field_of(await response.json()) == field, body
    assert (await ada.expect("GET", "/api/v1/communities/sql/paths", 200))["items"] == []

    path_id = await _path(ada, "sql", steps=2)
    s1, s2 = await _step_ids(ada, path_id)
    path = f"/api/v1/paths/{path_id}"
    assert field_of(await ada.expect("GET", "/api/v1/paths/not-a-path", 404)) == "path_id"
    assert field_of(await ada.expect("GET", f"/api/v1/paths/{NO_SUCH}", 404)) == "path_id"
    assert (
        field_of(await ada.expect("PATCH", f"/api/v1/paths/{NO_SUCH}", 404, json={})) == "path_id"
    )
    assert field_of(await ada.expect("DELETE", f"{path}/steps/nope", 404)) == "step_id"
    assert field_of(await ada.expect("DELETE", f"{path}/steps/{NO_SUCH}", 404)) == "step_id"
    refused = await ada.expect("PUT", f"{path}/steps/order", 422, json={"step_ids": [s1]})
    assert field_of(refused) == "step_ids"
    refused = await ada.expect("PUT", f"{path}/steps/order", 422, json={"step_ids": ["x"]})
    assert field_of(refused) == "step_ids[0]"
    refused = await ada.expect("POST", f"{path}/steps", 422, json={**text, "position": 7})
    assert field_of(refused) == "position"
    refused = await ada.expect("PATCH", f"{path}/steps/{s2}", 422, json={"kind": "resource"})
    assert field_of(refused) == "url"
    refused = await ada.expect(
        "PATCH", f"{path}/steps/{s2}", 404, json={"kind": "artefact", "ref_id": NO_SUCH}
    )
    assert field_of(refused) == "ref_id"
    assert await _step_ids(ada, path_id) == [s1, s2]
    # clearing an estimate with null; leaving it out keeps it
    await ada.expect("PATCH", f"{path}/steps/{s2}", 200, json={"estimated_minutes": 20})
    await ada.expect("PATCH", f"{path}/steps/{s2}", 200, json={"title": "Two"})
    assert (await ada.expect("GET", path, 200))["estimated_minutes"] == 20
    await ada.expect("PATCH", f"{path}/steps/{s2}", 200, json={"estimated_minutes": None})
    assert (await ada.expect("GET", path, 200))["estimated_minutes"] == 0


async def test_suspended_members_paths_and_enrollments_are_not_served(client: Client) -> None:
    root = await make_admin(client)
    ada, bob, cy = [await register(client, h) for h in ("ada", "bob", "cy")]
    await _community(ada, "sql")
    path_id = await _path(ada, "sql", steps=1)
    await bob.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    done = await root.expect("POST", f"/api/v1/admin/members/{bob.id}/suspend", 200, json={})
    cy.saw(bob, root)
    view = await cy.expect("GET", f"/api/v1/paths/{path_id}", 200)
    assert view["enrolled_count"] == 0
    assert (await cy.request("GET", f"/api/v1/paths/{path_id}/enrollments/{bob.id}")).status == 404
    assert (await cy.request("GET", f"/api/v1/members/{bob.id}/enrollments")).status == 404

    done = await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    cy.position = done["position"]
    assert (await cy.request("GET", f"/api/v1/paths/{path_id}")).status == 404
    assert (await cy.expect("GET", "/api/v1/communities/sql/paths", 200))["items"] == []


async def test_completing_every_step_at_once_completes_the_path_once(
    client: Client, database_url: str
) -> None:
    owner, ada = await register(client, "owner"), await register(client, "ada")
    await _community(owner, "sql")
    await _join(ada, "sql")
    path_id = await _path(owner, "sql", steps=6)
    await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    steps = await _step_ids(ada, path_id)
    urls = [f"/api/v1/paths/{path_id}/steps/{step_id}/complete" for step_id in steps]
    responses = await asyncio.gather(*(ada.request("POST", url, json={}) for url in urls))
    assert [r.status for r in responses] == [200] * 6
    view = await _enrollment(ada, path_id, ada)
    assert view["completed"] == view["total"] == 6
    assert view["path_completed_at"] is not None
    conn = await asyncpg.connect(database_url)
    try:
        completions = await conn.fetchval(
            "SELECT count(*) FROM events WHERE type = 'enrollment.path_completed'"
        )
    finally:
        await conn.close()
    assert completions == 1


async def test_a_community_counts_its_published_paths(client: Client) -> None:
    ada = await register(client, "ada")
    await _community(ada, "sql")
    await _path(ada, "sql", publish=False)  # a draft
    await _path(ada, "sql")
    archived = await _path(ada, "sql")
    await ada.expect("POST", f"/api/v1/paths/{archived}/archive", 200)
    community = await ada.expect("GET", "/api/v1/communities/sql", 200)
    assert (community["paths_count"], community["members_count"]) == (1, 1)
    listed = await ada.expect("GET", "/api/v1/communities", 200)
    assert [c["paths_count"] for c in listed["items"]] == [1]
