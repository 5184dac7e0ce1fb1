"""Schemathesis hooks for tidings' contract run (`.ci/run`).

What the OpenAPI document cannot say, and how the run deals with it:

- A cursor is an opaque token the server issues: a generated string is not one (400, "not a
  cursor this server issued"), and a real one (from a response, through the links schemathesis
  infers) belongs to its own query and cannot be combined with `offset` or `collapse`.
- `q` in analyst mode is a query language: a schema-valid string can be bad syntax, which the API
  answers 400 `bad_query` with the character position (the documented contract).
- Some rules join two parameters (`from` after `to`, `offset + limit` past 10,000, a cursor with
  `offset` or `collapse`): a schema-valid pair can break them, answered 400 `bad_parameter` with
  the rule in words.
- `POST /v1/articles` is a bulk write: items it cannot read are reported in `rejections` with
  a 200 and the rest written, as the README documents. A negative body answered 200 is checked
  by `write_reports_add_up` instead; one that is not an array of articles must still be refused.

- A query string carries text only: a negative value (an object, an array for a single value)
  can be serialized into text that is valid (`from=` for an empty object). Such a request, as
  sent, is checked against the document here, and is not required to be rejected.

`positive_data_acceptance` is replaced by `positive_data_accepted_unless_documented`, which fails
exactly as it does except for the documented 400s above, and `negative_data_rejection` by
`negative_data_rejected_unless_sent_valid`.
"""

import json
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import schemathesis
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER

CROSS_PARAMETER_RULES = (
    " is after to ",
    "offset + limit must be at most",
    "cursor is not a cursor this server issued",
    "this cursor belongs to another query",
    "use either cursor or offset",
    "cursor paging cannot be combined with collapse",
    "cursor expired",
    # A key with a filter may only search and export (actions and filter together).
    "keys that write or administer see everything",
    # A key's expiry must be in the future: a schema-valid date can be past.
    "the key would have expired already",
)


def _error(response):
    try:
        return response.json().get("error", {})
    except Exception:
        return {}


def _documented_rejection(response):
    if response.status_code != 400:
        return False
    error = _error(response)
    if error.get("code") == "bad_query":
        return True
    message = error.get("message", "")
    return error.get("code") == "bad_parameter" and any(rule in message for rule in CROSS_PARAMETER_RULES)


@schemathesis.check
def positive_data_accepted_unless_documented(ctx, response, case):
    if _documented_rejection(response):
        return None
    return positive_data_acceptance(ctx, response, case)


def _text_is_valid(text, schema):
    """Whether query-string text, read as the schema's type (as the server reads it), is valid."""
    branches = schema.get("anyOf") or [schema]
    for branch in branches:
        kind = branch.get("type")
        try:
            value = int(text) if kind == "integer" else float(text) if kind == "number" else text
        except ValueError:
            continue
        if jsonschema.Draft202012Validator(branch, format_checker=FORMATS).is_valid(value):
            return True
    return False


def _parameter_is_valid(values, definition):
    schema = definition.get("schema", {})
    if schema.get("type") != "array":
        return len(values) == 1 and _text_is_valid(values[0], schema)
    items = [piece for value in values for piece in value.split(",")] if definition.get("explode") is False else values
    return all(_text_is_valid(item, schema.get("items", {})) for item in items)


def _sent_request_is_valid(case, response):
    """Whether the query string and path, as sent, satisfy the operation's parameters."""
    if response.request is None or response.request.method.upper() != "GET":
        return False
    definitions = {parameter.name: parameter.definition for parameter in case.operation.query}
    sent = {}
    for name, value in parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True):
        sent.setdefault(name, []).append(value)
    if any(name not in definitions for name in sent):
        return False
    if any(definition.get("required") and name not in sent for name, definition in definitions.items()):
        return False
    if not all(_parameter_is_valid(values, definitions[name]) for name, values in sent.items()):
        return False
    for parameter in case.operation.path_parameters:
        value = (case.path_parameters or {}).get(parameter.name)
        if value is None or not _text_is_valid(str(value), parameter.definition.get("schema", {})):
            return False
    return True


@schemathesis.check
def negative_data_rejected_unless_sent_valid(ctx, response, case):
    sent = response.request.method.upper() if response.request is not None else case.method.upper()
    if sent == "POST" and case.operation.path == "/v1/articles" and response.status_code == 200:
        # A bulk write: the body was an array or NDJSON, its unreadable items are in `rejections`.
        return None
    if _sent_request_is_valid(case, response):
        return None
    return negative_data_rejection(ctx, response, case)


@schemathesis.check
def write_reports_add_up(ctx, response, case):
    sent = response.request.method.upper() if response.request is not None else case.method.upper()
    if not (sent == "POST" and case.operation.path == "/v1/articles"):
        return None
    if response.status_code != 200:
        return None
    try:
        report = response.json()
    except ValueError:
        raise AssertionError(f"a write's 200 is not a JSON report: {response.text[:200]!r}")
    stored = report["new"] + report["updated"] + report["unchanged"]
    assert report["read"] == stored + report["rejected"], f"read {report['read']} != stored {stored} + rejected"
    assert len(report["rejections"]) == report["rejected"], "every rejection is listed"
    assert len(report["ids"]) == stored, "an id for every article written or unchanged"
    return None


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    """One JSON object per line, as the write endpoint reads NDJSON."""
    lines = value if isinstance(value, list) else [value]
    return {"data": "\n".join(json.dumps(line) for line in lines).encode("utf-8")}
