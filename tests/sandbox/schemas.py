"""Validators built from documents the platforms publish: X's OpenAPI document and the
YouTube discovery document that ships inside googleapiclient.

Both read files in place: the X document from tests/sandbox/conformance/ (a copy of the public
recording, so a clean clone has it), the discovery document from the installed client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

CONFORMANCE = Path(__file__).resolve().parent / "conformance"
X_OPENAPI = CONFORMANCE / "x" / "openapi" / "openapi-2.159.json"
X_URI = "urn:x-openapi-2.159"

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    # RFC 3339 as both platforms write it: 2021-01-06T18:40:40.000Z
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
            raise ValueError(f"not RFC 3339: {value!r}")
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@dataclass
class Exchange:
    """One answer as the client received it."""

    method: str
    path: str
    status: int
    content_type: str
    headers: dict[str, str]
    body: Any


# --- X: OpenAPI 3.0 -------------------------------------------------------------------------

_following: set[tuple[int, str]] = set()


def _discriminator(
    validator: Any, value: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    """OpenAPI's discriminator: `type` picks the concrete schema (a Problem, a Media item)."""
    if not isinstance(instance, dict) or value["propertyName"] not in instance:
        return
    mapping = value.get("mapping", {})
    name = instance[value["propertyName"]]
    target = mapping.get(name)
    if target is None:
        yield ValidationError(f"{value['propertyName']} {name!r} is none of {sorted(mapping)}")
        return
    key = (id(instance), target)
    if key in _following:  # the mapped schema allOf's the base one: do not loop
        return
    _following.add(key)
    try:
        yield from validator.descend(instance, {"$ref": X_URI + target})
    finally:
        _following.discard(key)


OpenApiValidator = validators.extend(Draft7Validator, {"discriminator": _discriminator})


def undefined_required(doc: dict[str, Any]) -> dict[str, list[str]]:
    """Schemas whose `required` names a property they do not define (a generator slip)."""
    found = {}
    for name, schema in doc["components"]["schemas"].items():
        defined = schema.get("properties")
        missing = [r for r in schema.get("required", []) if defined and r not in defined]
        if missing:
            found[name] = missing
    return found


class XOpenApi:
    def __init__(self, path: Path = X_OPENAPI, errata: bool = True) -> None:
        self.doc: dict[str, Any] = json.loads(path.read_text())
        if errata:
            # The media-upload answers X really sends (recorded in x/examples/) have neither
            # `meta` nor `processing_info.type`: the document requires names it never
            # defines. Drop just those; test_conformance shows the recordings need it.
            schemas = self.doc["components"]["schemas"]
            for name, missing in undefined_required(self.doc).items():
                schemas[name]["required"] = [
                    r for r in schemas[name]["required"] if r not in missing
                ]
        resource = Resource.from_contents(self.doc, default_specification=DRAFT7)
        self.registry: Registry[Any] = Registry().with_resource(X_URI, resource)

    def operation(self, method: str, path: str) -> dict[str, Any]:
        """The operation for a concrete path; literal segments win over {params}."""
        candidates = [
            template
            for template in sorted(self.doc["paths"], key=lambda t: t.count("{"))
            if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path)
            and method.lower() in self.doc["paths"][template]
        ]
        if not candidates:
            raise AssertionError(f"{method} {path} is not in X's OpenAPI document")
        return dict(self.doc["paths"][candidates[0]][method.lower()])

    def schemas(self, exchange: Exchange) -> list[dict[str, Any]]:
        responses = self.operation(exchange.method, exchange.path)["responses"]
        answer = responses.get(str(exchange.status)) or responses.get("default")
        if answer is None:
            raise AssertionError(f"{exchange.status} is not an answer of {exchange.path}")
        content = answer.get("content", {})
        # Errors are documented twice (Error as JSON, Problem as problem+json) and X sends
        # its problems as application/json too: an error body may match either.
        return [media["schema"] for media in content.values() if "schema" in media]

    def validator(self, ref: str) -> Any:
        return OpenApiValidator(
            {"$ref": X_URI + ref}, registry=self.registry, format_checker=FORMATS
        )

    def problems(self, exchange: Exchange) -> list[str]:
        """Why the body does not conform ([] when it does)."""
        schemas = self.schemas(exchange)
        if not schemas:
            return [] if exchange.body in (None, b"", "") else ["body where none is documented"]
        found: list[str] = []
        for schema in schemas:
            errors = list(self.validator(schema["$ref"]).iter_errors(exchange.body))
            if not errors:
                return []
            found += [
                f"{schema['$ref']}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in errors
            ]
        return found


# --- YouTube: discovery document -------------------------------------------------------------


def _from_discovery(node: dict[str, Any]) -> dict[str, Any]:
    """A discovery schema as JSON Schema: properties, items, $ref by id, enum, format."""
    if "$ref" in node:
        return {"$ref": f"#/definitions/{node['$ref']}"}
    out: dict[str, Any] = {}
    if node.get("type") and node["type"] != "any":
        out["type"] = node["type"]
    for key in ("enum", "format"):
        if key in node:
            out[key] = node[key]
    if "properties" in node:
        out["properties"] = {k: _from_discovery(v) for k, v in node["properties"].items()}
    if "items" in node:
        out["items"] = _from_discovery(node["items"])
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _from_discovery(node["additionalProperties"])
    return out


GOOGLE_ERROR = {
    # The error envelope every Google API sends (google-errors/ and youtube/examples/).
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "errors"],
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "status": {"type": "string"},
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["message", "domain", "reason"],
                        "properties": {
                            "message": {"type": "string"},
                            "domain": {"type": "string"},
                            "reason": {"type": "string"},
                        },
                    },
                },
            },
        }
    },
}


class YouTubeDiscovery:
    def __init__(self) -> None:
        import googleapiclient

        path = (
            Path(googleapiclient.__file__).parent
            / "discovery_cache"
            / "documents"
            / "youtube.v3.json"
        )
        self.doc: dict[str, Any] = json.loads(path.read_text())
        self.definitions = {k: _from_discovery(v) for k, v in self.doc["schemas"].items()}

    def method(self, http_method: str, path: str) -> dict[str, Any]:
        relative = path.lstrip("/")
        for resource in self.doc["resources"].values():
            for method in resource.get("methods", {}).values():
                if method["path"] == relative and method["httpMethod"] == http_method:
                    return dict(method)
        raise AssertionError(f"{http_method} {path} is not in the discovery document")

    def validator(self, schema_id: str) -> Any:
        schema = {"$ref": f"#/definitions/{schema_id}", "definitions": self.definitions}
        return Draft7Validator(schema, format_checker=FORMATS)

    def problems(self, exchange: Exchange) -> list[str]:
        if exchange.status >= 400:
            errors = Draft7Validator(GOOGLE_ERROR).iter_errors(exchange.body)
        else:
            response = self.method(exchange.method, exchange.path).get("response")
            if response is None:  # delete: 204, no body
                return [] if not exchange.body else ["body where none is documented"]
            errors = self.validator(response["$ref"]).iter_errors(exchange.body)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


@cache
def x_openapi() -> XOpenApi:
    return XOpenApi()


@cache
def youtube_discovery() -> YouTubeDiscovery:
    return YouTubeDiscovery()


def assert_conform(checker: XOpenApi | YouTubeDiscovery, exchanges: list[Exchange]) -> None:
    assert exchanges, "no answers were recorded"
    failures = {
        f"{e.method} {e.path} -> {e.status}": problems
        for e in exchanges
        if (problems := checker.problems(e))
    }
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)[:4000]
