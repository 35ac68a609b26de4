"""The paths read model: learning paths with their steps in order, enrollments and the steps
each learner completed; and the queries over them.

Progress is never stored. It is counted when read, by the rule of docs/paths.md
(`server.domain.enrollments.progress`): the completed steps that are among the path's current
steps, over the current steps, in the path's current order. Completed steps are kept by step id
even after the step leaves the path, so adding, removing or reordering steps needs no update of
anybody's progress and can never leave a stale figure. `path_completed_at` is the time of the
learner's `enrollment.path_completed`: it stays once set.

Every query takes the reading member (`viewer`, None when anonymous):
- a path in a members-only community is served to its members and instance admins only;
- a draft is served only to those who may edit it: its creator, the community's moderators and
  owners (none of them banned from it), and instance admins; archived paths stay readable;
- a suspended creator's paths are not served, nor a suspended learner's enrollments (nor are
  they counted in `enrolled_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from server.events import RecordedEvent
from server.events.types.paths import (
    TYPES,
    Enrolled,
    EnrollmentLeft,
    PathArchived,
    PathCompleted,
    PathCreated,
    PathPublished,
    PathStep,
    PathStepAdded,
    PathStepRemoved,
    PathStepsReordered,
    PathStepUpdated,
    PathUpdated,
    StepCompleted,
)
from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.pagination import NEWEST, Page, after, page
from server.projections.runner import Projection, apply_in_segments, tags
from server.projections.visibility import (
    author_active,
    community_visible,
    is_admin,
    progress_shared,
)


class PathsProjection(Projection):
    name = "paths"
    tables = ("paths", "path_steps", "enrollments", "enrollment_steps")
    event_types = tags(*TYPES)  # every path and enrollment event

    async def apply(self, conn: asyncpg.Connection, events: Sequence[RecordedEvent]) -> None:
        # Learners' progress, most of the traffic, is written a segment at a time: enrollments,
        # then completed steps, then paths completed, each kind in one pipelined statement.
        # For one learner and path that is the log's order (one enrollment, its steps, the
        # completion); leaving, or any event about the path itself, closes the segment.
        await apply_in_segments(
            conn, events, (Enrolled, StepCompleted, PathCompleted), _write_progress, _apply
        )


async def _write_progress(conn: asyncpg.Connection, segment: list[RecordedEvent]) -> None:
    enrolled: list[tuple[object, ...]] = []
    steps: list[tuple[object, ...]] = []
    active: list[tuple[object, ...]] = []
    completed: list[tuple[object, ...]] = []
    for event in segment:
        data, at = event.data, event.recorded_at
        match data:
            case Enrolled():
                enrolled.append((data.path_id, data.member_id, at, event.position))
            case StepCompleted():
                steps.append(
                    (data.path_id, data.member_id, data.step_id, at,
                     data.evidence_artefact_id, data.reflection)
                )  # fmt: skip
                active.append((data.path_id, data.member_id, at))
            case PathCompleted():
                completed.append((data.path_id, data.member_id, at))
    for statement, rows in (
        (_ENROLL, enrolled),
        (_COMPLETE_STEP, steps),
        (_ACTIVE, active),
        (_COMPLETE_PATH, completed),
    ):
        if rows:
            await conn.executemany(statement, rows)


_ENROLL = (
    "INSERT INTO enrollments (path_id, member_id, status, enrolled_at, position,"
    " first_enrolled_at, last_active_at) VALUES ($1, $2, 'enrolled', $3, $4, $3, $3)"
    " ON CONFLICT (path_id, member_id) DO UPDATE SET status = 'enrolled',"
    " enrolled_at = $3, left_at = NULL, position = $4, last_active_at = $3"
)
_COMPLETE_STEP = (
    "INSERT INTO enrollment_steps (path_id, member_id, step_id, completed_at,"
    " evidence_artefact_id, reflection) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT DO NOTHING"
)
_ACTIVE = "UPDATE enrollments SET last_active_at = $3 WHERE path_id = $1 AND member_id = $2"
_COMPLETE_PATH = (
    "UPDATE enrollments SET path_completed_at = coalesce(path_completed_at, $3)"
    " WHERE path_id = $1 AND member_id = $2"
)


_STEP_INSERT = (
    "INSERT INTO path_steps (path_id, step_id, ordinal, kind, title, url, ref_id, text,"
    " estimated_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)


def _step_row(path_id: str, ordinal: int, step: PathStep) -> tuple[object, ...]:
    return (
        path_id,
        step.step_id,
        ordinal,
        step.kind,
        step.title,
        step.url,
        step.ref_id,
        step.text,
        step.estimated_minutes,
    )


async def _apply(conn: asyncpg.Connection, event: RecordedEvent) -> None:
    data = event.data
    at = event.recorded_at
    if isinstance(data, EnrollmentLeft):  # the rest of a learner's progress: `_write_progress`
        await conn.execute(
            "UPDATE enrollments SET status = 'left', left_at = $3"
            " WHERE path_id = $1 AND member_id = $2",
            data.path_id,
            data.member_id,
            at,
        )
        return
    path_id = event.stream_id.removeprefix("path-")
    match data:
        case PathCreated():
            await conn.execute(
                "INSERT INTO paths (id, community_id, creator_id, title, summary, skills, status,"
                " created_at, updated_at, position)"
                " VALUES ($1, $2, $3, $4, $5, $6, 'draft', $7, $7, $8)",
                path_id,
                data.community_id,
                data.by,
                data.title,
                data.summary,
                data.skills,
                at,
                event.position,
            )
            await conn.executemany(
                _STEP_INSERT, [_step_row(path_id, n, step) for n, step in enumerate(data.steps)]
            )
            return
        case PathUpdated():
            await conn.execute(
                "UPDATE paths SET title = $2, summary = $3, skills = $4 WHERE id = $1",
                path_id,
                data.title,
                data.summary,
                data.skills,
            )
        case PathStepAdded():
            await conn.execute(
                "UPDATE path_steps SET ordinal = ordinal + 1 WHERE path_id = $1 AND ordinal >= $2",
                path_id,
                data.position,
            )
            await conn.execute(_STEP_INSERT, *_step_row(path_id, data.position, data.step))
        case PathStepUpdated():
            step = data.step
            await conn.execute(
                "UPDATE path_steps SET kind = $3, title = $4, url = $5, ref_id = $6, text = $7,"
                " estimated_minutes = $8 WHERE path_id = $1 AND step_id = $2",
                path_id,
                step.step_id,
                step.kind,
                step.title,
                step.url,
                step.ref_id,
                step.text,
                step.estimated_minutes,
            )
        case PathStepRemoved():
            ordinal = await conn.fetchval(
                "DELETE FROM path_steps WHERE path_id = $1 AND step_id = $2 RETURNING ordinal",
                path_id,
                data.step_id,
            )
            if ordinal is not None:
                await conn.execute(
                    "UPDATE path_steps SET ordinal = ordinal - 1"
                    " WHERE path_id = $1 AND ordinal > $2",
                    path_id,
                    ordinal,
                )
        case PathStepsReordered():
            await conn.execute(
                "UPDATE path_steps s SET ordinal = o.n - 1"
                " FROM unnest($2::uuid[]) WITH ORDINALITY AS o(step_id, n)"
                " WHERE s.path_id = $1 AND s.step_id = o.step_id",
                path_id,
                data.step_ids,
            )
        case PathPublished():
            await conn.execute(
                "UPDATE paths SET status = 'published', published_at = $2 WHERE id = $1",
                path_id,
                at,
            )
        case PathArchived():
            await conn.execute(
                "UPDATE paths SET status = 'archived', archived_at = $2 WHERE id = $1",
                path_id,
                at,
            )
        case _:
            return
    await conn.execute("UPDATE paths SET updated_at = $2 WHERE id = $1", path_id, at)


# -- reading --------------------------------------------------------------------------------


class StepView(msgspec.Struct, kw_only=True):
    step_id: str
    kind: str
    """`resource` (a link: `url`), `artefact` or `post` (one of ours: `ref_id`), `text`."""
    title: str
    url: str | None
    ref_id: str | None
    text: str
    """The note of a `text` step; an optional note for the other kinds (Markdown)."""
    estimated_minutes: int | None


class PathSummaryView(msgspec.Struct, kw_only=True):
    id: str
    community_id: str
    creator: MemberView
    title: str
    summary: str
    skills: list[str]
    status: str
    """`draft` (seen by its editors only), `published` or `archived` (no more edits nor new
    learners)."""
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    archived_at: datetime | None
    steps_count: int
    estimated_minutes: int
    """The steps' estimated minutes added up (steps without an estimate count 0)."""
    enrolled_count: int
    """Learners enrolled now."""
    viewer_can_edit: bool
    """The reader may change the path (its creator, a moderator or owner of the community, an
    instance admin)."""


