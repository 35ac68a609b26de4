"""Communities of practice: creation, membership, roles, moderation and the knowledge library.

`{community}` is a community's id or its slug. A members-only community is a 404 for anyone who
is not a member, an instance admin, or invited to it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from server.api.accounts import PageQuery
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import communities as community_commands
from server.commands.aggregates import COMMUNITIES
from server.commands.context import new_id
from server.domain import communities
from server.events.types.fields import Id, ShortText, Skills, Summary, Url
from server.projections import communities as communities_read
from server.projections.communities import (
    BanView,
    CommunityMemberView,
    CommunityView,
    JoinRequestView,
    ResourceView,
)
from server.projections.pagination import Page

api = Api()

SlugText = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Visibility = Literal["public", "members_only"]
JoinPolicy = Literal["open", "approval", "invite"]
Role = Literal["owner", "moderator", "member"]


class NewCommunity(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    slug: SlugText
    """Its address: a–z, 0–9 and inner hyphens; unique, case-insensitive."""
    name: ShortText
    description: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)
    """The topics it practises."""
    visibility: Visibility = "public"
    join_policy: JoinPolicy = "open"


class CommunityChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields sent change. Visibility and join policy are the owners' to change."""

    name: ShortText | None = None
    description: Summary | None = None
    skills: Skills | None = None
    visibility: Visibility | None = None
    join_policy: JoinPolicy | None = None


class JoinBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    message: Summary = ""
    """For a community that approves members: a word to its moderators."""


class Joined(Written, kw_only=True):
    membership: Literal["member", "requested"]
    """`member`: joined; `requested`: waiting for a moderator's approval."""


