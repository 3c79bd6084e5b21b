"""A self-contained API reference page built from the OpenAPI schema (no CDN scripts)."""

from __future__ import annotations

import json
from functools import lru_cache

from django.shortcuts import render
from django.utils import translation
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView

METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def api_schema() -> dict:
    # The API speaks English (docs/i18n.md), and this is cached once: made in the first
    # visitor's language, the reference would mix languages for everyone after.
    with translation.override("en"):
        generator = SchemaGenerator(urlconf="payments.api.schema_urls")
        return json.loads(json.dumps(generator.get_schema(request=None, public=True), default=str))


class EnglishSchemaView(SpectacularAPIView):
    """The OpenAPI schema, in English whatever the caller's language."""

    def dispatch(self, request, *args, **kwargs):
        with translation.override("en"):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render"):
                response.render()  # lazy texts become English here, not after
        return response


def _resolve(schema: dict, node):
    if isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        return _resolve(schema, schema["components"]["schemas"][name])
    return node


def _operations(schema: dict) -> list[dict]:
    ops = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
            request_schema = _resolve(schema, body.get("schema")) if body else None
            responses = []
            for code, response in op.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                responses.append(
                    {
                        "code": code,
                        "description": response.get("description", ""),
                        "schema": content.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1],
                    }
                )
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": op.get("operationId", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "request": (request_schema or {}).get("properties", {}),
                    "required": (request_schema or {}).get("required", []),
                    "responses": responses,
                }
            )
    return ops


def _type_of(field: dict) -> tuple[str, str]:
    """(type words, name of a referenced schema or "") for one property."""
    if "$ref" in field:
        return "", field["$ref"].rsplit("/", 1)[-1]
    for combined in ("allOf", "oneOf", "anyOf"):
        for part in field.get(combined, []):
            if "$ref" in part:
                return "", part["$ref"].rsplit("/", 1)[-1]
    kind = field.get("type", "")
    if kind == "array":
        inner, ref = _type_of(field.get("items", {}))
        return f"array of {inner}".strip(), ref
    if field.get("format"):
        kind = f"{kind} ({field['format']})"
    return kind, ""


def _component(body: dict) -> dict:
    """One schema as rows a person can read (the raw JSON stays at /api/schema/)."""
    required = set(body.get("required", []))
    fields = []
    for name, field in body.get("properties", {}).items():
        kind, ref = _type_of(field)
        fields.append(
            {
                "name": name,
                "type": kind,
                "ref": ref,
                "required": name in required,
                "read_only": field.get("readOnly", False),
                "description": field.get("description", ""),
            }
        )
    return {
        "description": body.get("description", ""),
        "enum": body.get("enum", []),
        "fields": fields,
    }


def api_docs(request):
    schema = api_schema()
    components = {
        name: _component(body)
        for name, body in schema.get("components", {}).get("schemas", {}).items()
    }
    return render(
        request,
        "payments/api_docs.html",
        {
            "info": schema.get("info", {}),
            "operations": _operations(schema),
            "components": components,
        },
    )
