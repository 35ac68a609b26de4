"""People and communities: registering, filling in a profile, founding a community, joining one
(openly, by request and approval, or by invitation), following others.

Each function is one command, built and appended as its handler in `server.commands` (or the API
route calling it) builds and appends it — same deciders, same streams, same expected versions,
the acting member as the actor — and plans what the person does next on the agenda.
"""

from __future__ import annotations

import random

from server.commands.aggregates import COMMUNITIES, MEMBERS
from server.domain import communities, members
from server.domain.common import Actor
from server.events import NO_STREAM, StreamAppend
from server.events.types.communities import MemberJoined, SlugClaimed
from server.events.types.members import HandleClaimed
from server.seed import names, writing
from server.seed.ledger import Append
from server.seed.network import Group, Network, Person

MEMBERS_ONLY_SHARE = 0.1
JOIN_POLICIES = (("open", 0.75), ("approval", 0.15), ("invite", 0.10))
"""For public communities; members-only ones take new members by invitation (outsiders cannot
see them to ask)."""
RETRIES = 3
"""Times a join or a follow that found nobody suitable is tried again later."""


def register(net: Network, password_hash: str) -> Append:
    """A new member (`accounts.register`): the member's stream and the handle's claim."""
    rng = net.rng
    member_id = net.new_id()
    first, last, display_name = writing.person(rng)
    handle = next(
        h
        for h in writing.handle_candidates(rng, first, last)
        if not net.ledger.exists(members.handle_stream(h))
    )
    loaded = net.ledger.load(MEMBERS, member_id)
    events = members.decide(
        loaded.state,
        members.Register(
            member_id=member_id,
            handle=handle,
            display_name=display_name,
            password_hash=password_hash,
            policy=members.RegistrationPolicy.OPEN,
            handle_taken=net.ledger.exists(members.handle_stream(handle)),
        ),
    )
    field = rng.choice(names.FIELDS)
    skills = rng.sample(field.skills, rng.randint(1, min(6, len(field.skills))))
    person = Person(member_id, handle, field, skills, Actor(member_id))
    append = net.commit(
        person,
        [
            StreamAppend(MEMBERS.stream(member_id), events, loaded.expected),
            StreamAppend(
                members.handle_stream(handle), [HandleClaimed(member_id=member_id)], NO_STREAM
            ),
        ],
    )
    net.add_person(person, activity=min(int(rng.paretovariate(1.2)), 30))
    _plan_first_months(net, person)
    return append  # type: ignore[return-value]  # a registration always writes


def _plan_first_months(net: Network, person: Person) -> None:
    """A newcomer fills in their profile, joins a first community and follows a few people at
    once; more communities and people follow over the months."""
    rng, agenda = net.rng, net.agenda
    agenda.later(rng.uniform(0, 0.05), lambda: update_profile(net, person))
    joins = 1 + int(7 * rng.random() ** 2.2)
    for n in range(joins):
        days = rng.uniform(0, 0.5) if n == 0 else rng.uniform(1, 60)
        agenda.later(days, lambda: join(net, person))
    follows = 5 + int(45 * rng.random() ** 3)
    for n in range(follows):
        days = rng.uniform(0, 1) if n < 3 else rng.uniform(1, 60)
        agenda.later(days, lambda: follow(net, person))


def update_profile(net: Network, person: Person) -> Append | None:
    """`members.update_profile`: headline, bio, skills and sometimes a link."""
    rng = net.rng
    loaded = net.ledger.load(MEMBERS, person.id)
    links = [f"https://example.org/~{person.handle}"] if rng.random() < 0.3 else None
    role = rng.choice(person.field.roles)
    events = members.decide(
        loaded.state,
        members.UpdateProfile(
            actor=person.actor,
            headline=writing.headline(role, person.skills),
            bio=writing.bio(rng, role, person.field, person.skills),
            skills=person.skills,
            links=links,
        ),
    )
    return net.commit(person, [StreamAppend(MEMBERS.stream(person.id), events, loaded.expected)])


def found_community(net: Network, popularity: float) -> tuple[Append, Group]:
    """`communities.create` by an active member: the community's stream and the slug's
    claim."""
    rng = net.rng
    founder = net.someone_active()
    field = rng.choice(names.FIELDS)
    topic, lead_skill = rng.choice(field.topics)
    name, slug = _free_name(net, topic)
    others = [skill for skill in field.skills if skill != lead_skill]
    skills = [lead_skill, *rng.sample(others, rng.randint(1, 4))]
    members_only = rng.random() < MEMBERS_ONLY_SHARE
    policy = "invite" if members_only else _draw(rng, JOIN_POLICIES)
    community_id = net.new_id()
    loaded = net.ledger.load(COMMUNITIES, community_id)
    events = communities.decide(
        loaded.state,
        communities.Create(
            actor=founder.actor,
            community_id=community_id,
            slug=slug,
            name=name,
            slug_taken=net.ledger.exists(communities.slug_stream(slug)),
            description=writing.community_description(rng, skills),
            skills=skills,
            visibility="members_only" if members_only else "public",
            join_policy=policy,
        ),
    )
    append = net.commit(
        founder,
        [
            StreamAppend(COMMUNITIES.stream(community_id), events, loaded.expected),
            StreamAppend(
                communities.slug_stream(slug), [SlugClaimed(community_id=community_id)], NO_STREAM
            ),
        ],
    )
    group = Group(community_id, founder, field, skills, [founder])
    founder.communities.append(group)
    net.add_group(group, popularity)
    return append, group  # type: ignore[return-value]  # a creation always writes


