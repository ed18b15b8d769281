"""The OpenAPI 3.1 description of the intake API (served at /api/v1/openapi.json)."""

from __future__ import annotations

from typing import Any

from domain.uploads import IntakeLimits


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def openapi(limits: IntakeLimits) -> dict[str, Any]:
    auth_failures = {"401": _problem("No valid API key (missing, unknown or revoked)."),
                     "500": _problem("Unexpected error (logged).")}
    body_failures = {"413": _problem(f"The request is larger than {limits.request_mb} MB (refused before reading)."),
                     "415": _problem("Not multipart/form-data."), "400": _problem("The body cannot be read.")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "briefwerk intake API",
            "version": "1",
            "description": (
                "For ERPs that push: master data (properties, units, contacts) and new serial letters with "
                "their documents. Authenticate with an organisation's API key (App Home → API-Schlüssel) as "
                "`Authorization: Bearer bw_…`. Refusals are RFC 9457 problem details naming the field; "
                "`Accept-Language: en` gives English texts (German by default)."),
        },
        "servers": [{"url": "/"}],
        "security": [{"apiKey": []}],
        "paths": {
            "/api/v1/imports": {"post": {
                "summary": "Import master data (CSV or JSON, all or nothing)",
                "requestBody": {"required": True, "content": {"multipart/form-data": {
                    "schema": {"type": "object", "required": ["file"], "properties": {
                        "file": {"type": "string", "format": "binary",
                                 "description": "The ERP export, as `briefwerk import` reads it (README: Importing)."},
                        "dry_run": {"type": "string", "enum": ["true", "false"],
                                    "description": "true: only count what would change"}}}}}},
                "responses": {"200": {"description": "Imported (or counted, with dry_run).", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ImportResult"}}}},
                    "422": _problem("Rows rejected (each with its line) or the file is unreadable; nothing imported."),
                    **auth_failures, **body_failures},
            }},
            "/api/v1/properties": {"get": {
                "summary": "The organisation's properties",
                "responses": {"200": {"description": "Properties with their ERP numbers and unit counts.", "content": {
                    "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Property"}}}}},
                    **auth_failures},
            }},
            "/api/v1/serial-letters": {
                "post": {
                    "summary": "Create a serial letter with its documents (all or nothing)",
                    "requestBody": {"required": True, "content": {"multipart/form-data": {
                        "schema": {"$ref": "#/components/schemas/NewSerialLetter"},
                        "encoding": {"documents": {"contentType": "application/json"},
                                     "attachments": {"contentType": "application/json"}}}}},
                    "responses": {"201": {"description": "Created; the split report tells what went where.",
                                          "headers": {"Location": {"schema": {"type": "string"}}},
                                          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Created"}}}},
                                  "422": _problem("A field is wrong: `errors[].field` names it (e.g. documents[0].files[1])."),
                                  **auth_failures, **body_failures},
                },
                "get": {
                    "summary": "The organisation's serial letters, newest first",
                    "responses": {"200": {"description": "Up to 500 serial letters.", "content": {"application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/SerialLetterRow"}}}}},
                        **auth_failures},
                },
            },
            "/api/v1/serial-letters/{serial_id}": {"get": {
                "summary": "A serial letter's split report",
                "parameters": [{"name": "serial_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "The split report.", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SplitReport"}}}},
                    "404": _problem("No such serial letter in this organisation."), **auth_failures},
            }},
        },
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                           "description": "An organisation's API key, bw_…"}},
            "schemas": _schemas(limits),
        },
    }


def _schemas(limits: IntakeLimits) -> dict[str, Any]:
    counts = {"type": "object", "properties": {k: {"type": "integer"} for k in ("properties", "units", "contacts", "links")}}
    return {
        "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
            "type": {"type": "string", "format": "uri"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "line": {"type": "integer"}, "detail": {"type": "string"}}}}}},
        "ImportResult": {"type": "object", "properties": {
            "applied": {"type": "boolean"}, "file": {"type": "string"}, "rows": {"type": "integer"},
            "created": counts, "updated": counts, "ended_links": {"type": "integer"}}},
        "Property": {"type": "object", "properties": {"id": {"type": "integer"}, "ref": {"type": "string"},
                                                       "name": {"type": "string"}, "units": {"type": "integer"}}},
        "Split": {"type": "object", "additionalProperties": False, "properties": {
            "method": {"type": "string", "enum": ["marker", "pages", "ranges", "files"], "default": "marker",
                       "description": "marker: a page naming a unit starts its document; pages: every N pages; "
                                      "ranges: explicit page ranges; files: one file per unit (PDFs or ZIPs), "
                                      "matched by the unit's label or number at the end of the file name"},
            "pattern": {"type": "string", "default": "Einheit: {unit}"},
            "pages_per_unit": {"type": "integer", "minimum": 1},
            "ranges": {"type": "object", "additionalProperties": {"type": "string"},
                       "examples": [{"WE 01": "1-3", "WE 02": "4,5"}]}}},
        "Document": {"type": "object", "required": ["type", "files"], "additionalProperties": False, "properties": {
            "type": {"type": "string", "maxLength": 80, "examples": ["Hausgeldabrechnung"]},
            "files": {"type": "array", "minItems": 1, "items": {"type": "string"},
                      "description": "Names of parts `files`: parts of one batch PDF, or one PDF per unit / ZIPs"},
            "split": {"$ref": "#/components/schemas/Split"}}},
        "NewSerialLetter": {"type": "object", "required": ["property", "title", "documents", "files"], "properties": {
            "property": {"type": "string", "description": "The property's ERP number (or briefwerk's id)"},
            "title": {"type": "string", "maxLength": 150},
            "recipients": {"type": "string", "enum": ["owners", "tenants", "both"], "default": "owners"},
            "documents": {"type": "array", "minItems": 1, "maxItems": 10, "items": {"$ref": "#/components/schemas/Document"},
                          "description": "JSON array"},
            "attachments": {"type": "array", "items": {"type": "string"},
                            "description": "JSON array of names of parts `files`: general attachments"},
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": f"Every file, each at most {limits.file_mb} MB, named by its file name"}}},
        "UnitPages": {"type": "object", "properties": {"unit": {"type": "string"}, "pages": {"type": "integer"},
                                                        "file": {"type": "string"}}},
        "SplitReport": {"type": "object", "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "state": {"type": "string"},
            "property": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
            "units": {"type": "integer"}, "complete": {"type": "boolean"},
            "document_types": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"},
                "units": {"type": "array", "items": {"$ref": "#/components/schemas/UnitPages"}},
                "unmatched_pages": {"type": "array", "items": {"type": "object", "properties": {
                    "page": {"type": "integer"}, "file": {"type": "string"}, "file_page": {"type": "integer"},
                    "reason": {"type": "string"}}}},
                "units_without_document": {"type": "array", "items": {"type": "string"}}}}},
            "attachments": {"type": "array", "items": {"type": "object", "properties": {
                "file": {"type": "string"}, "pages": {"type": "integer"}}}}}},
        "Created": {"type": "object", "properties": {
            "id": {"type": "integer"}, "report": {"$ref": "#/components/schemas/SplitReport"},
            "notes": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            "warnings": {"type": "array", "items": {"type": "string"}}}},
        "SerialLetterRow": {"type": "object", "properties": {
            "id": {"type": "integer"}, "title": {"type": "string"}, "property": {"type": "string"},
            "state": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"}}},
    }
