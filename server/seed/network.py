"""What the generator knows about the network it is growing, beyond the aggregates' own states
(those are in the `Ledger`): who exists, how active each person is, who belongs where, what was
posted lately, and the agenda of things people will do later.

Bookkeeping only: the decisions are the domain's (`social`, `content` and `learning` call the
deciders). Every random draw comes from the one seeded `random.Random`, and nothing is sampled
from a set (whose order changes between runs), so a seed always grows the same network.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from server.commands.aggregates import COMMUNITIES
from server.domain import communities
from server.domain.common import Actor, CommunityAccess
from server.events import StreamAppend
from server.seed.ledger import Append, Ledger
from server.seed.names import Field

RECENT_POSTS = 30
"""Posts per community that replies and likes go to: people react to what is new."""

Action = Callable[[], Append | None]
"""Something someone does: one command, or nothing if it no longer makes sense."""


@dataclass(eq=False)
class Person:
    """A seeded member as the generator plans for them."""

    id: str
    handle: str
    field: Field
    skills: list[str]
    """What they will list on their profile (once they have filled it in)."""
    actor: Actor
    communities: list[Group] = field(default_factory=list)
    artefacts: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Group:
    """A seeded community as the generator plans for it."""

    id: str
    owner: Person
    field: Field
    skills: list[str]
    members: list[Person]
    recent_posts: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_POSTS))
    paths: list[str] = field(default_factory=list)
    """Its published paths."""


STORY_DAYS = 365
"""Plans are made in the days of a year-long story, whatever `--days` stretches it to: a seed
of a month has the same shape as one of a year, only faster."""


class Agenda:
    """Actions due at a point of the log (a count of events written), earliest first. Days
    are turned into events at the log's average rate, so a plan made in days keeps its shape
    whatever the size of the seed."""

    def __init__(self, events: int) -> None:
        self.now = 0
        self._events_per_day = events / STORY_DAYS
        self._due: list[tuple[int, int, Action]] = []
        self._order = itertools.count()  # ties run in the order they were planned

    def later(self, days: float, action: Action) -> None:
        due = self.now + int(days * self._events_per_day)
        heapq.heappush(self._due, (due, next(self._order), action))

    def pop_due(self) -> Action | None:
        if self._due and self._due[0][0] <= self.now:
            return heapq.heappop(self._due)[2]
        return None


class Network:
    def __init__(self, rng: random.Random, ledger: Ledger, agenda: Agenda) -> None:
        self.rng = rng
        self.ledger = ledger
        self.agenda = agenda
        self.people: list[Person] = []
        self.by_id: dict[str, Person] = {}
        self.active: list[Person] = []
        """Each person once per unit of their activity: a uniform draw from it favours the
        few very active members, as in any online community."""
        self.followable: list[Person] = []
        """Each person once, plus once per follower: drawing from it is preferential
        attachment (the well-followed gain followers fastest)."""
        self.groups: list[Group] = []
        self._popularity: dict[str | None, tuple[list[Group], list[float]]] = {None: ([], [])}
        """Communities (all under None, and per field name) with cumulative popularity weights."""
        self.profile_posts: deque[str] = deque(maxlen=RECENT_POSTS * 4)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def commit(self, actor: Person | None, appends: list[StreamAppend]) -> Append | None:
        return self.ledger.commit(actor.id if actor else None, appends)

    def access(self, group: Group, person: Person) -> CommunityAccess:
        """`person`'s access to `group`, as `server.commands.communities.access_for` gives it."""
        return communities.access(self.ledger.state(COMMUNITIES, group.id), person.id)

    def add_person(self, person: Person, activity: int) -> None:
        self.people.append(person)
        self.by_id[person.id] = person
        self.active.extend([person] * activity)
        self.followable.append(person)

    def add_group(self, group: Group, popularity: float) -> None:
        self.groups.append(group)
        for key in (None, group.field.name):
            groups, weights = self._popularity.setdefault(key, ([], []))
            groups.append(group)
            weights.append((weights[-1] if weights else 0.0) + popularity)

    def popular_group(self, field_name: str | None) -> Group | None:
        """A community drawn by popularity (Zipf-like), of `field_name` (None: any field)."""
        groups, weights = self._popularity.get(field_name, ([], []))
        if not groups:
            return None
        return self.rng.choices(groups, cum_weights=weights)[0]

    def someone_active(self) -> Person:
        return self.rng.choice(self.active)
