"""A member's profile as a reader sees it, put together from the read models in one snapshot:
skills with who endorsed them, communities, paths in progress and completed, recent artefacts.

Everything follows the visibility rules: a members-only community, and the paths and artefacts
in it, appear only for its members (and admins); endorsements by suspended members do not
count. Lists are short (the newest first); each has a paginated endpoint of its own.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from server.projections.members import MEMBER_COLUMNS, MemberView, member_view
from server.projections.paths import path_readable
from server.projections.visibility import author_active, community_visible, progress_shared

ENDORSERS_SHOWN = 5
"""Endorsers listed per skill (the most recent); `endorsements` counts them all."""
LISTED = 10
"""Communities, paths and artefacts listed on a profile, newest first."""


class SkillView(msgspec.Struct, kw_only=True):
    skill: str
    declared: bool
    """The member lists it among their skills (others are skills they were endorsed for)."""
    endorsements: int
    endorsers: list[MemberView]
    """The most recent endorsers, at most ENDORSERS_SHOWN."""


class MembershipView(msgspec.Struct, kw_only=True):
    community_id: str
    slug: str
    name: str
    role: str
    since: datetime


class PathProgressView(msgspec.Struct, kw_only=True):
    path_id: str
    title: str
    community_id: str
    completed: int
    total: int
    percent: int
    """As docs/paths.md counts progress: over the path's current steps."""
    completed_at: datetime | None
    """When they completed the path; null while in progress."""


class ArtefactBriefView(msgspec.Struct, kw_only=True):
    id: str
    title: str
    skills: list[str]
    revised_at: datetime


class ProfileView(msgspec.Struct, kw_only=True):
    member: MemberView
    skills: list[SkillView]
    """Most endorsed first, then in the order the member lists them."""
    communities: list[MembershipView]
    learning: list[PathProgressView]
    """Paths they are enrolled in and have not completed."""
    completed_paths: list[PathProgressView]
    artefacts_count: int
    recent_artefacts: list[ArtefactBriefView]


_SKILLS = f"""
WITH received AS (
    SELECT e.skill, e.endorser_id, e.position FROM endorsements e
     WHERE e.kind = 'member' AND e.target_id = $1::uuid AND {author_active("e.endorser_id")}),
declared AS (
    SELECT skill, n FROM members m, unnest(m.skills) WITH ORDINALITY AS d(skill, n)
     WHERE m.id = $1::uuid),
named AS (SELECT skill FROM declared UNION SELECT skill FROM received)
SELECT s.skill, d.n IS NOT NULL,
       (SELECT count(*) FROM received r WHERE r.skill = s.skill)::int AS endorsements,
       ARRAY(SELECT r.endorser_id::text FROM received r WHERE r.skill = s.skill
              ORDER BY r.position DESC LIMIT {ENDORSERS_SHOWN})
  FROM named s LEFT JOIN declared d USING (skill)
 ORDER BY endorsements DESC, d.n NULLS LAST, s.skill
"""

_COMMUNITIES = f"""
SELECT c.id::text, c.slug, c.name, cm.role, cm.since
  FROM community_members cm JOIN communities c ON c.id = cm.community_id
 WHERE cm.member_id = $2::uuid AND {community_visible("c.id", "$1::uuid")}
 ORDER BY cm.position DESC LIMIT {LISTED}
"""

# In progress ($3 = false) or completed ($3 = true).
_PATHS = f"""
SELECT p.id::text, p.title, p.community_id::text,
       (SELECT count(*)::int FROM enrollment_steps c JOIN path_steps s
            ON s.path_id = c.path_id AND s.step_id = c.step_id
         WHERE c.path_id = e.path_id AND c.member_id = e.member_id),
       (SELECT count(*)::int FROM path_steps s WHERE s.path_id = p.id),
       e.path_completed_at
  FROM enrollments e JOIN paths p ON p.id = e.path_id
 WHERE e.member_id = $2::uuid AND {path_readable("$1::uuid")}
   AND {progress_shared("e.member_id", "$1::uuid")}
   AND CASE WHEN $3 THEN e.path_completed_at IS NOT NULL
            ELSE e.path_completed_at IS NULL AND e.status = 'enrolled' END
 ORDER BY coalesce(e.path_completed_at, e.enrolled_at) DESC, e.position DESC LIMIT {LISTED}
"""

_ARTEFACTS_SEEN = f"a.author_id = $2::uuid AND {community_visible('a.community_id', '$1::uuid')}"


async def get_profile(
    conn: asyncpg.Connection, member: MemberView, viewer: str | None
) -> ProfileView:
    """`member`'s profile as `viewer` (None: anonymous) may see it, in `conn`'s snapshot: read
    it in a repeatable-read transaction."""
    skills = await conn.fetch(_SKILLS, member.id)
    endorser_ids = sorted({e for s in skills for e in s[3]})
    endorsers = {
        r[0]: member_view(r)
        for r in await conn.fetch(
            f"SELECT {MEMBER_COLUMNS} FROM members m WHERE m.id = ANY($1::uuid[])",
            endorser_ids,
        )
    }
    communities = await conn.fetch(_COMMUNITIES, viewer, member.id)
    learning = await conn.fetch(_PATHS, viewer, member.id, False)
    completed = await conn.fetch(_PATHS, viewer, member.id, True)
    artefacts_count = await conn.fetchval(
        f"SELECT count(*)::int FROM artefacts a WHERE {_ARTEFACTS_SEEN}", viewer, member.id
    )
    artefacts = await conn.fetch(
        "SELECT a.id::text, a.title, a.skills, a.revised_at FROM artefacts a"
        f" WHERE {_ARTEFACTS_SEEN} ORDER BY a.position DESC LIMIT {LISTED}",
        viewer,
        member.id,
    )
    return ProfileView(
        member=member,
        skills=[
            SkillView(
                skill=s[0],
                declared=s[1],
                endorsements=s[2],
                endorsers=[endorsers[e] for e in s[3]],
            )
            for s in skills
        ],
        communities=[
            MembershipView(community_id=c[0], slug=c[1], name=c[2], role=c[3], since=c[4])
            for c in communities
        ],
        learning=[_progress(r) for r in learning],
        completed_paths=[_progress(r) for r in completed],
        artefacts_count=artefacts_count,
        recent_artefacts=[
            ArtefactBriefView(id=a[0], title=a[1], skills=list(a[2]), revised_at=a[3])
            for a in artefacts
        ],
    )


def _progress(r: asyncpg.Record) -> PathProgressView:
    done, total = r[3], r[4]
    return PathProgressView(
        path_id=r[0],
        title=r[1],
        community_id=r[2],
        completed=done,
        total=total,
        percent=done * 100 // total if total else 0,
        completed_at=r[5],
    )
