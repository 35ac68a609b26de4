"""Admins keep remote domains out of federation: list, block, unblock
(docs/federation.md, Domain blocks)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from server.api.keys import OPTIONS
from server.api.members import PageQuery, require_admin
from server.api.routing import Api, Call, Written, written
from server.commands import domain_blocks
from server.projections.domain_blocks import DomainBlockView, list_blocks
from server.projections.pagination import Page

api = Api()


class BlockRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    domain: Annotated[str, msgspec.Meta(min_length=1, max_length=253)]
    """A domain name (`spam.example`): it and every host under it are blocked."""
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""


@api.route(
    "GET",
    "/api/v1/admin/domain_blocks",
    tag="admin",
    query=PageQuery,
    response=Page[DomainBlockView],
    scope="admin",
    errors=(403,),
)
async def list_domain_blocks(call: Call) -> Page[DomainBlockView]:
    """The blocked domains, newest first."""
    require_admin(call)
    async with call.db() as conn:
        return await list_blocks(conn, call.query.cursor, call.query.limit)


@api.route(
    "POST",
    "/api/v1/admin/domain_blocks",
    tag="admin",
    body=BlockRequest,
    response=Written,
    status=201,
    scope="admin",
    limit="write",
    errors=(403, 422),
)
async def block_domain(call: Call) -> Written:
    """Block a domain: nothing is taken from it or any host under it, nothing sent to them.
    The answer's `id` is the name as kept (lower case, IDNA)."""
    require_admin(call)
    own_host = urlsplit(call.request.app[OPTIONS].base_url).netloc.lower()
    name, results = await domain_blocks.block(
        call.cx, call.actor, call.body.domain, reason=call.body.reason, own_host=own_host
    )
    return written(results, name)


@api.route(
    "DELETE",
    "/api/v1/admin/domain_blocks/{domain}",
    tag="admin",
    response=Written,
    scope="admin",
    limit="write",
    errors=(403, 422),
)
async def unblock_domain(call: Call) -> Written:
    """Lift a domain's block."""
    require_admin(call)
    domain = call.request.match_info["domain"]
    return written(await domain_blocks.unblock(call.cx, call.actor, domain), domain)
