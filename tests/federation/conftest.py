"""Federation's HTTP tests run a whole app like the API's (tests/api/conftest.py)."""

from tests.api.conftest import client, settings

__all__ = ["client", "settings"]
