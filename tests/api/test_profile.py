"""A member's profile over real HTTP: endorsed skills, communities, paths and artefacts, as far
as the reader may see them."""

from __future__ import annotations

import pytest

from server.config import Settings
from tests.api.conftest import Client, make_admin, register
from tests.api.test_paths import _community, _complete, _join, _path, _step_ids


@pytest.fixture(params=["cached", "cache off"])
def settings(request: pytest.FixtureRequest) -> Settings:
    """Profiles served by the cache (server/projections/profile_cache.py), and without it."""
    cache = 0 if request.param == "cache off" else 5000
    return Settings(
        sign_ins_per_minute=10_000, writes_per_minute=100_000, read_wait_seconds=5,
        profile_cache=cache,
    )  # fmt: skip


async def test_the_profile_shows_skills_communities_paths_and_artefacts(client: Client) -> None:
    ada, bob, cy, dan = [await register(client, h) for h in ("ada", "bob", "cy", "dan")]
    root = await make_admin(client)
    await ada.expect("PATCH", "/api/v1/me", 200, json={"skills": ["Python", "SQL"]})
    for endorser, skill in ((bob, "sql"), (cy, "sql"), (cy, "docker"), (dan, "python")):
        body = {"kind": "member", "member_id": ada.id, "skill": skill}
        await endorser.expect("POST", "/api/v1/endorsements", 201, json=body)
    await _community(bob, "data")
    await _join(ada, "data")
    inner = await _community(ada, "inner", visibility="members_only")
    half = await _path(bob, "data", steps=2)
    done = await _path(bob, "data", steps=1)
    hidden = await _path(ada, "inner", steps=1)
    ada.saw(bob)
    for path_id in (half, done, hidden):
        await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    await _complete(ada, half, (await _step_ids(ada, half))[0])
    await _complete(ada, done, (await _step_ids(ada, done))[0])
    await ada.expect("POST", "/api/v1/artefacts", 201, json={"title": "Plans", "skills": ["sql"]})
    secret = {"title": "Inner notes", "community_id": inner}
    await ada.expect("POST", "/api/v1/artefacts", 201, json=secret)
    root.saw(dan)
    await root.expect("POST", f"/api/v1/admin/members/{dan.id}/suspend", 200, json={})
    for reader in (ada, bob):
        reader.saw(ada, bob, cy, dan, root)

    mine = await ada.expect("GET", "/api/v1/members/ada/profile", 200)
    assert mine["member"]["handle"] == "ada"
    skills = [
        (s["skill"], s["declared"], s["endorsements"], [e["handle"] for e in s["endorsers"]])
        for s in mine["skills"]
    ]
    assert skills == [
        ("sql", True, 2, ["cy", "bob"]),  # most endorsed first, newest endorser first
        ("docker", False, 1, ["cy"]),  # endorsed, though ada does not list it
        ("python", True, 0, []),  # dan is suspended: his endorsement does not count
    ]
    assert [(c["slug"], c["role"]) for c in mine["communities"]] == [
        ("inner", "owner"),
        ("data", "member"),
    ]
    assert [(p["path_id"], p["completed"], p["total"], p["percent"]) for p in mine["learning"]] == [
        (hidden, 0, 1, 0),
        (half, 1, 2, 50),
    ]
    assert [p["path_id"] for p in mine["completed_paths"]] == [done]
    assert mine["completed_paths"][0]["completed_at"] is not None
    assert mine["artefacts_count"] == 2
    assert [a["title"] for a in mine["recent_artefacts"]] == ["Inner notes", "Plans"]

    seen = await bob.expect("GET", "/api/v1/members/ada/profile", 200)
    assert [c["slug"] for c in seen["communities"]] == ["data"]
    assert [p["path_id"] for p in seen["learning"]] == [half]
    assert (seen["artefacts_count"], [a["title"] for a in seen["recent_artefacts"]]) == (
        1,
        ["Plans"],
    )
    assert (await bob.request("GET", "/api/v1/members/dan/profile")).status == 404