class ProgressView(msgspec.Struct, kw_only=True):
    """A learner's enrollment measured against the path as it reads now (docs/paths.md)."""

    status: str
    """`enrolled`, or `left` (the completed steps are kept should they enroll again)."""
    enrolled_at: datetime
    """When they last enrolled."""
    left_at: datetime | None
    completed: int
    """Current steps of the path that are complete."""
    total: int
    """Current steps of the path."""
    percent: int
    """`completed × 100 ÷ total`, rounded down; 0 for a path without steps."""
    completed_step_ids: list[str]
    """The complete current steps, in the path's order."""
    path_completed: bool
    """The learner completed the path once: it stays so even if steps were added since."""
    path_completed_at: datetime | None


class PathView(PathSummaryView, kw_only=True):
    steps: list[StepView]
    """In the path's order."""
    viewer_progress: ProgressView | None
    """The reader's own enrollment in the path, if they ever enrolled."""


class CompletedStepView(msgspec.Struct, kw_only=True):
    step_id: str
    completed_at: datetime
    evidence_artefact_id: str | None
    """An artefact of the learner's own that shows the work."""
    reflection: str


class EnrollmentView(ProgressView, kw_only=True):
    path_id: str
    member: MemberView
    completed_steps: list[CompletedStepView]
    """The complete current steps, in the path's order, with evidence and reflection."""


