"""Follow requests from other servers to a community that approves its members: its
moderators list them, and approve (an `Accept` goes to the follower) or reject them (a
`Reject`) — docs/federation.md, Inbox."""

from __future__ import annotations

from server.api.communities import moderated
from server.api.routing import Api, Call, Written, written
from server.commands import remote_follows
from server.domain.errors import NotFound
from server.projections.remote_followers import RemoteFollowRequestView, list_requests

api = Api()


@api.route(
    "GET",
    "/api/v1/communities/{community}/remote_requests",
    tag="communities",
    response=list[RemoteFollowRequestView],
    scope="read",
    errors=(403, 404),
)
async def list_remote_requests(call: Call) -> list[RemoteFollowRequestView]:
    """Remote actors asking to follow the community, oldest first (moderators)."""
    view = await moderated(call)
    async with call.db() as conn:
        return await list_requests(conn, view.id)


async def _answer(call: Call, *, approve: bool) -> Written:
    view = await moderated(call)
    follow_key = call.request.match_info["request"]
    if len(follow_key) != 32 or not all(c in "0123456789abcdef" for c in follow_key):
        raise NotFound("no such follow request", "request")
    results = await remote_follows.answer(
        call.cx, call.actor, community_id=view.id, follow_key=follow_key, approve=approve
    )
    return written(results, follow_key)


@api.route(
    "POST",
    "/api/v1/communities/{community}/remote_requests/{request}/approve",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def approve_remote_request(call: Call) -> Written:
    """Approve a remote follow: the follower gets the community's posts from now on."""
    return await _answer(call, approve=True)


@api.route(
    "POST",
    "/api/v1/communities/{community}/remote_requests/{request}/reject",
    tag="communities",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def reject_remote_request(call: Call) -> Written:
    """Turn a remote follow down: a `Reject` goes to the follower."""
    return await _answer(call, approve=False)
