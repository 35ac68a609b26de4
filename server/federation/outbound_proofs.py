"""Integrity proofs on everything federation sends (FEP-8b32): each activity is signed, when it
is enqueued, with its actor's Ed25519 key — the `#ed25519-key` Multikey the actor's document
lists in `assertionMethod` (server/federation/actors.py) — so every retry carries the same
proof, and the activity can be verified whoever passes it on. An activity a community
announces is embedded without a proof of its own: the Announce's proof, the community's,
covers it.

The data integrity context is added to the activity's `@context` first: it defines `proof`
and its terms, and the proof configuration holds the `@context` as it is then
(server/federation/integrity.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from server.federation.integrity import sign_object
from server.federation.keys import KeyVault
from server.federation.outgoing import Outgoing
from server.federation.urls import Actor

DATA_INTEGRITY = "https://w3id.org/security/data-integrity/v2"


async def prove(vault: KeyVault, outgoing: Outgoing, created: datetime) -> dict[str, Any]:
    """`outgoing`'s activity with a proof made by its actor at `created`."""
    activity = outgoing.activity
    context = activity.get("@context", [])
    context = [*context] if isinstance(context, list) else [context]
    if DATA_INTEGRITY not in context:
        context.append(DATA_INTEGRITY)
    keys = await vault.keys(outgoing.actor)
    method = Actor(activity["actor"]).proof_key
    return sign_object({**activity, "@context": context}, keys.ed25519, method, created)