class MemberEnrollmentView(ProgressView, kw_only=True):
    path: PathSummaryView


def _is_editor(viewer: str) -> str:
    """`viewer` may edit path `p`: the rule the path decider holds editors to."""
    return (
        f"({is_admin(viewer)} OR ((p.creator_id = {viewer} OR EXISTS (SELECT 1"
        " FROM community_members em WHERE em.community_id = p.community_id"
        f" AND em.member_id = {viewer} AND em.role IN ('moderator', 'owner')))"
        " AND NOT EXISTS (SELECT 1 FROM community_bans eb"
        f" WHERE eb.community_id = p.community_id AND eb.member_id = {viewer})))"
    )


def path_readable(viewer: str) -> str:
    """Path `p` may be read by `viewer`."""
    return (
        f"{community_visible('p.community_id', viewer)} AND {author_active('p.creator_id')}"
        f" AND (p.status <> 'draft' OR {_is_editor(viewer)})"
    )


def _path_columns(viewer: str) -> str:
    return (
        f"{MEMBER_COLUMNS}, p.id::text, p.community_id::text, p.title, p.summary, p.skills,"
        " p.status, p.created_at, p.updated_at, p.published_at, p.archived_at,"
        " (SELECT count(*)::int FROM path_steps s WHERE s.path_id = p.id),"
        " (SELECT coalesce(sum(s.estimated_minutes), 0)::int FROM path_steps s"
        " WHERE s.path_id = p.id),"
        " (SELECT count(*)::int FROM enrollments pe WHERE pe.path_id = p.id"
        f" AND pe.status = 'enrolled' AND {author_active('pe.member_id')}),"
        f" coalesce({_is_editor(viewer)}, false), p.position"
    )


_FROM_PATHS = "FROM paths p JOIN members m ON m.id = p.creator_id"
_POSITION = 25
"""The index of `p.position` in a row of `_path_columns`; the columns after it start at
`_POSITION + 1`."""


def _summary(r: asyncpg.Record) -> PathSummaryView:
    return PathSummaryView(
        id=r[11],
        community_id=r[12],
        creator=member_view(r),
        title=r[13],
        summary=r[14],
        skills=list(r[15]),
        status=r[16],
        created_at=r[17],
        updated_at=r[18],
        published_at=r[19],
        archived_at=r[20],
        steps_count=r[21],
        estimated_minutes=r[22],
        enrolled_count=r[23],
        viewer_can_edit=r[24],
    )


_PROGRESS_COLUMNS = (
    "e.status, e.enrolled_at, e.left_at, e.path_completed_at,"
    " (SELECT count(*)::int FROM path_steps s WHERE s.path_id = e.path_id),"
    " ARRAY(SELECT c.step_id::text FROM enrollment_steps c JOIN path_steps s"
    " ON s.path_id = c.path_id AND s.step_id = c.step_id"
    " WHERE c.path_id = e.path_id AND c.member_id = e.member_id ORDER BY s.ordinal)"
)


def _progress(r: asyncpg.Record, at: int) -> dict[str, object]:
    """The fields of a `ProgressView` from the `_PROGRESS_COLUMNS` starting at index `at`."""
    status, enrolled_at, left_at, completed_at, total, done = r[at : at + 6]
    return {
        "status": status,
        "enrolled_at": enrolled_at,
        "left_at": left_at,
        "completed": len(done),
        "total": total,
        "percent": len(done) * 100 // total if total else 0,
        "completed_step_ids": list(done),
        "path_completed": completed_at is not None,
        "path_completed_at": completed_at,
    }


