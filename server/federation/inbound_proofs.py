"""Integrity proofs (FEP-8b32) on what other servers send: when an activity carries one, it
must verify with a Multikey its actor lists under `assertionMethod` (FEP-521a).

An activity without a proof is fine: its HTTP signature speaks for it. A proof we cannot
check — another cryptosuite, a proof set — is passed over for the same reason. Any other
proof that fails is refused, whatever the HTTP signature said: 401, `reason: bad_proof`, and
`proof` saying why (`bad_proof`, `unknown_method`, `wrong_purpose`, `malformed`, or
`not_actors` for a key of someone else's).

The proof is checked on the activity as it was sent: eddsa-jcs-2022 signs its JSON, not its
JSON-LD reading.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from server.federation.integrity import ProofReason, ProofRejected, verify_object
from server.federation.refused import Refused
from server.federation.remote_keys import RemoteKeys


async def check_proof(keys: RemoteKeys, activity: dict[str, Any], actor: str) -> None:
    """Refused unless `activity` (as sent) has no proof we can check, or one made with a key of
    `actor`'s. A key that does not verify is fetched again once (the actor may have rotated
    it)."""
    if "proof" not in activity:
        return
    for refresh in (False, True):

        async def resolve(method: str, refresh: bool = refresh) -> Ed25519PublicKey | None:
            found = await keys.assertion_method(method, refresh=refresh)
            if found is None:
                return None
            if found.owner != actor:
                raise _refused("not_actors", f"the proof's key is {found.owner}'s, not {actor}'s")
            return found.key if isinstance(found.key, Ed25519PublicKey) else None

        try:
            await verify_object(activity, resolve)
            return
        except ProofRejected as rejected:
            if rejected.reason == ProofReason.UNSUPPORTED:
                return
            if refresh or rejected.reason != ProofReason.BAD_PROOF:
                raise _refused(str(rejected.reason), rejected.message) from None


def _refused(why: str, detail: str) -> Refused:
    return Refused(401, "Unauthorized", detail, reason="bad_proof", proof=why)
