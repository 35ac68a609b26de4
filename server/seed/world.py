"""The seeded network's history, one command at a time: the pure generator behind
`learnwork seed`, testable without a database.

`World.appends()` yields every command's appends in log order, each event with its time, until
the requested number of events is reached (the last append may pass it by up to
`LARGEST_APPEND - 1`). What happens next is chosen in this order:

1. **Growth.** Members register and communities are founded on a schedule: a few founders at
   once, then more and more newcomers until 60% (members) and 50% (communities) of the log.
   Should the events left be only just enough, they come first, so both counts are exact.
2. **The agenda.** Things planned for later fall due: a newcomer's profile, joins and follows;
   approvals and accepted invitations; paths written and published; the next step of a
   learner; an artefact's revision.
3. **Everyday activity**, drawn by weight: posts, replies, likes, artefacts, enrollments,
   endorsements — by members drawn by how active they are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from server.seed import content, learning, social
from server.seed.ledger import Append, Ledger
from server.seed.network import Agenda, Network
from server.seed.timeline import Timeline

LARGEST_APPEND = 3
"""Events in the largest command the seed issues (a registration: member, password, handle)."""
REGISTRATION_EVENTS = 3
FOUNDING_EVENTS = 2
MEMBERS_BY = 0.6
COMMUNITIES_BY = 0.5
FOUNDERS = 0.03
"""Share of the members (and of the communities) that exist from the first day."""
MOST_PATHS = 5

EVERYDAY: tuple[tuple[Callable[[Network], Append | None], float], ...] = (
    (content.post, 36),
    (content.reply, 15),
    (content.like, 30),
    (content.create_artefact, 4),
    (learning.enroll, 5),
    (content.endorse, 4),
)
"""Everyday activity and how often each happens, relative to the others. Replies are ~30% of
posts; enrollments bring their step completions along through the agenda."""


@dataclass(frozen=True)
class Plan:
    members: int
    communities: int
    events: int
    days: float
    end: datetime
    random_seed: int
    password_hash: str
    """Every seeded member's password (a demo network: one password for all)."""

    @property
    def least_events(self) -> int:
        """Fewer events cannot register every member and found every community."""
        return REGISTRATION_EVENTS * self.members + FOUNDING_EVENTS * self.communities + 1


class World:
    def __init__(self, plan: Plan) -> None:
        if plan.members < 1 or plan.communities < 0 or plan.events < plan.least_events:
            raise ValueError(f"a world needs a member and at least {plan.least_events} events")
        self.plan = plan
        self.written = 0
        self.rng = random.Random(plan.random_seed)
        self.net = Network(self.rng, Ledger(), Agenda(plan.events))
        self.timeline = Timeline(plan.end, plan.days, plan.events + LARGEST_APPEND)
        self._member_due = _growth(plan.members, plan.events * MEMBERS_BY)
        self._community_due = _growth(plan.communities, plan.events * COMMUNITIES_BY)
        ranks = list(range(1, plan.communities + 1))
        self.rng.shuffle(ranks)
        self._popularity = [1.0 / rank for rank in ranks]  # Zipf: the n-th most popular, 1/n
        self._everyday = [action for action, _ in EVERYDAY]
        self._everyday_weights = [weight for _, weight in EVERYDAY]

    def appends(self) -> Iterator[Append]:
        while self.written < self.plan.events:
            append = self._next()
            if append is None:
                continue
            append.recorded_at = [self.timeline.next() for _ in range(append.size)]
            self.written += append.size
            self.net.agenda.now = self.written
            yield append

    def _next(self) -> Append | None:
        registered, founded = len(self.net.people), len(self.net.groups)
        rushed = self.plan.events - self.written <= self._growth_left() + LARGEST_APPEND
        if registered < self.plan.members and (
            rushed or self._member_due[registered] <= self.written
        ):
            return social.register(self.net, self.plan.password_hash)
        if founded < self.plan.communities and (
            rushed or self._community_due[founded] <= self.written
        ):
            return self._found()
        action = self.net.agenda.pop_due()
        if action is not None:
            return action()
        return self.rng.choices(self._everyday, weights=self._everyday_weights)[0](self.net)

    def _growth_left(self) -> int:
        return REGISTRATION_EVENTS * (self.plan.members - len(self.net.people)) + (
            FOUNDING_EVENTS * (self.plan.communities - len(self.net.groups))
        )

    def _found(self) -> Append:
        number = len(self.net.groups)
        append, group = social.found_community(self.net, self._popularity[number])
        paths = self.rng.randint(0, MOST_PATHS)
        # The first community always gets paths: even a small seed has learners to show.
        learning.plan_paths(self.net, group, max(paths, 2) if number == 0 else paths)
        return append


def _growth(count: int, by: float) -> list[int]:
    """When (in events written) each of `count` newcomers arrives: the founders at once, then
    ever more often until `by` — accelerating growth, as networks that catch on have."""
    founders = min(count, max(1, round(count * FOUNDERS)))
    rest = count - founders
    return [0] * founders + [int(by * ((n + 1) / rest) ** 0.8) for n in range(rest)]
