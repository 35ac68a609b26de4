"""Learning paths and learners: a community's members put paths together and publish them;
other members enroll, complete the steps in order and drop off along the way, so some finish
(the enrollments decider records `enrollment.path_completed` itself) and some leave.

Each function is one command, built and appended as `server.commands.paths` and
`server.commands.enrollments` build and append it. `enroll` and `complete_step` there also run
`reconcile`, which records a completion missed because a step was removed meanwhile; the seed
never removes steps, so it would decide nothing and append nothing, and is not run here.
"""

from __future__ import annotations

from server.commands.aggregates import ARTEFACTS, ENROLLMENTS, PATHS
from server.domain import enrollments, paths
from server.events import StreamAppend
from server.seed import writing
from server.seed.ledger import Append
from server.seed.network import Group, Network, Person

KEEPS_GOING = 0.8
"""Chance that a learner who did a step goes on to the next one (and does the first one)."""
LEAVES = 0.25
"""Chance that a learner who stopped before the end says so by leaving the path."""


def plan_paths(net: Network, group: Group, count: int) -> None:
    """`count` paths will be written in `group` over its first months."""
    for _ in range(count):
        net.agenda.later(net.rng.uniform(3, 120), lambda: create_path(net, group))


def create_path(net: Network, group: Group) -> Append | None:
    """`paths.create`: a draft of 3–10 text and resource steps, by the owner or a member;
    published by its creator a few days later."""
    rng = net.rng
    creator = group.owner if rng.random() < 0.6 else rng.choice(group.members)
    skills = rng.sample(group.skills, min(len(group.skills), rng.randint(1, 3)))
    path_id = net.new_id()
    loaded = net.ledger.load(PATHS, path_id)
    steps = [_new_step(net, skills, number) for number in range(1, rng.randint(3, 10) + 1)]
    events = paths.decide(
        loaded.state,
        paths.Create(
            actor=creator.actor,
            community=net.access(group, creator),
            title=writing.path_title(rng, skills),
            summary=writing.path_summary(skills),
            skills=skills,
            steps=steps,
        ),
    )
    append = net.commit(creator, [StreamAppend(PATHS.stream(path_id), events, loaded.expected)])
    net.agenda.later(rng.uniform(0.5, 7), lambda: publish_path(net, group, creator, path_id))
    return append


def _new_step(net: Network, skills: list[str], number: int) -> paths.NewStep:
    rng = net.rng
    if rng.random() < 0.4:
        title, text = writing.text_step(rng, skills)
        return paths.NewStep(
            step_id=net.new_id(),
            kind="text",
            title=title,
            text=text,
            estimated_minutes=rng.randint(5, 45),
        )
    title, url = writing.resource_step(rng, skills, number)
    return paths.NewStep(
        step_id=net.new_id(),
        kind="resource",
        title=title,
        url=url,
        estimated_minutes=rng.randint(10, 90),
    )


def publish_path(net: Network, group: Group, creator: Person, path_id: str) -> Append | None:
    """`paths.publish`: from now on the community's members enroll in it."""
    loaded = net.ledger.load(PATHS, path_id)
    command = paths.Publish(actor=creator.actor, community=net.access(group, creator))
    events = paths.decide(loaded.state, command)
    append = net.commit(creator, [StreamAppend(PATHS.stream(path_id), events, loaded.expected)])
    group.paths.append(path_id)
    return append


def enroll(net: Network) -> Append | None:
    """`enrollments.enroll`: an active member starts a published path of one of their
    communities, and plans how far they will get."""
    rng = net.rng
    learner = net.someone_active()
    with_paths = [group for group in learner.communities if group.paths]
    if not with_paths:
        return None
    group = rng.choice(with_paths)
    path_id = rng.choice(group.paths)
    key = enrollments.enrollment_id(path_id, learner.id)
    loaded = net.ledger.load(ENROLLMENTS, key)
    if loaded.state.status != "none":
        return None
    path = net.ledger.state(PATHS, path_id)
    events = enrollments.decide(
        loaded.state,
        enrollments.Enroll(actor=learner.actor, path=path, community=net.access(group, learner)),
    )
    append = net.commit(learner, [StreamAppend(ENROLLMENTS.stream(key), events, loaded.expected)])
    steps = 0
    while steps < len(path.steps) and rng.random() < KEEPS_GOING:
        steps += 1
    _plan_next(net, group, learner, path_id, done=0, planned=steps)
    return append


def _plan_next(
    net: Network, group: Group, learner: Person, path_id: str, done: int, planned: int
) -> None:
    """The learner's next step in a few days, or — having stopped short — maybe leaving."""
    rng = net.rng
    if done < planned:
        net.agenda.later(
            rng.uniform(0.1, 5),
            lambda: complete_step(net, group, learner, path_id, done, planned),
        )
    elif done < len(net.ledger.state(PATHS, path_id).steps) and rng.random() < LEAVES:
        net.agenda.later(rng.uniform(3, 30), lambda: leave(net, learner, path_id))


def complete_step(
    net: Network, group: Group, learner: Person, path_id: str, done: int, planned: int
) -> Append | None:
    """`enrollments.complete_step` for the path's next step, sometimes with one of the
    learner's artefacts as evidence and a reflection."""
    rng = net.rng
    path = net.ledger.state(PATHS, path_id)
    evidence = None
    if learner.artefacts and rng.random() < 0.15:
        evidence = rng.choice(learner.artefacts)
    evidence_is_own = False
    if evidence is not None:
        artefact = net.ledger.state(ARTEFACTS, evidence)
        evidence_is_own = artefact.active and artefact.author_id == learner.id
    key = enrollments.enrollment_id(path_id, learner.id)
    loaded = net.ledger.load(ENROLLMENTS, key)
    events = enrollments.decide(
        loaded.state,
        enrollments.CompleteStep(
            actor=learner.actor,
            path=path,
            community=net.access(group, learner),
            step_id=path.steps[done].step_id,
            evidence_artefact_id=evidence,
            evidence_is_own=evidence_is_own,
            reflection=writing.reflection(rng),
        ),
    )
    append = net.commit(learner, [StreamAppend(ENROLLMENTS.stream(key), events, loaded.expected)])
    _plan_next(net, group, learner, path_id, done + 1, planned)
    return append


def leave(net: Network, learner: Person, path_id: str) -> Append | None:
    """`enrollments.leave`: the completed steps stay with the learner."""
    key = enrollments.enrollment_id(path_id, learner.id)
    loaded = net.ledger.load(ENROLLMENTS, key)
    events = enrollments.decide(loaded.state, enrollments.Leave(actor=learner.actor))
    return net.commit(learner, [StreamAppend(ENROLLMENTS.stream(key), events, loaded.expected)])