class MemberRef(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member_id: Id


class NewBan(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    member_id: Id
    reason: Summary = ""


class RoleBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    role: Role


class ReasonBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Summary = ""


class NewResource(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    url: Url
    title: ShortText
    note: Summary = ""
    skills: Skills = msgspec.field(default_factory=list)


class CommunitiesQuery(PageQuery, kw_only=True):
    mine: bool = False
    """Only the communities the reader belongs to."""


# -- helpers --------------------------------------------------------------------------------


async def visible_community(call: Call) -> CommunityView:
    """The community `{community}` names, as the reader may see it; 404 if they may not."""
    async with call.db() as conn:
        view = await communities_read.get_community(conn, call.param("community"), call.viewer)
    if view is None:
        raise field_problem(404, "Not Found", "community", "no such community")
    return view


async def _community_id(call: Call) -> str:
    """The id of the community a write is about, from the log (a community created a moment
    ago may not be in the read model yet). Visibility is the decider's to check."""
    community_id = await community_commands.community_id_for(call.cx, call.param("community"))
    if community_id is None:
        raise field_problem(404, "Not Found", "community", "no such community")
    return community_id


async def moderated(call: Call) -> CommunityView:
    """The community, for a list only its moderators, owners and instance admins may read."""
    view = await visible_community(call)
    if view.viewer_role not in ("moderator", "owner") and not call.actor.admin:
        raise field_problem(
            403, "Forbidden", "community", "only its moderators and owners can see this"
        )
    return view


async def _act(call: Call, command: communities.Command, member_id: str | None = None) -> Written:
    community_id = await _community_id(call)
    if member_id is None:
        results = await community_commands.act(call.cx, call.actor, community_id, command)
    else:
        results = await community_commands.act_on_member(
            call.cx, call.actor, community_id, command, member_id
        )
    return written(results, community_id)


# -- communities ----------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/communities",
    tag="communities",
    body=NewCommunity,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(409, 422),
)
async def create_community(call: Call) -> Written:
    """Create a community; you become its owner."""
    body: NewCommunity = call.body
    community_id, results = await community_commands.create(
        call.cx,
        call.actor,
        slug=body.slug,
        name=body.name,
        description=body.description,
        skills=body.skills,
        visibility=body.visibility,
        join_policy=body.join_policy,
    )
    return written(results, community_id)


@api.route(
    "GET",
    "/api/v1/communities",
    tag="communities",
    query=CommunitiesQuery,
    response=Page[CommunityView],
    auth="optional",
)
async def list_communities(call: Call) -> Page[CommunityView]:
    """Communities the reader may see, newest first (`?mine=true`: the reader's own)."""
    if call.query.mine and call.viewer is None:
        raise field_problem(401, "Unauthorized", "mine", "sign in to list your communities")
    async with call.db() as conn:
        return await communities_read.list_communities(
            conn, call.viewer, call.query.mine, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/communities/{community}",
    tag="communities",
    response=CommunityView,
    auth="optional",
    errors=(404,),
)
async def get_community(call: Call) -> CommunityView:
    """A community, by id or slug."""
    return await visible_community(call)


@api.route(
    "PATCH",
    "/api/v1/communities/{community}",
    tag="communities",
    body=CommunityChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def update_community(call: Call) -> Written:
    """Change a community's name, description and topics (moderators); its visibility and
    join policy (owners)."""
    body: CommunityChanges = call.body
    return await _act(
        call,
        communities.Update(
            actor=call.actor,
            name=body.name,
            description=body.description,
            skills=body.skills,
            visibility=body.visibility,
            join_policy=body.join_policy,
        ),
    )


# -- membership -----------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/communities/{community}/join",
    tag="communities",
    body=JoinBody,
    response=Joined,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def join_community(call: Call) -> Joined:
    """Join: at once if the community is open or you are invited; otherwise ask to join and
    wait for a moderator (`membership` says which)."""
    community_id = await _community_id(call)
    command = communities.RequestMembership(actor=call.actor, message=call.body.message)
    results = await community_commands.act(call.cx, call.actor, community_id, command)
    state = (await call.cx.repo.load(COMMUNITIES, community_id)).state
    done = written(results, community_id)
    membership = "member" if call.actor.member_id in state.members else "requested"
    return Joined(position=done.position, id=done.id, membership=membership)


@api.route(
    "POST",
    "/api/v1/communities/{community}/leave",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(404, 409),
)
async def leave_community(call: Call) -> Written:
    """Leave a community, or take back a pending request to join. Its last owner cannot
    leave."""
    return await _act(call, communities.Leave(actor=call.actor))


@api.route(
    "GET",
    "/api/v1/communities/{community}/members",
    tag="communities",
    query=PageQuery,
    response=Page[CommunityMemberView],
    auth="optional",
    errors=(404,),
)
async def list_community_members(call: Call) -> Page[CommunityMemberView]:
    """Members with their roles, in the order they joined."""
    view = await visible_community(call)
    async with call.db() as conn:
        return await communities_read.list_members(
            conn, view.id, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/communities/{community}/requests",
    tag="communities",
    query=PageQuery,
    response=Page[JoinRequestView],
    scope="read",
    errors=(403, 404),
)
async def list_join_requests(call: Call) -> Page[JoinRequestView]:
    """Pending requests to join, oldest first (moderators)."""
    view = await moderated(call)
    async with call.db() as conn:
        return await communities_read.list_requests(
            conn, view.id, call.query.cursor, call.query.limit
        )


@api.route(
    "POST",
    "/api/v1/communities/{community}/requests/{member_id}/approve",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def approve_join_request(call: Call) -> Written:
    """Approve a request to join (moderators)."""
    member_id = call.id_param("member_id")
    return await _act(call, communities.ApproveRequest(actor=call.actor, member_id=member_id))


@api.route(
    "POST",
    "/api/v1/communities/{community}/requests/{member_id}/reject",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def reject_join_request(call: Call) -> Written:
    """Turn down a request to join (moderators)."""
    member_id = call.id_param("member_id")
    return await _act(call, communities.RejectRequest(actor=call.actor, member_id=member_id))


@api.route(
    "POST",
    "/api/v1/communities/{community}/invitations",
    tag="communities",
    body=MemberRef,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def invite_member(call: Call) -> Written:
    """Invite a member (moderators): they can join whatever the join policy."""
    member_id = call.body.member_id
    command = communities.Invite(actor=call.actor, member_id=member_id)
    return await _act(call, command, member_id)


@api.route(
    "DELETE",
    "/api/v1/communities/{community}/invitations/{member_id}",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def revoke_invitation(call: Call) -> Written:
    """Take back an invitation the member has not used yet (moderators)."""
    member_id = call.id_param("member_id")
    return await _act(call, communities.RevokeInvitation(actor=call.actor, member_id=member_id))


@api.route(
    "PUT",
    "/api/v1/communities/{community}/members/{member_id}/role",
    tag="communities",
    body=RoleBody,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def change_member_role(call: Call) -> Written:
    """Make a member an owner, a moderator or a plain member (owners). A community always
    keeps at least one owner."""
    member_id = call.id_param("member_id")
    command = communities.ChangeRole(actor=call.actor, member_id=member_id, role=call.body.role)
    return await _act(call, command)


@api.route(
    "POST",
    "/api/v1/communities/{community}/members/{member_id}/remove",
    tag="communities",
    body=ReasonBody,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def remove_member(call: Call) -> Written:
    """Remove a member (moderators remove members; owners remove anyone but the last owner).
    They may join again; to keep them out, ban them."""
    member_id = call.id_param("member_id")
    command = communities.Remove(actor=call.actor, member_id=member_id, reason=call.body.reason)
    return await _act(call, command)


@api.route(
    "GET",
    "/api/v1/communities/{community}/bans",
    tag="communities",
    query=PageQuery,
    response=Page[BanView],
    scope="read",
    errors=(403, 404),
)
async def list_bans(call: Call) -> Page[BanView]:
    """Banned members, newest first (moderators)."""
    view = await moderated(call)
    async with call.db() as conn:
        return await communities_read.list_bans(conn, view.id, call.query.cursor, call.query.limit)


@api.route(
    "POST",
    "/api/v1/communities/{community}/bans",
    tag="communities",
    body=NewBan,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def ban_member(call: Call) -> Written:
    """Ban a member: they are removed and cannot join, post or enroll here again."""
    body: NewBan = call.body
    command = communities.Ban(actor=call.actor, member_id=body.member_id, reason=body.reason)
    return await _act(call, command, body.member_id)


@api.route(
    "DELETE",
    "/api/v1/communities/{community}/bans/{member_id}",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def unban_member(call: Call) -> Written:
    """Lift a ban (moderators). The member may then join again."""
    member_id = call.id_param("member_id")
    return await _act(call, communities.Unban(actor=call.actor, member_id=member_id))


# -- library --------------------------------------------------------------------------------


@api.route(
    "GET",
    "/api/v1/communities/{community}/library",
    tag="library",
    query=PageQuery,
    response=Page[ResourceView],
    auth="optional",
    errors=(404,),
)
async def list_library(call: Call) -> Page[ResourceView]:
    """The community's knowledge library, newest first."""
    view = await visible_community(call)
    async with call.db() as conn:
        return await communities_read.list_resources(
            conn, view.id, call.query.cursor, call.query.limit
        )


@api.route(
    "POST",
    "/api/v1/communities/{community}/library",
    tag="library",
    body=NewResource,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def add_resource(call: Call) -> Written:
    """Add a resource to the library (moderators); `id` is the new resource's."""
    body: NewResource = call.body
    resource_id = new_id()
    done = await _act(
        call,
        communities.AddResource(
            actor=call.actor,
            resource_id=resource_id,
            url=body.url,
            title=body.title,
            note=body.note,
            skills=body.skills,
        ),
    )
    return Written(position=done.position, id=resource_id)


@api.route(
    "DELETE",
    "/api/v1/communities/{community}/library/{resource_id}",
    tag="library",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def remove_resource(call: Call) -> Written:
    """Take a resource out of the library (moderators)."""
    resource_id = call.id_param("resource_id")
    return await _act(call, communities.RemoveResource(actor=call.actor, resource_id=resource_id))
