"""Event types: the base struct, the registry that turns them into one tagged union, and the
codec between structs and stored JSON (validation on the way in, upcasting on the way out).

A type is a frozen msgspec Struct with a tag (its wire name, never renamed) and a schema
version. Changing a type's shape means: bump `schema_version`, register an upcaster from the old
version, regenerate `schemas/`. Stored events are never rewritten; they are upcast when read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Union

import msgspec

from server.events.errors import InvalidEventPayload, UnknownEventType


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every event payload. Subclasses set `tag="area.something_happened"`."""

    schema_version: ClassVar[int] = 1


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a payload of version N (as plain JSON data) into one of version N + 1."""

# msgspec reports "… - at `$.steps[2].title`"; we re-root that path under the caller's field.
_AT_PATH = re.compile(r" - at `\$(.*)`$")
# PostgreSQL's jsonb cannot hold U+0000; an escaped backslash before "u0000" is not one.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


class EventRegistry:
    """The set of event types one application writes and reads."""

    def __init__(
        self,
        types: Iterable[type[Event]],
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._by_name: dict[str, type[Event]] = {}
        for cls in types:
            name = cls.__struct_config__.tag
            if not isinstance(name, str) or cls.__struct_config__.tag_field != "type":
                raise TypeError(f"{cls.__name__} needs a string tag, e.g. tag='area.happened'")
            if name in self._by_name:
                raise TypeError(f"two event types are tagged {name!r}")
            self._by_name[name] = cls
        self._upcasters = dict(upcasters or {})
        for name, cls in self._by_name.items():
            for version in range(1, cls.schema_version):
                if (name, version) not in self._upcasters:
                    raise TypeError(f"{name} v{cls.schema_version} has no upcaster from v{version}")
        self._decoders = {name: msgspec.json.Decoder(cls) for name, cls in self._by_name.items()}
        self._encoder = msgspec.json.Encoder()
        self.union: Any = Union[tuple(self._by_name.values())]  # noqa: UP007 (built at run time)
        self._union_decoder = msgspec.json.Decoder(self.union)

    @property
    def types(self) -> Mapping[str, type[Event]]:
        return self._by_name

    def name_of(self, event: Event, field: str = "data") -> str:
        name = type(event).__struct_config__.tag
        if self._by_name.get(name) is not type(event):
            raise UnknownEventType(field, f"{type(event).__name__} is not a registered event type")
        return name

    def encode(self, event: Event, field: str = "data") -> bytes:
        """JSON for storage, after checking the struct against its own type and constraints.

        Structs built in Python are not validated by msgspec, so the encoded form is decoded
        once more: a wrong field type or a broken constraint is refused here, never stored.
        """
        name = self.name_of(event, field)
        try:
            data = self._encoder.encode(event)
        except (TypeError, ValueError, UnicodeError) as exc:
            raise InvalidEventPayload(field, f"cannot be encoded as JSON: {exc}") from exc
        self._check(name, data, field)
        return data

    def parse(self, type_name: str, payload: bytes | str, field: str = "data") -> Event:
        """An event from untrusted JSON (an API body, a remote activity), fully validated."""
        if type_name not in self._by_name:
            raise UnknownEventType(f"{field}.type", f"unknown event type {type_name!r}")
        return self._check(type_name, payload, field)

    def parse_tagged(self, payload: bytes | str, field: str = "data") -> Event:
        """An event from untrusted JSON carrying its own `"type"` tag."""
        try:
            return self._union_decoder.decode(payload)
        except msgspec.ValidationError as exc:
            if "Invalid value" in str(exc) and "`$.type`" in str(exc):
                raise UnknownEventType(f"{field}.type", "unknown event type") from exc
            raise _payload_error(field, exc) from exc
        except msgspec.DecodeError as exc:
            raise InvalidEventPayload(field, f"malformed JSON: {exc}") from exc

    def decode(self, type_name: str, schema_version: int, data: bytes | str) -> Event:
        """A stored event as its current version (trusted input: no re-validation cost)."""
        cls = self._by_name[type_name]
        if schema_version == cls.schema_version:
            return self._decoders[type_name].decode(data)
        payload = msgspec.json.decode(data)
        for version in range(schema_version, cls.schema_version):
            payload = self._upcasters[(type_name, version)](payload)
        payload["type"] = type_name
        return msgspec.convert(payload, cls)

    def json_schemas(self) -> dict[str, dict[str, Any]]:
        """JSON Schema 2020-12 of every type, by type name."""
        out = {}
        for name, cls in sorted(self._by_name.items()):
            schema = msgspec.json.schema(cls)
            out[name] = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": name,
                "x-learnwork-schema-version": cls.schema_version,
                **schema,
            }
        return out

    def _check(self, name: str, data: bytes | str, field: str) -> Event:
        try:
            event = self._decoders[name].decode(data)
        except msgspec.ValidationError as exc:
            raise _payload_error(field, exc) from exc
        except msgspec.DecodeError as exc:
            raise InvalidEventPayload(field, f"malformed JSON: {exc}") from exc
        raw = data.encode() if isinstance(data, str) else data
        if b"u0000" in raw and _NUL_ESCAPE.search(raw):
            raise InvalidEventPayload(field, "text may not contain the NUL character (U+0000)")
        return event


def _payload_error(field: str, exc: msgspec.ValidationError) -> InvalidEventPayload:
    message = str(exc)
    match = _AT_PATH.search(message)
    if match:
        return InvalidEventPayload(field + match[1], message[: match.start()])
    return InvalidEventPayload(field, message)
