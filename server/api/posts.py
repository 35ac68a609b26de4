"""Posts: publishing on a profile or in a community, replies and threads, edits, deletion,
likes, and moderators' removal.

A post in a members-only community is a 404 for anyone who is not a member or an instance
admin; a suspended member's posts are a 404 for everyone. A deleted or removed post is served
as a tombstone (`status` says which, `body` and `html` are empty) so its thread keeps its shape.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from server.api.accounts import PageQuery
from server.api.communities import visible_community
from server.api.members import active_member
from server.api.routing import Api, Call, Written, field_problem, written
from server.commands import posts as post_commands
from server.events.types.fields import Id, LongText, Summary
from server.projections import posts as posts_read
from server.projections.pagination import Page
from server.projections.posts import LikeView, PostView

api = Api()

Format = Literal["markdown", "plain"]


class NewPost(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    body: LongText
    """As you write it: CommonMark (`markdown`) or `plain` text. Raw HTML shows as text."""
    format: Format = "markdown"
    community_id: Id | None = None
    """The community to post in; leave it out to post on your profile (or when replying: a
    reply is in its parent's community)."""
    in_reply_to: Id | None = None
    """The post this one replies to."""


class PostChanges(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    body: LongText
    format: Format | None = None
    """Left out: the post keeps its format."""


class RemovalBody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Summary
    """Why the post is taken down (kept in the log for the author and other moderators)."""


# -- helpers --------------------------------------------------------------------------------


async def _visible_post(call: Call) -> PostView:
    """The post `{post_id}` names, as the reader may see it; 404 if they may not."""
    post_id = call.id_param("post_id")
    async with call.db() as conn:
        view = await posts_read.get_post(conn, post_id, call.viewer)
    if view is None:
        raise field_problem(404, "Not Found", "post_id", "no such post")
    return view


# -- writing --------------------------------------------------------------------------------


@api.route(
    "POST",
    "/api/v1/posts",
    tag="posts",
    body=NewPost,
    response=Written,
    status=201,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def publish_post(call: Call) -> Written:
    """Publish a post on your profile or in a community you belong to, or reply to a post
    (`in_reply_to`); `id` is the new post's."""
    body: NewPost = call.body
    if body.in_reply_to is not None:
        if body.community_id is not None:
            raise field_problem(
                422,
                "Unprocessable Content",
                "community_id",
                "a reply is in its parent's community: leave community_id out",
            )
        post_id, results = await post_commands.reply(
            call.cx, call.actor, parent_id=body.in_reply_to, body=body.body, format=body.format
        )
    else:
        post_id, results = await post_commands.publish(
            call.cx, call.actor, body=body.body, format=body.format, community_id=body.community_id
        )
    return written(results, post_id)


@api.route(
    "PATCH",
    "/api/v1/posts/{post_id}",
    tag="posts",
    body=PostChanges,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 409, 422),
)
async def edit_post(call: Call) -> Written:
    """Rewrite your post (409 once it is deleted or removed)."""
    post_id = call.id_param("post_id")
    body: PostChanges = call.body
    results = await post_commands.edit(
        call.cx, call.actor, post_id, body=body.body, format=body.format
    )
    return written(results, post_id)


@api.route(
    "DELETE",
    "/api/v1/posts/{post_id}",
    tag="posts",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404),
)
async def delete_post(call: Call) -> Written:
    """Delete your post: a tombstone stays in its thread, its replies stay."""
    post_id = call.id_param("post_id")
    return written(await post_commands.delete(call.cx, call.actor, post_id), post_id)


@api.route(
    "POST",
    "/api/v1/posts/{post_id}/like",
    tag="posts",
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def like_post(call: Call) -> Written:
    """Like someone else's post (liking twice changes nothing)."""
    post_id = call.id_param("post_id")
    return written(await post_commands.like(call.cx, call.actor, post_id), post_id)


@api.route(
    "POST",
    "/api/v1/posts/{post_id}/unlike",
    tag="posts",
    response=Written,
    scope="write",
    limit="write",
    errors=(404,),
)
async def unlike_post(call: Call) -> Written:
    """Take back your like (changes nothing if you had not liked it)."""
    post_id = call.id_param("post_id")
    return written(await post_commands.unlike(call.cx, call.actor, post_id), post_id)


@api.route(
    "POST",
    "/api/v1/posts/{post_id}/remove",
    tag="posts",
    body=RemovalBody,
    response=Written,
    scope="write",
    limit="write",
    errors=(403, 404, 422),
)
async def remove_post(call: Call) -> Written:
    """Take a post down (moderators and owners of its community; instance admins): a
    tombstone stays in its thread."""
    post_id = call.id_param("post_id")
    results = await post_commands.remove(call.cx, call.actor, post_id, reason=call.body.reason)
    return written(results, post_id)


# -- reading --------------------------------------------------------------------------------


@api.route(
    "GET",
    "/api/v1/posts/{post_id}",
    tag="posts",
    response=PostView,
    auth="optional",
    errors=(404,),
)
async def get_post(call: Call) -> PostView:
    """A post, or its tombstone."""
    return await _visible_post(call)


@api.route(
    "GET",
    "/api/v1/posts/{post_id}/thread",
    tag="posts",
    query=PageQuery,
    response=Page[PostView],
    auth="optional",
    errors=(404,),
)
async def get_thread(call: Call) -> Page[PostView]:
    """The whole thread the post is in, oldest first, tombstones included."""
    post = await _visible_post(call)
    async with call.db() as conn:
        return await posts_read.list_thread(
            conn, post.thread_id, call.viewer, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/posts/{post_id}/likes",
    tag="posts",
    query=PageQuery,
    response=Page[LikeView],
    auth="optional",
    errors=(404,),
)
async def list_post_likes(call: Call) -> Page[LikeView]:
    """Which members liked the post, newest first. Likes from other servers count in the
    post's `likes_count` but are not listed here."""
    post = await _visible_post(call)
    async with call.db() as conn:
        return await posts_read.list_likes(
            conn, post.id, call.viewer, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/communities/{community}/posts",
    tag="posts",
    query=PageQuery,
    response=Page[PostView],
    auth="optional",
    errors=(404,),
)
async def list_community_posts(call: Call) -> Page[PostView]:
    """The first posts of the community's threads, newest first."""
    community = await visible_community(call)
    async with call.db() as conn:
        return await posts_read.list_community_posts(
            conn, community.id, call.viewer, call.query.cursor, call.query.limit
        )


@api.route(
    "GET",
    "/api/v1/members/{member}/posts",
    tag="posts",
    query=PageQuery,
    response=Page[PostView],
    auth="optional",
    errors=(404,),
)
async def list_member_posts(call: Call) -> Page[PostView]:
    """A member's posts and replies, newest first: on their profile and in the communities
    you may see."""
    member = await active_member(call)
    async with call.db() as conn:
        return await posts_read.list_member_posts(
            conn, member.id, call.viewer, call.query.cursor, call.query.limit
        )
