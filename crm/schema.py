"""The refusals every API operation can answer, documented once for the whole schema.

drf-spectacular documents what a view says it returns; the refusals come from layers that every
view shares (authentication, the scope, the permission, the NUL guard, the cursor, the parsers,
conditional writes), so they are added here to each operation that does not document its own."""

REFUSAL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# Field errors ({"field": ["message"]}), a service's refusal ({"detail": "message"}) or both.
INVALID_INPUT = {"type": "object", "additionalProperties": True}

REFUSALS = {
    "400": ("Invalid input: field errors, a refused change, or a NUL character.", "InvalidInput"),
    "401": ("No or an expired login or token.", "Refusal"),
    "403": ("The role does not allow it in this municipality.", "Refusal"),
    "404": ("Not found, or outside the caller's municipalities; or an invalid cursor.", "Refusal"),
}
CONDITIONAL = {  # optimistic locking on changes (If-Match with the ETag of the read)
    "412": ("The record changed since it was read (If-Match does not match).", "Refusal"),
    "428": ("The change needs an If-Match header with the record's ETag.", "Refusal"),
}
UNSUPPORTED = {"415": ("The request body's media type is not one the operation reads.", "Refusal")}
KEYED = {"422": ("The Idempotency-Key was sent before with another request.", "Refusal")}
METHODS = {"get", "put", "patch", "post", "delete"}


def refusals_for(method: str, operation: dict) -> dict:
    refusals = REFUSALS | (CONDITIONAL if method in {"put", "patch"} else {})
    keyed = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    refusals |= KEYED if keyed else {}
    return refusals | (UNSUPPORTED if "requestBody" in operation else {})


def document_refusals(result, generator, request, public):
    """A drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(Refusal=REFUSAL, InvalidInput=INVALID_INPUT)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for code, (description, name) in refusals_for(method, operation).items():
                body = {"schema": {"$ref": f"#/components/schemas/{name}"}}
                operation["responses"].setdefault(
                    code, {"description": description, "content": {"application/json": body}}
                )
    return result
