"""A learner who stops sharing their progress: it leaves every place others could see it —
enrollments, profile, journey, feeds — and stays theirs to see; aggregate counts remain."""

from __future__ import annotations

from tests.api.conftest import Client, register
from tests.api.test_paths import _community, _complete, _path, _step_ids


async def test_progress_not_shared_is_seen_by_its_learner_alone(client: Client) -> None:
    ada, bob = await register(client, "ada"), await register(client, "bob")
    await _community(bob, "sql")
    path_id = await _path(bob, "sql", steps=1)
    ada.saw(bob)
    await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    [step] = await _step_ids(ada, path_id)
    await _complete(ada, path_id, step)
    await bob.expect("POST", "/api/v1/members/ada/follow", 200)
    bob.saw(ada)

    def shown(profile: dict, journey: dict, feed: dict) -> tuple[bool, bool, bool]:
        return (
            bool(profile["completed_paths"]),
            any(m["kind"] == "completed_path" for m in journey["items"]),
            any(a["kind"] == "path_completed" for a in feed["items"]),
        )

    async def seen_by(reader) -> tuple[bool, ...]:
        profile = await reader.expect("GET", "/api/v1/members/ada/profile", 200)
        journey = await reader.expect("GET", "/api/v1/members/ada/journey", 200)
        feed = await reader.expect("GET", "/api/v1/feeds/home", 200)
        enrollment = await reader.request("GET", f"/api/v1/paths/{path_id}/enrollments/ada")
        listed = await reader.expect("GET", "/api/v1/members/ada/enrollments", 200)
        return (*shown(profile, journey, feed), enrollment.status == 200, bool(listed["items"]))

    assert await seen_by(bob) == (True, True, True, True, True)
    me = await ada.expect("GET", "/api/v1/me", 200)
    assert me["share_progress"] is True

    await ada.expect("PATCH", "/api/v1/me", 200, json={"share_progress": False})
    bob.saw(ada)
    assert await seen_by(bob) == (False, False, False, False, False)
    assert (await ada.expect("GET", "/api/v1/me", 200))["share_progress"] is False
    # ada's own view is whole (her feed: she follows nobody, but her own activity is there)
    assert await seen_by(ada) == (True, True, True, True, True)
    insight = await bob.expect("GET", f"/api/v1/paths/{path_id}/insight", 200)
    assert insight["completed"] == 1  # counts stay: they name nobody

    await ada.expect("PATCH", "/api/v1/me", 200, json={"share_progress": True})
    bob.saw(ada)
    assert await seen_by(bob) == (True, True, True, True, True)
