"""What members write and how they react: posts in their communities and on their profiles,
replies to recent posts, likes, artefacts (revised now and then) and endorsements of
co-members' skills.

Each function is one command, built and appended as `server.commands.posts`, `.artefacts` and
`.endorsements` build and append it. Those drawn as everyday activity return None when the
member drawn has nothing suitable to act on; the world then draws again.
"""

from __future__ import annotations

from server.commands.aggregates import ARTEFACTS, ENDORSEMENTS, MEMBERS, POSTS
from server.domain import artefacts, endorsements, posts
from server.events import StreamAppend
from server.seed import writing
from server.seed.ledger import Append
from server.seed.network import Group, Network, Person

IN_COMMUNITY = 0.8
"""Share of posts and artefacts made in a community rather than on the author's profile."""
REVISIONS = ((0, 50), (1, 25), (2, 15), (3, 10))
"""How many times an artefact is revised, and how often."""


def post(net: Network) -> Append:
    """`posts.publish`: an active member posts in one of their communities, or on their
    profile."""
    rng = net.rng
    author = net.someone_active()
    group = _a_community_of(net, author)
    skills = group.skills if group else author.skills
    body, fmt = writing.post_body(rng, skills)
    post_id = net.new_id()
    loaded = net.ledger.load(POSTS, post_id)
    access = net.access(group, author) if group else None
    events = posts.decide(
        loaded.state, posts.Publish(actor=author.actor, body=body, format=fmt, community=access)
    )
    append = net.commit(author, [StreamAppend(POSTS.stream(post_id), events, loaded.expected)])
    (group.recent_posts if group else net.profile_posts).append(post_id)
    return append  # type: ignore[return-value]  # a post always writes


def reply(net: Network) -> Append | None:
    """`posts.reply`: an active member answers a recent post in one of their communities."""
    rng = net.rng
    author = net.someone_active()
    group = _a_community_of(net, author, always=True)
    if group is None or not group.recent_posts:
        return None
    parent = net.ledger.load(POSTS, rng.choice(group.recent_posts))
    post_id = net.new_id()
    loaded = net.ledger.load(POSTS, post_id)
    command = posts.Reply(
        actor=author.actor,
        body=writing.reply_body(rng, group.skills),
        format="markdown",
        parent=parent.state if parent.version else None,
        community=net.access(group, author),
    )
    events = posts.decide(loaded.state, command)
    append = net.commit(author, [StreamAppend(POSTS.stream(post_id), events, loaded.expected)])
    group.recent_posts.append(post_id)
    return append


def like(net: Network) -> Append | None:
    """`posts.like`: an active member likes someone else's recent post, in one of their
    communities or on a profile."""
    rng = net.rng
    liker = net.someone_active()
    group = _a_community_of(net, liker)
    recent = group.recent_posts if group else net.profile_posts
    if not recent:
        return None
    post_id = rng.choice(recent)
    loaded = net.ledger.load(POSTS, post_id)
    if loaded.state.author_id == liker.id or liker.id in loaded.state.likers:
        return None
    access = net.access(group, liker) if group else None
    events = posts.decide(loaded.state, posts.Like(actor=liker.actor, community=access))
    return net.commit(liker, [StreamAppend(POSTS.stream(post_id), events, loaded.expected)])


def create_artefact(net: Network) -> Append:
    """`artefacts.create`: a work sample on the author's skills, often in one of their
    communities; some are revised over the following weeks."""
    rng = net.rng
    author = net.someone_active()
    group = _a_community_of(net, author)
    pool = list(dict.fromkeys(author.skills + (group.skills if group else [])))
    skills = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
    title, summary, body, link = writing.artefact(rng, author.handle, skills)
    artefact_id = net.new_id()
    loaded = net.ledger.load(ARTEFACTS, artefact_id)
    command = artefacts.Create(
        actor=author.actor,
        title=title,
        summary=summary,
        body=body,
        links=[link],
        skills=skills,
        community=net.access(group, author) if group else None,
    )
    events = artefacts.decide(loaded.state, command)
    append = net.commit(
        author, [StreamAppend(ARTEFACTS.stream(artefact_id), events, loaded.expected)]
    )
    author.artefacts.append(artefact_id)
    days = 0.0
    for _ in range(_draw_revisions(net)):
        days += rng.uniform(2, 45)
        net.agenda.later(days, lambda: revise_artefact(net, author, artefact_id))
    return append  # type: ignore[return-value]  # a creation always writes


def _draw_revisions(net: Network) -> int:
    counts, weights = zip(*REVISIONS, strict=True)
    return net.rng.choices(counts, weights=weights)[0]


def revise_artefact(net: Network, author: Person, artefact_id: str) -> Append | None:
    """`artefacts.revise`: a new section in the body, after feedback."""
    loaded = net.ledger.load(ARTEFACTS, artefact_id)
    note = writing.revision_note(net.rng, loaded.state.revision + 1)
    command = artefacts.Revise(actor=author.actor, body=loaded.state.content.body + note)
    events = artefacts.decide(loaded.state, command)
    return net.commit(
        author, [StreamAppend(ARTEFACTS.stream(artefact_id), events, loaded.expected)]
    )


def endorse(net: Network) -> Append | None:
    """`endorsements.endorse`: an active member vouches for a skill a co-member lists."""
    rng = net.rng
    endorser = net.someone_active()
    group = _a_community_of(net, endorser, always=True)
    if group is None or len(group.members) < 2:
        return None
    target = rng.choice(group.members)
    target_state = net.ledger.state(MEMBERS, target.id)
    if target is endorser or not target_state.skills:
        return None
    skill = rng.choice(target_state.skills)
    key = endorsements.key(endorser.id, "member", target.id, skill)
    loaded = net.ledger.load(ENDORSEMENTS, key)
    if loaded.state.active:
        return None
    command = endorsements.Endorse(
        actor=endorser.actor,
        kind="member",
        target_id=target.id,
        skill=skill,
        comment=writing.endorsement_comment(rng, skill),
        target_exists=target_state.active,
    )
    events = endorsements.decide(loaded.state, command)
    return net.commit(endorser, [StreamAppend(ENDORSEMENTS.stream(key), events, loaded.expected)])


def _a_community_of(net: Network, person: Person, *, always: bool = False) -> Group | None:
    """One of `person`'s communities (None for their profile: sometimes, or when they belong
    to none; never when `always`, unless they belong to none)."""
    if not person.communities or (not always and net.rng.random() >= IN_COMMUNITY):
        return None
    return net.rng.choice(person.communities)
