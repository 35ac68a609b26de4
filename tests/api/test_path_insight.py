"""Path insight over real HTTP: counts, completion rate, median time to complete and where
learners stop, as the path is edited, with suspended learners and visibility."""

from __future__ import annotations

import statistics
from datetime import datetime

from tests.api.conftest import Client, field_of, make_admin, register
from tests.api.test_paths import _community, _complete, _enrollment, _join, _path, _step_ids


def _seconds(enrollment: dict) -> float:
    done = datetime.fromisoformat(enrollment["path_completed_at"])
    return (done - datetime.fromisoformat(enrollment["enrolled_at"])).total_seconds()


async def test_insight_counts_learners_and_shows_where_they_stop(client: Client) -> None:
    owner = await register(client, "owner")
    learners = {h: await register(client, h) for h in ("ana", "ben", "cat", "dan", "eli")}
    ana, ben, cat, dan, _eli = learners.values()
    await _community(owner, "sql")
    path_id = await _path(owner, "sql", steps=3)
    s1, s2, s3 = await _step_ids(owner, path_id)
    for learner in learners.values():
        await learner.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    for step in (s1, s2, s3):  # ana and ben complete the path
        await _complete(ana, path_id, step)
        await _complete(ben, path_id, step)
    await _complete(cat, path_id, s1)  # cat leaves after the first step
    await cat.expect("POST", f"/api/v1/paths/{path_id}/leave", 200)
    await _complete(dan, path_id, s1)  # dan is on his way: steps 1 and 3 done, 2 open
    await _complete(dan, path_id, s3)
    # eli has done nothing yet
    for learner in learners.values():
        owner.saw(learner)
    url = f"/api/v1/paths/{path_id}/insight"

    insight = await owner.expect("GET", url, 200)
    assert insight["active_days"] == 30
    counts = {k: insight[k] for k in ("enrolled", "learning", "active", "completed", "left")}
    assert counts == {"enrolled": 5, "learning": 2, "active": 2, "completed": 2, "left": 1}
    assert insight["completion_rate"] == 0.4
    took = [_seconds(await _enrollment(owner, path_id, m)) for m in (ana, ben)]
    assert insight["median_seconds_to_complete"] == statistics.median(took)
    steps = [(s["step_id"], s["completed"], s["stopped"]) for s in insight["steps"]]
    assert steps == [(s1, 4, 0), (s2, 2, 1), (s3, 3, 0)]  # cat left before step 2

    # With no window, everyone who has not completed the path has stopped somewhere.
    quiet = await owner.expect("GET", url, 200, params={"active_days": "0"})
    assert (quiet["active"], quiet["learning"]) == (0, 2)
    assert [s["stopped"] for s in quiet["steps"]] == [1, 2, 0]  # eli before 1; cat, dan before 2

    # Reordered and removed steps: the figures follow the path as it is now.
    await owner.expect(
        "PUT", f"/api/v1/paths/{path_id}/steps/order", 200, json={"step_ids": [s2, s1, s3]}
    )
    await owner.expect("DELETE", f"/api/v1/paths/{path_id}/steps/{s3}", 200)
    edited = await owner.expect("GET", url, 200, params={"active_days": "0"})
    assert [(s["step_id"], s["completed"], s["stopped"]) for s in edited["steps"]] == [
        (s2, 2, 3),  # eli, cat and dan have not done s2: now the first step
        (s1, 4, 0),
    ]


async def test_suspended_learners_are_left_out_and_outsiders_see_nothing(client: Client) -> None:
    owner, ada, eve = [await register(client, h) for h in ("owner", "ada", "eve")]
    root = await make_admin(client)
    await _community(owner, "inner", visibility="members_only")
    await owner.expect(
        "POST", "/api/v1/communities/inner/invitations", 200, json={"member_id": ada.id}
    )
    ada.saw(owner)
    await _join(ada, "inner")
    path_id = await _path(owner, "inner", steps=1)
    ada.saw(owner)
    await ada.expect("POST", f"/api/v1/paths/{path_id}/enroll", 200)
    owner.saw(ada)
    url = f"/api/v1/paths/{path_id}/insight"
    assert (await owner.expect("GET", url, 200))["enrolled"] == 1

    eve.saw(ada)
    refused = await eve.expect("GET", url, 404)
    assert field_of(refused) == "path_id"
    assert (await client.get(url)).status == 404

    root.saw(ada)
    await root.expect("POST", f"/api/v1/admin/members/{ada.id}/suspend", 200, json={})
    owner.saw(root)
    insight = await owner.expect("GET", url, 200)
    assert (insight["enrolled"], insight["learning"], insight["completion_rate"]) == (0, 0, 0.0)
    assert insight["median_seconds_to_complete"] is None

    bad = await owner.expect("GET", url, 400, params={"active_days": "366"})
    assert field_of(bad) == "active_days"
