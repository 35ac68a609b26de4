"""Where each actor lives: ids that never change (members and communities by their id, not
by handle or slug, which can be claimed again), and the URLs of its collections and keys."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from server.domain.common import is_id

PREFIX = "/ap"


@dataclass(frozen=True, slots=True)
class Actor:
    id: str

    @property
    def inbox(self) -> str:
        return f"{self.id}/inbox"

    @property
    def outbox(self) -> str:
        return f"{self.id}/outbox"

    @property
    def followers(self) -> str:
        return f"{self.id}/followers"

    @property
    def following(self) -> str:
        return f"{self.id}/following"

    @property
    def main_key(self) -> str:
        """The RSA key's id (HTTP signatures)."""
        return f"{self.id}#main-key"

    @property
    def proof_key(self) -> str:
        """The Ed25519 key's id (integrity proofs)."""
        return f"{self.id}#ed25519-key"


@dataclass(frozen=True, slots=True)
class Urls:
    base: str

    @property
    def host(self) -> str:
        """The instance's host as `acct:` URIs name it (with the port, if not the default)."""
        return urlsplit(self.base).netloc.lower()

    def member(self, member_id: str) -> Actor:
        return Actor(f"{self.base}{PREFIX}/members/{member_id}")

    def community(self, community_id: str) -> Actor:
        return Actor(f"{self.base}{PREFIX}/communities/{community_id}")

    @property
    def instance(self) -> Actor:
        return Actor(f"{self.base}{PREFIX}/instance")

    def post(self, post_id: str) -> str:
        return f"{self.base}{PREFIX}/posts/{post_id}"

    def post_id(self, url: object) -> str | None:
        """The id of our post whose ActivityPub id `url` is, if it is one of ours."""
        prefix = self.post("")
        if not isinstance(url, str) or not url.startswith(prefix):
            return None
        post_id = url.removeprefix(prefix)
        return post_id if is_id(post_id) else None

    def artefact(self, artefact_id: str) -> str:
        return f"{self.base}{PREFIX}/artefacts/{artefact_id}"

    def path(self, path_id: str) -> str:
        return f"{self.base}{PREFIX}/paths/{path_id}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}{PREFIX}/inbox"
