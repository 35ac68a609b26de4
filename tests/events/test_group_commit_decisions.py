"""Group commit's decisions, without a database: deciding a batch of appends together gives
each caller exactly what deciding the appends one at a time, in order, would have given."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from server.events import ANY, NO_STREAM, IdempotencyConflict, WrongExpectedVersion
from server.events.group_commit import (
    Part,
    Row,
    _Accepted,
    _Append,
    _decide_batch,
    _Known,
    _Replay,
)


def rows(ids: list[uuid.UUID]) -> list[Row]:
    return [Row(i, "test.noted", 1, b"{}", None, None, None, True) for i in ids]


@st.composite
def parts(draw: st.DrawFn, earlier: list[uuid.UUID]) -> Part:
    reuse = draw(st.sampled_from(["fresh", "same", "part", "more"])) if earlier else "fresh"
    fresh = [uuid.uuid4() for _ in range(draw(st.integers(1, 3)))]
    taken = (
        draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=3, unique=True))
        if (earlier)
        else []
    )
    ids = {"fresh": fresh, "same": taken, "part": taken[:1], "more": taken[:1] + fresh}
    expected = draw(st.sampled_from([ANY, NO_STREAM, 1, 2, 3, 4, 5, 6]))
    return Part(draw(st.sampled_from("abc")), expected, rows(ids[reuse]))


@st.composite
def batches(draw: st.DrawFn) -> tuple[dict[str, int], list[_Append]]:
    heads = {s: draw(st.integers(0, 3)) for s in "abc"}
    appends: list[_Append] = []
    for _ in range(draw(st.integers(1, 10))):
        earlier = [r.id for a in appends for p in a.parts for r in p.rows]
        chosen: list[Part] = []
        for _ in range(draw(st.integers(1, 3))):
            part = draw(parts(earlier))
            used = {r.id for p in chosen for r in p.rows}
            if not used & {r.id for r in part.rows}:  # the store refuses an id twice
                chosen.append(part)
        appends.append(_Append(chosen, None))  # type: ignore[arg-type]
    return heads, appends


def normalise(append: _Append, outcome: object, known: dict[uuid.UUID, _Known]) -> tuple:
    if isinstance(outcome, _Accepted):
        return ("written", outcome.first_versions)
    if isinstance(outcome, _Replay):
        return ("replayed", [[known[r.id] for r in p.rows] for p in append.parts])
    if isinstance(outcome, WrongExpectedVersion):
        return ("conflict", outcome.stream_id, outcome.actual)
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
            for part in append.parts:
                for row in part.rows:
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
    assert decided.columns[0] == [r.id for a in accepted for p in a.parts for r in p.rows]
    assert len(set(decided.columns[0])) == len(decided.columns[0])
    # Versions written per stream are consecutive from where each stream started.
    for stream, start in heads.items():
        written = [
            v for s, v in zip(decided.columns[1], decided.columns[2], strict=True) if s == stream
        ]
        assert written == list(range(start + 1, start + 1 + len(written)))