def _free_name(net: Network, topic: str) -> tuple[str, str]:
    """A community name whose slug nobody has claimed yet."""
    for _ in range(20):
        name = writing.community_name(net.rng, topic)
        slug = writing.slugify(name)
        if not net.ledger.exists(communities.slug_stream(slug)):
            return name, slug
    name = f"{topic} {net.rng.randrange(10**6)}"
    return name, writing.slugify(name)


def join(net: Network, person: Person, attempt: int = 1) -> Append | None:
    """`person` joins a community they are not in yet, popular ones (in their own field, most
    often) first: at once if it is open, else by asking or by being invited."""
    rng = net.rng
    for _ in range(5):
        group = net.popular_group(person.field.name if rng.random() < 0.7 else None)
        if group is not None and _outsider(net, group, person):
            break
    else:
        if attempt < RETRIES:
            net.agenda.later(rng.uniform(5, 30), lambda: join(net, person, attempt + 1))
        return None
    state = net.ledger.state(COMMUNITIES, group.id)
    if state.members_only or state.join_policy == "invite":
        return _invite(net, group, person)
    return request_membership(net, group, person)


def _outsider(net: Network, group: Group, person: Person) -> bool:
    """Not a member of `group`, and not waiting to become one."""
    state = net.ledger.state(COMMUNITIES, group.id)
    return not (
        person.id in state.members or person.id in state.requests or person.id in state.invitations
    )


def request_membership(net: Network, group: Group, person: Person) -> Append | None:
    """The API's join (`RequestMembership`): open communities let `person` in, approval ones
    record the request, which the owner decides on within a few days; an invited person
    joins."""
    rng = net.rng
    message = writing.join_message(rng, group.skills)
    append = _act(
        net, person, group, communities.RequestMembership(actor=person.actor, message=message)
    )
    if append is not None and not _joined(net, group, person):
        approve = rng.random() < 0.85
        net.agenda.later(rng.uniform(0.1, 4), lambda: _decide_request(net, group, person, approve))
    return append


def _invite(net: Network, group: Group, person: Person) -> Append | None:
    """The owner invites `person` (`act_on_member`); most accept within days."""
    rng = net.rng
    owner = group.owner
    append = _act(net, owner, group, communities.Invite(actor=owner.actor, member_id=person.id))
    if rng.random() < 0.9:
        net.agenda.later(rng.uniform(0.05, 3), lambda: request_membership(net, group, person))
    else:
        _look_elsewhere(net, person)
    return append


def _decide_request(net: Network, group: Group, person: Person, approve: bool) -> Append | None:
    owner = group.owner
    if approve:
        command = communities.ApproveRequest(actor=owner.actor, member_id=person.id)
    else:
        command = communities.RejectRequest(actor=owner.actor, member_id=person.id)
        _look_elsewhere(net, person)
    return _act(net, owner, group, command)


def _look_elsewhere(net: Network, person: Person) -> None:
    """Someone turned down (or who turned an invitation down) tries another community soon,
    if they have none yet: every member ends up in at least one."""

    def join_if_in_none() -> Append | None:
        return None if person.communities else join(net, person)

    net.agenda.later(net.rng.uniform(1, 10), join_if_in_none)


def _act(net: Network, actor: Person, group: Group, command: communities.Command) -> Append | None:
    """`communities.act`: decide on the community's state, append to its stream; then note who
    joined."""
    loaded = net.ledger.load(COMMUNITIES, group.id)
    events = communities.decide(loaded.state, command)
    append = net.commit(
        actor, [StreamAppend(COMMUNITIES.stream(group.id), events, loaded.expected)]
    )
    for event in events:
        if isinstance(event, MemberJoined):
            joiner = net.by_id[event.member_id]
            group.members.append(joiner)
            joiner.communities.append(group)
    return append


def _joined(net: Network, group: Group, person: Person) -> bool:
    return person.id in net.ledger.state(COMMUNITIES, group.id).members


def follow(net: Network, person: Person, attempt: int = 1) -> Append | None:
    """`members.follow`: someone well-followed (preferential attachment) `person` does not
    follow yet."""
    rng = net.rng
    following = net.ledger.state(MEMBERS, person.id).following
    for _ in range(8):
        target = rng.choice(net.followable)
        if target is not person and target.id not in following:
            break
    else:
        if attempt < RETRIES:
            net.agenda.later(rng.uniform(5, 30), lambda: follow(net, person, attempt + 1))
        return None
    loaded = net.ledger.load(MEMBERS, person.id)
    target_state = net.ledger.load(MEMBERS, target.id)
    events = members.decide(
        loaded.state,
        members.Follow(
            actor=person.actor, target=target_state.state if target_state.version else None
        ),
    )
    net.followable.append(target)
    return net.commit(person, [StreamAppend(MEMBERS.stream(person.id), events, loaded.expected)])


def _draw(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]
