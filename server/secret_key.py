"""The instance's secret key: what webhook signing secrets are derived from
(server/api/webhook_signing.py), so it must be the same in every process of an instance and
must stay the same — changing it changes every webhook's secret.

Production sets `LEARNWORK_SECRET_KEY`. Without it, the key is `DATA_DIR/secret.key`: 32 random
bytes made the first time a webhook secret is needed, readable by the server's user only. That
is enough for one machine; processes on several machines need the setting.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

FILE_NAME = "secret.key"
KEY_BYTES = 32


class SecretKeyError(RuntimeError):
    """The key file exists but cannot be the key."""


class InstanceKey:
    """The configured key, else the key file's — read (or made) when first asked for, so that
    a process that never signs anything writes no file."""

    def __init__(self, configured: str | None, data_dir: str) -> None:
        self._key = configured.encode() if configured else None
        self._path = Path(data_dir).expanduser() / FILE_NAME

    def __call__(self) -> bytes:
        if self._key is None:
            self._key = _key_file(self._path)
        return self._key


def _key_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        try:
            # A link never replaces: of two processes starting at once, one key wins.
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise SecretKeyError(f"{path} holds {len(key)} bytes, not a {KEY_BYTES}-byte key")
    return key
