"""Who may read what, as SQL every read query shares, so no list forgets a rule.

- A members-only community, and everything in it (posts, paths, library, artefacts attached to
  it), exists only for its members and for instance admins: anyone else gets a 404.
- A suspended member's content is not served at all (nor their membership in lists).

The fragments read the `communities`, `community_members` and `members` read models. `viewer` is
the SQL text of a parameter holding the reading member's id (NULL for an anonymous reader).
"""

from __future__ import annotations


def community_visible(community: str, viewer: str) -> str:
    """True where the community whose id is the SQL expression `community` (NULL: no community,
    e.g. a post on a profile) may be read by `viewer`."""
    return (
        f"({community} IS NULL OR EXISTS (SELECT 1 FROM communities vc WHERE vc.id = {community}"
        f" AND (vc.visibility = 'public' OR {is_member('vc.id', viewer)}"
        f" OR {is_admin(viewer)})))"
    )


def is_member(community: str, viewer: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM community_members vm"
        f" WHERE vm.community_id = {community} AND vm.member_id = {viewer})"
    )


def is_admin(viewer: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM members va"
        f" WHERE va.id = {viewer} AND va.admin AND va.status = 'active')"
    )


def progress_shared(learner: str, viewer: str) -> str:
    """True where `viewer` may see the learning progress of the member whose id is the SQL
    expression `learner`: it is theirs, or they share it (docs/paths.md)."""
    return (
        f"({learner} = {viewer} OR EXISTS (SELECT 1 FROM members vp"
        f" WHERE vp.id = {learner} AND vp.share_progress))"
    )


def author_active(author: str) -> str:
    """True where the member whose id is the SQL expression `author` is not suspended (nor
    pending or rejected): their content is served."""
    return f"EXISTS (SELECT 1 FROM members vs WHERE vs.id = {author} AND vs.status = 'active')"
