"""Settings: one typed struct, from `LEARNWORK_*` environment variables over an optional TOML file.

Precedence, lowest first: defaults, the TOML file (`--config` or `LEARNWORK_CONFIG`), environment
variables. Every field documents itself; `learnwork serve --help` prints these descriptions, so the
help can never drift from what is read.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_type_hints

import msgspec

ENV_PREFIX = "LEARNWORK_"


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


class Settings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    data_dir: Annotated[str, _doc("Folder for the embedded PostgreSQL and other local state.")] = (
        "./data"
    )
    database_url: Annotated[
        str | None,
        _doc(
            "PostgreSQL URL (postgresql://user:pass@host/db). Unset: a private PostgreSQL is "
            "started in DATA_DIR/postgres and stopped on exit."
        ),
    ] = None
    host: Annotated[str, _doc("Address to listen on.")] = "127.0.0.1"
    port: Annotated[int, _doc("TCP port to listen on."), msgspec.Meta(ge=0, le=65535)] = 8080
    public_url: Annotated[
        str | None,
        _doc("The instance's public base URL (https in production). Default: http://HOST:PORT."),
    ] = None
    db_pool_size: Annotated[
        int, _doc("Connections in the shared database pool."), msgspec.Meta(ge=2, le=200)
    ] = 10
    append_max_batch: Annotated[
        int,
        _doc("Group commit: the most events written in one transaction."),
        msgspec.Meta(ge=1, le=10_000),
    ] = 1000
    append_max_wait_ms: Annotated[
        float,
        _doc(
            "Group commit: how long a batch waits for more appends before committing. "
            "0 commits as soon as the previous batch is done (batches still form under load)."
        ),
        msgspec.Meta(ge=0, le=100),
    ] = 0.0
    max_event_bytes: Annotated[
        int,
        _doc("Largest accepted event payload, in bytes of JSON."),
        msgspec.Meta(ge=256, le=16 * 1024 * 1024),
    ] = 256 * 1024
    log_level: Annotated[str, _doc("DEBUG, INFO, WARNING or ERROR.")] = "INFO"
    projections: Annotated[
        bool,
        _doc(
            "Keep the read models up to date in this process. Set false in API-only processes "
            "when `learnwork projections run` does it in another."
        ),
    ] = True
    home_feed_cache: Annotated[
        int,
        _doc(
            "First pages of home feeds each server process keeps in memory (about 10-20 kB "
            "each), dropped as soon as the event log changes them. 0 turns the cache off."
        ),
        msgspec.Meta(ge=0, le=1_000_000),
    ] = 2000
    profile_cache: Annotated[
        int,
        _doc(
            "Profiles each server process keeps in memory (about 2-5 kB each; one per member "
            "and kind of reader), dropped as soon as the event log changes them. 0 turns the "
            "cache off."
        ),
        msgspec.Meta(ge=0, le=1_000_000),
    ] = 5000
    search_cache: Annotated[
        int,
        _doc(
            "Searches each server process keeps the results of in memory (the newest 500 "
            "matches, public and per members-only community: up to a few hundred kB each), "
            "until the search read model changes. 0 turns the cache off."
        ),
        msgspec.Meta(ge=0, le=1_000_000),
    ] = 200
    stream_heartbeat_seconds: Annotated[
        float,
        _doc("Quiet seconds after which an event stream sends a keep-alive comment."),
        msgspec.Meta(gt=0, le=300),
    ] = 15.0
    stream_buffer: Annotated[
        int,
        _doc(
            "Events an event stream's consumer may fall behind before it gets an error and is "
            "disconnected (it resumes from the last event it got)."
        ),
        msgspec.Meta(ge=1, le=1_000_000),
    ] = 10_000
    registration: Annotated[
        Literal["open", "approval", "invite", "closed"],
        _doc(
            "Who may register: open (anyone), approval (an admin approves each), invite (with "
            "an invitation code from an admin) or closed."
        ),
    ] = "open"
    read_wait_seconds: Annotated[
        float,
        _doc("How long a read sent with Learnwork-Min-Position waits for the read models."),
        msgspec.Meta(gt=0, le=60),
    ] = 10.0
    writes_per_minute: Annotated[
        int,
        _doc("Rate limit on writes per access token (twice that per IP address)."),
        msgspec.Meta(ge=1),
    ] = 300
    sign_ins_per_minute: Annotated[
        int,
        _doc("Rate limit per IP address on sign-in, registration and token requests."),
        msgspec.Meta(ge=1),
    ] = 10
    metrics_token: Annotated[
        str | None,
        _doc(
            "Bearer token a scraper must send for GET /metrics (Prometheus text format). Unset: "
            "/metrics is open to anyone who reaches it; block it at the proxy, or set this."
        ),
    ] = None
    secret_key: Annotated[
        Annotated[str, msgspec.Meta(min_length=32, max_length=1000)] | None,
        _doc(
            "The instance's secret key (at least 32 characters, e.g. `openssl rand -base64 32`), "
            "from which webhook signing secrets are derived. Set it in production, the same in "
            "every process; changing it changes every webhook's secret. Unset: "
            "DATA_DIR/secret.key, made when first needed."
        ),
    ] = None
    webhook_retry_seconds: Annotated[
        float,
        _doc(
            "How long a webhook delivery is retried before it fails for good (default 3 days). "
            "An endpoint whose deliveries all failed for that long is disabled."
        ),
        msgspec.Meta(gt=0),
    ] = 3 * 24 * 3600.0
    webhook_first_retry_seconds: Annotated[
        float,
        _doc(
            "Wait before a failed webhook delivery's first retry; each retry waits twice as long."
        ),
        msgspec.Meta(gt=0),
    ] = 5.0
    webhook_timeout_seconds: Annotated[
        float,
        _doc("How long a webhook endpoint has to answer a delivery."),
        msgspec.Meta(gt=0, le=300),
    ] = 10.0
    webhook_concurrency: Annotated[
        int,
        _doc("Webhook deliveries each server process sends at once."),
        msgspec.Meta(ge=1, le=1000),
    ] = 16
    webhook_log_days: Annotated[
        int,
        _doc(
            "Days a webhook delivery and its attempts stay in the delivery log after its retry "
            "window ends."
        ),
        msgspec.Meta(ge=1, le=3650),
    ] = 30
    webhook_allow_private_addresses: Annotated[
        bool,
        _doc(
            "Let webhook URLs point at private, loopback and link-local addresses. Off, so that "
            "webhooks cannot reach into the server's own network; on only for tests and closed "
            "networks."
        ),
    ] = False
    federation_authorized_fetch: Annotated[
        bool,
        _doc(
            "Answer other servers' requests for actors and their collections only when signed "
            '("authorized fetch"), as Mastodon\'s secure mode does. Browsers still get the '
            "pages; WebFinger, NodeInfo and the instance actor stay open."
        ),
    ] = False
    federation_allow_private_addresses: Annotated[
        bool,
        _doc(
            "Let federation fetch from and deliver to private, loopback and link-local "
            "addresses. Off, so that no remote document can make the server reach into its own "
            "network; on only for tests and closed networks."
        ),
    ] = False

    federation_delivery_concurrency: Annotated[
        int,
        _doc(
            "Deliveries to other servers' inboxes each server process sends at once (and "
            "requests federation has open at most, on top of 100 for fetches)."
        ),
        msgspec.Meta(ge=1, le=1000),
    ] = 32
    federation_host_concurrency: Annotated[
        int,
        _doc(
            "Deliveries in flight to one server at most, counted over all server processes "
            "together (set it the same in each); one at a time to a server marked unreachable."
        ),
        msgspec.Meta(ge=1, le=100),
    ] = 4
    federation_retry_seconds: Annotated[
        float,
        _doc(
            "How long a delivery to another server is retried before it fails for good "
            "(default 2 days)."
        ),
        msgspec.Meta(gt=0),
    ] = 2 * 24 * 3600.0
    federation_first_retry_seconds: Annotated[
        float,
        _doc(
            "Wait before a failed delivery's first retry, and before a server marked "
            "unreachable is first tried again; each next wait is twice as long, at most 6 hours."
        ),
        msgspec.Meta(gt=0),
    ] = 30.0
    federation_timeout_seconds: Annotated[
        float,
        _doc("How long another server has to answer one request (a delivery or a fetch)."),
        msgspec.Meta(gt=0, le=300),
    ] = 10.0
    federation_inbox_rate: Annotated[
        float,
        _doc(
            "Activities per second each server process accepts into its inboxes from one "
            "remote server (the host of the activity's actor), on average; beyond it and the "
            "burst, 429 with Retry-After."
        ),
        msgspec.Meta(gt=0),
    ] = 20.0
    federation_inbox_burst: Annotated[
        int,
        _doc("Activities one remote server may deliver at once before its inbox rate applies."),
        msgspec.Meta(ge=1),
    ] = 200

    @property
    def base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "localhost" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names it."""


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Merge defaults, the TOML file, the environment and explicit overrides, then validate."""
    environ = os.environ if environ is None else environ
    raw: dict[str, Any] = {}
    config_file = config_file or environ.get(env_name("config"))
    if config_file:
        try:
            raw.update(tomllib.loads(Path(config_file).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read config file {config_file}: {exc}") from exc
    for field in Settings.__struct_fields__:
        value = environ.get(env_name(field))
        if value is not None and value != "":
            raw[field] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        # strict=False lets "8080" from the environment become an int.
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_env_var(str(exc))) from exc


def _name_env_var(message: str) -> str:
    """Point at the variable a person sets: `$.port` → `LEARNWORK_PORT (port)`."""
    for field in Settings.__struct_fields__:
        token = f"`$.{field}`"
        if token in message:
            return message.replace(token, f"{env_name(field)} ({field})")
    return message


def describe_settings() -> str:
    """Plain-text help for every setting, generated from the struct's own descriptions."""
    hints = get_type_hints(Settings, include_extras=True)
    defaults = dict(zip(Settings.__struct_fields__, Settings.__struct_defaults__, strict=True))
    lines = []
    for field, hint in hints.items():
        description = " ".join(
            meta.description for meta in getattr(hint, "__metadata__", ()) if meta.description
        )
        lines.append(f"  {env_name(field)} [default: {defaults[field]}]\n      {description}")
    return "\n".join(lines)
