"""Group commit's decisions, without a database: deciding a batch of appends together gives
each caller exactly what deciding the appends one at a time, in order, would have given."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from server.events import ANY, NO_STREAM, IdempotencyConflict, WrongExpectedVersion
from server.events.group_commit import Row, _Accepted, _Append, _decide_batch, _Known, _Replay


def rows(ids: list[uuid.UUID]) -> list[Row]:
    return [Row(i, "test.noted", 1, b"{}", None, None, None, True) for i in ids]


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, int], list[_Append]]:
    heads = {s: draw(st.integers(0, 3)) for s in "abc"}
    appends: list[_Append] = []
    for _ in range(draw(st.integers(1, 12))):
        reuse = draw(st.sampled_from(["fresh", "same", "part", "more"])) if appends else "fresh"
        fresh = [uuid.uuid4() for _ in range(draw(st.integers(1, 3)))]
        earlier = [r.id for r in draw(st.sampled_from(appends)).rows] if appends else []
        ids = {"fresh": fresh, "same": earlier, "part": earlier[:1], "more": earlier[:1] + fresh}
        stream = draw(st.sampled_from("abc"))
        expected = draw(st.sampled_from([ANY, NO_STREAM, 1, 2, 3, 4, 5, 6]))
        appends.append(_Append(stream, expected, rows(ids[reuse]), None))  # type: ignore[arg-type]
    return heads, appends


def normalise(append: _Append, outcome: object, known: dict[uuid.UUID, _Known]) -> tuple:
    if isinstance(outcome, _Accepted):
        return ("written", outcome.first_version)
    if isinstance(outcome, _Replay):
        return ("replayed", [known[r.id].stream_version for r in append.rows])
    if isinstance(outcome, WrongExpectedVersion):
        return ("conflict", outcome.actual)
    assert isinstance(outcome, IdempotencyConflict), outcome
    return ("ids reused", outcome.event_ids)


def one_at_a_time(heads: dict[str, int], appends: list[_Append]) -> list[tuple]:
    """Each append decided alone, then 'committed' before the next one is decided."""
    heads, stored, outcomes = dict(heads), {}, []
    for append in appends:
        decided = _decide_batch([append], heads, stored)
        [outcome] = decided.outcomes
        outcomes.append(normalise(append, outcome, decided.known))
        if isinstance(outcome, _Accepted):
            heads.update(decided.heads)
            for row in append.rows:
                stored[row.id] = (decided.known[row.id], 0)
    return outcomes


@settings(max_examples=500, deadline=None)
@given(batches())
def test_a_batch_decides_like_the_same_appends_one_by_one(case) -> None:
    heads, appends = case
    decided = _decide_batch(appends, heads, {})
    together = [
        normalise(a, o, decided.known) for a, o in zip(appends, decided.outcomes, strict=True)
    ]
    assert together == one_at_a_time(heads, appends)
    accepted = [
        a for a, o in zip(appends, decided.outcomes, strict=True) if isinstance(o, _Accepted)
    ]
    assert decided.columns[0] == [r.id for a in accepted for r in a.rows]
    assert len(set(decided.columns[0])) == len(decided.columns[0])
