"""`GET /api/v1/paths/{path_id}/insight`: how a path's learners fare (see
server/projections/path_insight.py for what each figure counts)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.api.routing import Api, Call, field_problem
from server.projections import path_insight
from server.projections.path_insight import PathInsightView

api = Api()


class InsightQuery(msgspec.Struct, kw_only=True):
    active_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 30
    """A learner who enrolled or completed a step within this many days is active; one who
    has not, and has not completed the path, counts as stopped. 0 counts every learner who has
    not completed the path as stopped."""


@api.route(
    "GET",
    "/api/v1/paths/{path_id}/insight",
    tag="paths",
    query=InsightQuery,
    response=PathInsightView,
    auth="optional",
    errors=(404,),
)
async def get_insight(call: Call) -> PathInsightView:
    """How the path's learners fare: how many enrolled, are learning, active, completed or
    left; the completion rate; the median time from first enrolling to completing; and per
    step, in the path's order, how many completed it and how many stopped just before it.
    Anyone who may read the path may read its insight, as they may its learners' progress."""
    path_id = call.id_param("path_id")
    async with call.db() as conn:
        view = await path_insight.get_insight(conn, path_id, call.viewer, call.query.active_days)
    if view is None:
        raise field_problem(404, "Not Found", "path_id", "no such path")
    return view
