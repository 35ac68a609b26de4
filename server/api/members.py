"""Members: profiles, follows, and the admins' approval and suspension."""

from __future__ import annotations

from typing import Literal

import msgspec
from aiohttp import web

from server.api.accounts import PageQuery
from server.api.keys import PROFILES
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import accounts, members
from server.domain.common import is_id
from server.events.types.fields import Summary
from server.projections import journey as journey_read
from server.projections import members as members_read
from server.projections.journey import MilestoneView
from server.projections.members import FollowView, MemberAdminView, MemberView
from server.projections.pagination import Page
from server.projections.profile import ProfileView

api = Api()


async def active_member(call: Call) -> MemberView:
    """The member `{member}` names (id or handle); 404 unless they are active."""
    key = call.param("member")
    if "\x00" in key:  # no handle has one, and PostgreSQL text cannot hold it
        raise field_problem(404, "Not Found", "member", "no such member")
    async with call.db() as conn:
        view = await members_read.get_member(conn, key)
    if view is None:
        raise field_problem(404, "Not Found", "member", "no such member")
    return view


async def _target(call: Call) -> str:
    """The id of the member a write is about, from the log (not the read models, which may not
    have seen a member who registered a moment ago)."""
    key = call.param("member")
    if is_id(key):
        member = await accounts.load_member(call.cx, key)
    else:
        member = await accounts.member_by_handle(call.cx, key)
    if member is None or not member.active:
        raise field_problem(404, "Not Found", "member", "no such member")
    return member.id


@api.route(
    "GET",
    "/api/v1/members/{member}",
    tag="members",
    response=MemberView,
    auth="optional",
    errors=(404,),
)
async def get_member(call: Call) -> MemberView:
    """A member's profile, by id or handle."""
    return await active_member(call)


@api.route(
    "GET",
    "/api/v1/members/{member}/followers",
    tag="members",
    query=PageQuery,
    response=Page[FollowView],
    auth="optional",
    errors=(404,),
)
async def list_followers(call: Call) -> Page[FollowView]:
    """Who follows the member, newest first."""
    member = await active_member(call)
    async with call.db() as conn:
        return await members_read.list_follows(
            conn, member.id, "followers", call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/members/{member}/following",
    tag="members",
    query=PageQuery,
    response=Page[FollowView],
    auth="optional",
    errors=(404,),
)
async def list_following(call: Call) -> Page[FollowView]:
    """Whom the member follows, newest first."""
    member = await active_member(call)
    async with call.db() as conn:
        return await members_read.list_follows(
            conn, member.id, "following", call.query.cursor, call.query.limit
        )


@api.route(
    "POST",
    "/api/v1/members/{member}/follow",
    tag="members",
    response=Written,
    scope="follow",
    limit="write",
    errors=(404, 422),
)
async def follow(call: Call) -> Written:
    """Follow a member."""
    member_id = await _target(call)
    return written(await members.follow(call.cx, call.actor, member_id), member_id)


@api.route(
    "POST",
    "/api/v1/members/{member}/unfollow",
    tag="members",
    response=Written,
    scope="follow",
    limit="write",
    errors=(404,),
)
async def unfollow(call: Call) -> Written:
    """Stop following a member."""
    member_id = await _target(call)
    return written(await members.unfollow(call.cx, call.actor, member_id), member_id)


# -- admin ----------------------------------------------------------------------------------


class AdminMembersQuery(PageQuery, kw_only=True):
    status: Literal["pending", "active", "rejected", "suspended"] | None = None


@api.route(
    "GET",
    "/api/v1/admin/members",
    tag="admin",
    query=AdminMembersQuery,
    response=Page[MemberAdminView],
    scope="admin",
    errors=(403,),
)
async def admin_list_members(call: Call) -> Page[MemberAdminView]:
    """All members with their status (e.g. `?status=pending` for the approval queue)."""
    require_admin(call)
    async with call.db() as conn:
        return await members_read.list_members_for_admin(
            conn, call.query.status, call.query.cursor, call.query.limit
        )


def require_admin(call: Call) -> None:
    if not call.actor.admin:
        raise field_problem(403, "Forbidden", "token", "only admins can do this")


class SuspendRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Summary = ""


ACTIONS = {
    "approve": (members.approve, "Approve a pending registration."),
    "reject": (members.reject, "Reject a pending registration."),
    "unsuspend": (members.unsuspend, "Lift a suspension."),
}


def _admin_action(action: str) -> None:
    command, summary = ACTIONS[action]

    async def handler(call: Call) -> Written:
        require_admin(call)
        member_id = call.id_param("member_id")
        return written(await command(call.cx, call.actor, member_id), member_id)

    handler.__name__ = f"admin_{action}_member"
    api.route(
        "POST",
        f"/api/v1/admin/members/{{member_id}}/{action}",
        tag="admin",
        summary=summary,
        response=Written,
        scope="admin",
        limit="write",
        errors=(403, 404, 409),
    )(handler)


for _action in ACTIONS:
    _admin_action(_action)


@api.route(
    "POST",
    "/api/v1/admin/members/{member_id}/suspend",
    tag="admin",
    body=SuspendRequest,
    response=Written,
    scope="admin",
    limit="write",
    errors=(403, 404, 422),
)
async def admin_suspend_member(call: Call) -> Written:
    """Suspend a member: they cannot act, and their content is no longer served."""
    require_admin(call)
    member_id = call.id_param("member_id")
    return written(
        await members.suspend(call.cx, call.actor, member_id, call.body.reason), member_id
    )


class JourneyQuery(PageQuery, kw_only=True):
    order: Literal["oldest", "newest"] = "oldest"
    """`oldest` first (how they got here, from the start) or `newest` first."""


@api.route(
    "GET",
    "/api/v1/members/{member}/journey",
    tag="members",
    query=JourneyQuery,
    response=Page[MilestoneView],
    auth="optional",
    errors=(404,),
)
async def get_journey(call: Call) -> Page[MilestoneView]:
    """A member's learning journey: their milestones in time order — joined Learnwork, founded
    or joined a community, completed a path, published an artefact, was endorsed for a skill.
    Only milestones about what you may read are listed (a members-only community's stay with
    its members)."""
    member = await active_member(call)
    query: JourneyQuery = call.query
    async with call.db() as conn:
        return await journey_read.list_journey(
            conn, member.id, call.viewer, query.order == "newest", query.cursor, query.limit
        )


@api.route(
    "GET",
    "/api/v1/members/{member}/profile",
    tag="members",
    response=ProfileView,
    auth="optional",
    errors=(404,),
)
async def get_profile(call: Call) -> ProfileView:
    """A member's profile in one answer: skills with how many endorsed each and who most
    recently did, communities, paths in progress (with percent) and completed, and recent
    artefacts — as far as you may see them. The lists are short; each has its own paginated
    endpoint."""
    key = call.param("member")
    body = None
    if "\x00" not in key:  # no handle has one, and PostgreSQL text cannot hold it
        body = await call.request.app[PROFILES].profile(key, call.viewer, call.min_position)
    if body is None:
        raise field_problem(404, "Not Found", "member", "no such member")
    return web.Response(body=body, content_type="application/json")