async def get_path(conn: asyncpg.Connection, path_id: str, viewer: str | None) -> PathView | None:
    """The path with its steps and the reader's progress, if `viewer` may read it."""
    row = await conn.fetchrow(
        f"SELECT {_path_columns('$1::uuid')} {_FROM_PATHS}"
        f" WHERE p.id = $2::uuid AND {path_readable('$1::uuid')}",
        viewer,
        path_id,
    )
    if row is None:
        return None
    steps = await conn.fetch(
        "SELECT step_id::text, kind, title, url, ref_id::text, text, estimated_minutes"
        " FROM path_steps WHERE path_id = $1::uuid ORDER BY ordinal",
        path_id,
    )
    progress = None
    if viewer is not None:
        mine = await conn.fetchrow(
            f"SELECT {_PROGRESS_COLUMNS} FROM enrollments e"
            " WHERE e.path_id = $1::uuid AND e.member_id = $2::uuid",
            path_id,
            viewer,
        )
        progress = ProgressView(**_progress(mine, 0)) if mine else None  # type: ignore[arg-type]
    return PathView(
        **msgspec.structs.asdict(_summary(row)),
        steps=[
            StepView(
                step_id=s[0],
                kind=s[1],
                title=s[2],
                url=s[3],
                ref_id=s[4],
                text=s[5],
                estimated_minutes=s[6],
            )
            for s in steps
        ],
        viewer_progress=progress,
    )


async def list_community_paths(
    conn: asyncpg.Connection,
    community_id: str,
    viewer: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> Page[PathSummaryView]:
    """The community's paths `viewer` may read (drafts only for their editors), newest first;
    with `status`, only those in it."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_path_columns('$1::uuid')} {_FROM_PATHS}"
        " WHERE p.community_id = $2::uuid AND p.position < $3"
        f" AND ($4::text IS NULL OR p.status = $4) AND {path_readable('$1::uuid')}"
        " ORDER BY p.position DESC LIMIT $5",
        viewer,
        community_id,
        before,
        status,
        limit + 1,
    )
    return page(rows, limit, _summary, lambda r: (r[_POSITION],))


async def get_enrollment(
    conn: asyncpg.Connection, path_id: str, member_id: str, viewer: str | None
) -> EnrollmentView | None:
    """The member's enrollment in the path with their progress, if `viewer` may read the path,
    the member is active and ever enrolled in it."""
    row = await conn.fetchrow(
        f"SELECT {MEMBER_COLUMNS}, {_PROGRESS_COLUMNS} FROM enrollments e"
        " JOIN members m ON m.id = e.member_id JOIN paths p ON p.id = e.path_id"
        " WHERE e.path_id = $2::uuid AND e.member_id = $3::uuid AND m.status = 'active'"
        f" AND {progress_shared('e.member_id', '$1::uuid')}"
        f" AND {path_readable('$1::uuid')}",
        viewer,
        path_id,
        member_id,
    )
    if row is None:
        return None
    steps = await conn.fetch(
        "SELECT c.step_id::text, c.completed_at, c.evidence_artefact_id::text, c.reflection"
        " FROM enrollment_steps c JOIN path_steps s"
        " ON s.path_id = c.path_id AND s.step_id = c.step_id"
        " WHERE c.path_id = $1::uuid AND c.member_id = $2::uuid ORDER BY s.ordinal",
        path_id,
        member_id,
    )
    return EnrollmentView(
        **_progress(row, 11),  # type: ignore[arg-type]
        path_id=path_id,
        member=member_view(row),
        completed_steps=[
            CompletedStepView(
                step_id=s[0], completed_at=s[1], evidence_artefact_id=s[2], reflection=s[3]
            )
            for s in steps
        ],
    )


async def list_member_enrollments(
    conn: asyncpg.Connection, member_id: str, viewer: str | None, cursor: str | None, limit: int
) -> Page[MemberEnrollmentView]:
    """The paths the member is enrolled in now and `viewer` may read, with their progress,
    most recently enrolled first."""
    (before,) = after(cursor, int, first=NEWEST)
    rows = await conn.fetch(
        f"SELECT {_path_columns('$1::uuid')}, {_PROGRESS_COLUMNS}, e.position"
        f" {_FROM_PATHS} JOIN enrollments e ON e.path_id = p.id"
        " WHERE e.member_id = $2::uuid AND e.status = 'enrolled' AND e.position < $3"
        f" AND {progress_shared('e.member_id', '$1::uuid')}"
        f" AND {path_readable('$1::uuid')}"
        " ORDER BY e.position DESC LIMIT $4",
        viewer,
        member_id,
        before,
        limit + 1,
    )
    return page(
        rows,
        limit,
        lambda r: MemberEnrollmentView(**_progress(r, _POSITION + 1), path=_summary(r)),  # type: ignore[arg-type]
        lambda r: (r[_POSITION + 7],),
    )


async def learners_to_reconcile(conn: asyncpg.Connection, path_id: str) -> list[str]:
    """The members enrolled in the path who have not completed it (whoever they are: this is
    for the server's own bookkeeping, not for a reader)."""
    rows = await conn.fetch(
        "SELECT member_id::text FROM enrollments"
        " WHERE path_id = $1::uuid AND status = 'enrolled' AND path_completed_at IS NULL",
        path_id,
    )
    return [r[0] for r in rows]
