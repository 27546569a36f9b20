"""The OpenAPI document at /schema, completed to say what the API really does.

Litestar describes each operation's success and its own validation error. What else every operation of ours may
answer is added here, once for all: RFC 9457 problem documents (``application/problem+json``) for 400, 401,
403, 404, 409, 413, 422, 429 and 503, the session cookie and CSRF header that authenticate a call (unsafe
methods need both), and the OPTIONS operation of every path with the ``Allow`` header it answers.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from litestar import Litestar, Request
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.routes import HTTPRoute

from windsurf.settings import Settings

PROBLEM_JSON = "application/problem+json"
CSRF_HEADER = "X-CSRFToken"
UNSAFE = {"post", "put", "patch", "delete"}
PROBLEMS = {
    "400": "The request could not be read: malformed JSON, a wrong type, an invalid path parameter",
    "401": "No valid session: log in first",
    "403": "The CSRF token is missing or does not match the csrftoken cookie",
    "404": "No such object, or it belongs to another creator (the two are indistinguishable)",
    "409": "The change conflicts with the current state (a concurrent change won)",
    "413": "The request body is larger than the platform accepts",
    "422": "Some fields are missing or not valid; `errors` names each field with a translated message",
    "429": "Too many attempts; `Retry-After` says when to try again",
    "503": "A service the operation needs (sessions, rate limits) is briefly unavailable; retry later",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; title and detail are in the caller's language.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def config(settings: Settings) -> OpenAPIConfig | None:
    """The document only (no Swagger page: its scripts come from a CDN the CSP refuses); None when not served."""
    if not settings.serves_api_schema:
        return None
    return OpenAPIConfig(
        title="Stan Store Windsurf API",
        version="1",
        path="/schema",
        render_plugins=[
            _CompletedJson(settings.session_cookie_name),
            _CompletedYaml(settings.session_cookie_name),
        ],
    )


def complete(document: dict[str, Any], *, session_cookie: str, allow: dict[str, str]) -> dict[str, Any]:
    """``document`` with problem responses, security schemes and OPTIONS operations added."""
    document = copy.deepcopy(document)
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["responses"] = {
        status: {
            "description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            **(
                {"headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}}
                if status in {"429", "503"}
                else {}
            ),
        }
        for status, description in PROBLEMS.items()
    }
    components["securitySchemes"] = {
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": session_cookie,
            "description": "The session cookie set by logging in at /login (or /verify for a phone code).",
        },
        "csrf": {
            "type": "apiKey",
            "in": "header",
            "name": CSRF_HEADER,
            "description": "The value of the csrftoken cookie, required on POST, PUT, PATCH and DELETE.",
        },
    }
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"} or "/api/" not in path:
                continue  # (an HTML page in the document, such as the sandbox gateway's, answers with pages)
            responses = operation.setdefault("responses", {})
            for status in PROBLEMS:
                if status == "413" and "requestBody" not in operation:
                    continue
                responses[status] = {"$ref": f"#/components/responses/{status}"}
            if path.startswith("/api/"):  # the sandbox gateway's provider API signs its calls instead
                operation["security"] = [{"session": [], "csrf": []} if method in UNSAFE else {"session": []}]
        if path in allow:
            item["options"] = _options_operation(path, allow[path], item)
    return document


def _options_operation(path: str, allowed: str, item: dict[str, Any]) -> dict[str, Any]:
    """OPTIONS needs no session; a path parameter that does not parse (a malformed id) matches no route: 404."""
    parameters = {
        parameter["name"]: parameter
        for operation in item.values()
        for parameter in operation.get("parameters", [])
        if parameter.get("in") == "path"
    }
    return {
        "summary": "The methods this path accepts",
        "operationId": "Options" + "".join(part.title() for part in re.split(r"[^A-Za-z0-9]+", path)),
        "parameters": list(parameters.values()),
        "responses": {
            "204": {
                "description": f"No content; Allow lists the methods ({allowed})",
                "headers": {"Allow": {"schema": {"type": "string", "enum": [allowed]}, "required": True}},
            },
            "404": {"$ref": "#/components/responses/404"},
        },
    }


def allowed_methods(app: Litestar) -> dict[str, str]:
    """Each path's methods, as its Allow header lists them."""
    return {
        route.path_format: ", ".join(sorted(route.methods))
        for route in app.routes
        if isinstance(route, HTTPRoute)
    }


class _Completing:
    """Renders the completed document, made on the first request for it: building it takes a third of a second
    that no process start (and no test's app) should pay for a page few ever read."""

    def __init__(self, session_cookie: str) -> None:
        super().__init__()
        self._session_cookie = session_cookie
        self._document: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._document is None:
            allow = allowed_methods(request.app)
            self._document = complete(openapi_schema, session_cookie=self._session_cookie, allow=allow)
        return super().render(request, self._document)  # type: ignore[misc]


class _CompletedJson(_Completing, JsonRenderPlugin):
    pass


class _CompletedYaml(_Completing, YamlRenderPlugin):
    pass
