"""Path insight: how a path's learners fare, for its authors and its community — counted when
read from the paths read model, so edits to the steps are always reflected.

- `enrolled`: learners who ever enrolled (suspended members are left out everywhere);
- `completed`: those who completed the path (docs/paths.md: once, and it stays);
- `learning`: enrolled now and not completed; `active`: those of them who enrolled or completed
  a step in the last `active_days` days;
- `left`: left without completing;
- `completion_rate`: completed ÷ enrolled;
- time to complete: from first enrolling to completing; the median over those who completed;
- per step, in the path's current order: how many learners completed it, and how many
  *stopped* there — learners who left, or went quiet for `active_days`, without completing the
  path, and for whom it is the first step in order they have not done.
"""

from __future__ import annotations

import asyncpg
import msgspec

from server.projections.paths import path_readable


class StepInsightView(msgspec.Struct, kw_only=True):
    step_id: str
    title: str
    completed: int
    """Learners who completed this step."""
    stopped: int
    """Learners who stopped before this step: left or went quiet without completing the path,
    with this the first step in order they have not done."""


class PathInsightView(msgspec.Struct, kw_only=True):
    path_id: str
    active_days: int
    """The window that tells `active` learners from quiet ones, in days."""
    enrolled: int
    learning: int
    active: int
    completed: int
    left: int
    completion_rate: float
    """`completed` ÷ `enrolled`, from 0 to 1; 0 when nobody enrolled."""
    median_seconds_to_complete: float | None
    """From first enrolling to completing the path; null when nobody completed it."""
    steps: list[StepInsightView]


# The path's learners ($1: path, $2: active_days) who are served (not suspended), and whether
# each stopped: left or went quiet without completing.
_LEARNERS = """
WITH learners AS (
    SELECT e.member_id, e.status, e.first_enrolled_at, e.path_completed_at,
           e.path_completed_at IS NULL AND (e.status = 'left'
               OR e.last_active_at < now() - $2::int * interval '1 day') AS stopped,
           e.last_active_at >= now() - $2::int * interval '1 day' AS recent
      FROM enrollments e JOIN members m ON m.id = e.member_id AND m.status = 'active'
     WHERE e.path_id = $1::uuid)
"""

_TOTALS = (
    _LEARNERS
    + """
SELECT count(*)::int,
       count(*) FILTER (WHERE path_completed_at IS NULL AND status = 'enrolled')::int,
       count(*) FILTER (WHERE path_completed_at IS NULL AND status = 'enrolled' AND recent)::int,
       count(*) FILTER (WHERE path_completed_at IS NOT NULL)::int,
       count(*) FILTER (WHERE path_completed_at IS NULL AND status = 'left')::int,
       percentile_cont(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM path_completed_at - first_enrolled_at))
           FILTER (WHERE path_completed_at IS NOT NULL)
  FROM learners
"""
)

_STEPS = (
    _LEARNERS
    + """,
steps AS (SELECT step_id, ordinal, title FROM path_steps WHERE path_id = $1::uuid),
stops AS (
    SELECT (SELECT s.step_id FROM steps s
             WHERE NOT EXISTS (SELECT 1 FROM enrollment_steps c WHERE c.path_id = $1::uuid
                                  AND c.member_id = l.member_id AND c.step_id = s.step_id)
             ORDER BY s.ordinal LIMIT 1) AS step_id
      FROM learners l WHERE l.stopped)
SELECT s.step_id::text, s.title,
       (SELECT count(*) FROM enrollment_steps c JOIN learners l USING (member_id)
         WHERE c.path_id = $1::uuid AND c.step_id = s.step_id)::int,
       (SELECT count(*) FROM stops t WHERE t.step_id = s.step_id)::int
  FROM steps s ORDER BY s.ordinal
"""
)


async def get_insight(
    conn: asyncpg.Connection, path_id: str, viewer: str | None, active_days: int
) -> PathInsightView | None:
    """The path's insight, if `viewer` may read the path."""
    readable = await conn.fetchval(
        f"SELECT true FROM paths p WHERE p.id = $2::uuid AND {path_readable('$1::uuid')}",
        viewer,
        path_id,
    )
    if not readable:
        return None
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        # One snapshot: the totals and the steps count the same learners.
        enrolled, learning, active, completed, left, median = await conn.fetchrow(
            _TOTALS, path_id, active_days
        )
        steps = await conn.fetch(_STEPS, path_id, active_days)
    return PathInsightView(
        path_id=path_id,
        active_days=active_days,
        enrolled=enrolled,
        learning=learning,
        active=active,
        completed=completed,
        left=left,
        completion_rate=completed / enrolled if enrolled else 0.0,
        median_seconds_to_complete=median,
        steps=[
            StepInsightView(step_id=s[0], title=s[1], completed=s[2], stopped=s[3]) for s in steps
        ],
    )
