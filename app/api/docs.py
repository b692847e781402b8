"""The API's Dutch documentation page, generated from the OpenAPI description.

Every address, parameter, field, answer and example on ``/api/v1`` is read from the same dict
that ``/api/v1/openapi.json`` serves, so the page cannot say something the API does not do.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import url_for

from .problems import MESSAGES

#: The query parameters a curl example shows (when the operation has them): enough to see how
#: filters and pages are written, short enough to read.
EXAMPLE_QUERY = ("region", "status", "pageSize")
METHOD_ORDER = ("get", "post", "patch", "put", "delete")


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    kind: str
    description: str
    example: str


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    parameters: list[Parameter]
    body: list[Field]
    body_example: str
    answers: list[Answer]
    fields: list[Field]
    curl: str


@dataclass
class Section:
    name: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Documentation:
    title: str
    version: str
    description: list[str]
    base: str
    sections: list[Section]
    problems: list[tuple[int, str, str]]
    power_query: str


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            return _resolve(document, option)
    return schema


def _kind(document: dict, schema: dict) -> str:
    """A schema in a few Dutch words: "tekst", "geheel getal (1 – 100)", "een van: a, b"."""
    nullable = "null" in (schema.get("type") or []) or any(
        o.get("type") == "null" for o in schema.get("anyOf", ())
    )
    schema = _resolve(document, schema)
    types = schema.get("type")
    types = [t for t in (types if isinstance(types, list) else [types]) if t and t != "null"]
    kind = types[0] if types else "object"
    if "enum" in schema:
        text = "een van: " + ", ".join(str(v) for v in schema["enum"] if v is not None)
    elif kind == "array":
        text = "lijst van " + _kind(document, schema.get("items", {}))
    elif kind == "integer":
        text = "geheel getal"
        if "minimum" in schema and "maximum" in schema:
            text += f" ({schema['minimum']} tot en met {schema['maximum']:,})".replace(",", ".")
    elif kind == "number":
        text = "getal"
    elif kind == "boolean":
        text = "true of false"
    elif kind == "object":
        text = "object"
    elif schema.get("format") == "date":
        text = "datum (jjjj-mm-dd)"
    elif schema.get("format") == "date-time":
        text = "datum en tijd (ISO 8601)"
    else:
        text = "tekst"
        if "maxLength" in schema:
            text += f" (hoogstens {schema['maxLength']:,} tekens)".replace(",", ".")
    return text + (", of null" if nullable else "")


def _fields(document: dict, schema: dict, prefix: str = "", depth: int = 0) -> list[Field]:
    schema = _resolve(document, schema)
    result = []
    for name, item in schema.get("properties", {}).items():
        if name == "_links":
            continue
        resolved = _resolve(document, item)
        description = item.get("description") or resolved.get("description", "")
        result.append(Field(prefix + name, _kind(document, item), description))
        if depth < 1 and resolved.get("properties") and not name.startswith("_"):
            result += _fields(document, resolved, f"{prefix}{name}.", depth + 1)
    return result


def _example_value(parameter: dict) -> str:
    example = parameter.get("example", "")
    return ",".join(example) if isinstance(example, list) else str(example)


def _curl(base: str, method: str, path: str, parameters: list[dict], body_example) -> str:
    url_path = path
    for parameter in parameters:
        if parameter["in"] == "path":
            url_path = url_path.replace("{" + parameter["name"] + "}", _example_value(parameter))
    query = {
        p["name"]: _example_value(p)
        for p in parameters
        if p["in"] == "query" and p["name"] in EXAMPLE_QUERY
    }
    url = base + url_path + ("?" + urlencode(query, safe=",") if query else "")
    lines = ["curl"]
    if method != "get":
        lines[0] += f" -X {method.upper()}"
    lines.append('-H "Authorization: Bearer $HANDVAT_SLEUTEL"')
    for parameter in parameters:
        if parameter["in"] == "header":
            lines.append("-H " + shlex.quote(f"{parameter['name']}: {parameter['example']}"))
    if body_example is not None:
        lines.append("-H 'Content-Type: application/json'")
        lines.append("-d " + shlex.quote(json.dumps(body_example, ensure_ascii=False)))
    lines.append(shlex.quote(url))
    return " \\\n  ".join(lines)


def _operation(document: dict, base: str, path: str, method: str, spec: dict) -> Operation:
    parameters = spec.get("parameters", [])
    body_schema = None
    body_example = None
    if "requestBody" in spec:
        body_schema = spec["requestBody"]["content"]["application/json"]["schema"]
        body_example = _resolve(document, body_schema).get("example")
    answers = []
    fields: list[Field] = []
    for status, response in spec["responses"].items():
        media_type = next(iter(response.get("content", {"": None})))
        answers.append(Answer(status, response["description"], media_type))
        if status in ("200", "201") and not fields:
            schema = _resolve(document, response["content"][media_type]["schema"])
            embedded = schema.get("properties", {}).get("_embedded")
            if embedded:  # a page: describe one item of it
                (items,) = embedded["properties"].values()
                fields = _fields(document, items["items"])
            else:
                fields = _fields(document, schema)
    return Operation(
        anchor=spec["operationId"],
        method=method.upper(),
        path=path,
        summary=spec["summary"],
        description=spec.get("description", ""),
        parameters=[
            Parameter(
                p["name"],
                {"query": "query", "path": "pad", "header": "kop"}[p["in"]],
                p.get("required", False),
                _kind(document, p["schema"]),
                p.get("description", ""),
                _example_value(p),
            )
            for p in parameters
        ],
        body=_fields(document, body_schema) if body_schema else [],
        body_example=json.dumps(body_example, ensure_ascii=False, indent=2) if body_example else "",
        answers=answers,
        fields=fields,
        curl=_curl(base, method, path, parameters, body_example),
    )


POWER_QUERY = """let
    // Uw sleutel; zet die liever in een parameter dan in de query zelf.
    Sleutel = "hvt_...",
    Haal = (pagina as number) => Json.Document(Web.Contents("{base}", [
        RelativePath = "actions",
        Query = [pageSize = "100", page = Number.ToText(pagina)],
        Headers = [Authorization = "Bearer " & Sleutel]
    ])),
    Eerste = Haal(1),
    Paginas = List.Transform({{1..Eerste[pageCount]}}, each if _ = 1 then Eerste else Haal(_)),
    Rijen = List.Combine(List.Transform(Paginas, each _[_embedded][actions])),
    Tabel = Table.FromRecords(Rijen, null, MissingField.UseNull)
in
    Tabel"""


def documentation(document: dict) -> Documentation:
    base = url_for("api.docs", _external=True)
    sections = {tag["name"]: Section(tag["name"]) for tag in document["tags"]}
    for path, item in document["paths"].items():
        for method in METHOD_ORDER:
            if method in item:
                spec = item[method]
                sections[spec["tags"][0]].operations.append(
                    _operation(document, base, path, method, spec)
                )
    return Documentation(
        title=document["info"]["title"],
        version=document["info"]["version"],
        description=document["info"]["description"].split("\n\n"),
        base=base,
        sections=list(sections.values()),
        problems=[(status, title, detail) for status, (title, detail) in MESSAGES.items()],
        power_query=POWER_QUERY.format(base=base),
    )
