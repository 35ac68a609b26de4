"""OpenAPI 3.1 generated from the declared endpoints and their msgspec types — the same types
that decode requests and encode responses, so the document cannot drift from the behaviour."""

from __future__ import annotations

import html
import re
from typing import Any

import msgspec

from server.api.routing import MIN_POSITION, POSITION, Endpoint, Problem

_PATH_PARAM = re.compile(r"{(\w+)}")
_REF = "#/components/schemas/{name}"
_REASONS = {
    400: "Bad request: a malformed body, query parameter, cursor or header",
    401: "No valid access token",
    403: "The token lacks a scope, or the member may not do this",
    404: "Not found (or not visible to this member)",
    409: "Conflicts with the current state",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "The body is well-formed but invalid; `errors` names the fields",
    429: "Rate limited; see Retry-After",
    503: "The read models did not reach Learnwork-Min-Position in time",
}


def document(endpoints: list[Endpoint], base_url: str) -> dict[str, Any]:
    types: list[Any] = [Problem]
    for e in endpoints:
        types += [t for t in (e.body, e.query, e.response) if _is_struct_type(t)]
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    by_type = dict(zip(types, schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for e in endpoints:
        paths.setdefault(e.path, {})[e.method.lower()] = _operation(e, by_type, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Learnwork API",
            "version": "1",
            "description": "The client API of a Learnwork instance. Every write answers the log "
            f"position it reached (also in the `{POSITION}` header); send it back as "
            f"`{MIN_POSITION}` on a read to see your own write.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "oauth2": {
                    "type": "oauth2",
                    "flows": {
                        "authorizationCode": {
                            "authorizationUrl": f"{base_url}/oauth/authorize",
                            "tokenUrl": f"{base_url}/oauth/token",
                            "scopes": {
                                "read": "read what the member can see",
                                "write": "post, edit and act as the member",
                                "follow": "follow and unfollow",
                                "admin": "instance administration (admins only)",
                                "stream": "subscribe to event streams",
                            },
                        }
                    },
                },
            },
        },
    }


def _is_struct_type(t: Any) -> bool:
    return t is not None and t is not str


def _operation(e: Endpoint, by_type: dict[Any, Any], components: dict[str, Any]) -> dict:
    op: dict[str, Any] = {
        "operationId": e.operation_id,
        "summary": e.summary,
        "tags": [e.tag],
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAM.findall(e.path)
        ],
    }
    if e.query is not None:
        op["parameters"] += _query_parameters(by_type[e.query], components)
    if e.method == "GET":
        op["parameters"].append(
            {
                "name": MIN_POSITION,
                "in": "header",
                "required": False,
                "description": "Wait (bounded) until the read models include this position.",
                "schema": {"type": "integer", "minimum": 0},
            }
        )
    if e.body is not None:
        content = {"application/json": {"schema": by_type[e.body]}}
        if e.form:
            content["application/x-www-form-urlencoded"] = {"schema": by_type[e.body]}
        op["requestBody"] = {"required": True, "content": content}
    op["responses"] = {str(e.status): _success(e, by_type)}
    for status in _error_statuses(e):
        op["responses"][str(status)] = {
            "description": _REASONS[status],
            "content": {"application/problem+json": {"schema": by_type[Problem]}},
        }
    if e.auth == "required":
        op["security"] = [{"bearer": [e.scope] if e.scope else []}]
    elif e.auth == "optional":
        op["security"] = [{}, {"bearer": []}]
    else:
        op["security"] = []
    return op


def _success(e: Endpoint, by_type: dict[Any, Any]) -> dict[str, Any]:
    if e.status == 302:
        return {"description": "Redirect to the app's redirect_uri"}
    if e.response is str:
        html_page = {"text/html": {"schema": {"type": "string"}}}
        return {"description": "An HTML page", "content": html_page}
    return {
        "description": "OK" if e.media == "application/json" else "Each message's data",
        "content": {e.media: {"schema": by_type[e.response]}},
    }


def _error_statuses(e: Endpoint) -> list[int]:
    statuses = set(e.errors)
    if e.query is not None or e.method == "GET":
        statuses.add(400)
    if e.body is not None:
        statuses |= {400, 413, 415, 422}
    if e.auth != "none":
        statuses.add(401)
    if e.scope:
        statuses.add(403)
    if e.limit:
        statuses.add(429)
    if e.method == "GET":
        statuses.add(503)
    return sorted(statuses)


def _query_parameters(schema: dict[str, Any], components: dict[str, Any]) -> list[dict]:
    name = schema["$ref"].rsplit("/", 1)[-1]
    struct = components[name]
    required = set(struct.get("required", ()))
    return [
        {"name": prop, "in": "query", "required": prop in required, "schema": prop_schema}
        for prop, prop_schema in struct.get("properties", {}).items()
    ]


def docs_page(doc: dict[str, Any]) -> str:
    """A plain, dependency-free HTML index of the API (no scripts, nothing fetched)."""
    rows = []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            scopes = " ".join(s for req in op.get("security", []) for v in req.values() for s in v)
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op['summary'])}</td><td>{html.escape(scopes)}</td></tr>"
            )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Learnwork API</title>"
        "<style>body{font-family:system-ui;margin:2rem}td{padding:.2rem .6rem}</style></head>"
        "<body><h1>Learnwork API</h1><p>The machine-readable description is "
        '<a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1); load it into '
        "any OpenAPI viewer or client generator.</p><table><thead><tr><th>Method</th>"
        "<th>Path</th><th>What it does</th><th>Scope</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
