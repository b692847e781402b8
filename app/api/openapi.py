"""The API's OpenAPI 3.1 description, written as a Python dict, and served at
``/api/v1/openapi.json``.

One source for three things: the JSON description that tools read (Power BI and Excel don't,
but client generators and ``tests/test_api_schema.py`` do), the Dutch documentation page
(``docs.py`` renders it, curl examples included) and the checks: schemathesis sends requests
made from this description to the app and validates every answer against it, on both
databases, so description and behaviour cannot drift apart unnoticed.

Texts are Dutch (the users'), names camelCase (the NL API Design Rules').
"""

from __future__ import annotations

import functools
import json

from ..accounts.roles import Role
from ..actions.models import ActionPriority, ActionStatus, EmbeddingPlace
from ..actions.operations import EMBEDDED_REFERENCE_MAX_CHARACTERS
from ..actions.progress import LATEST_FUTURE_DAYS, UPDATE_MAX_CHARACTERS
from ..conversations.models import OrganisationType
from ..core.converters import MAX_DATABASE_ID
from ..indicators.models import Direction
from .params import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE
from .problems import PROBLEM_MEDIA_TYPE

#: The full version (NL API Design Rules: ``API-Version`` header); the major one is in the path.
API_VERSION = "1.0.0"

# --- building blocks --------------------------------------------------------------------------

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}
NULLABLE_INTEGER = {"type": ["integer", "null"]}
NUMBER = {"type": ["number", "null"]}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "string", "format": "date"}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}
NULLABLE_MOMENT = {"type": ["string", "null"], "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict, description: str | None = None, *, optional=()) -> dict:
    """An object whose properties are all always there (``optional`` aside)."""
    schema = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def described(schema: dict, description: str, **extra) -> dict:
    return {**schema, "description": description, **extra}


def code(values: list[str], description: str, *, is_nullable: bool = False) -> dict:
    if is_nullable:
        return {"type": ["string", "null"], "enum": [*values, None], "description": description}
    return {"type": "string", "enum": values, "description": description}


def coded(name: str, values: list[str], description: str, *, is_nullable=False) -> dict:
    """A code and its Dutch label: ``status`` and ``statusLabel``."""
    return {
        name: code(values, description, is_nullable=is_nullable),
        name + "Label": described(
            NULLABLE_STRING if is_nullable else STRING, f"Zoals Handvat het toont ({name})."
        ),
    }


def values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def links(*names: str) -> dict:
    return obj({name: ref("Link") for name in names})


def page_of(name: str, item: str, description: str) -> dict:
    return obj(
        {
            "_links": ref("PageLinks"),
            "_embedded": obj({name: {"type": "array", "items": ref(item)}}),
            "page": described(INTEGER, "Het nummer van deze pagina, vanaf 1."),
            "pageSize": described(INTEGER, "Hoeveel er hoogstens op een pagina staan."),
            "totalCount": described(INTEGER, "Hoeveel er in totaal zijn (alle pagina's)."),
            "pageCount": described(INTEGER, "Het aantal pagina's (minstens 1)."),
        },
        description,
    )


STATUSES = values(ActionStatus)
EMBEDDING_PLACES = values(EmbeddingPlace)

# --- schemas ----------------------------------------------------------------------------------

REGION_REF = obj({"id": ID, "slug": STRING, "name": STRING}, "De regio waar dit bij hoort.")
REGION = obj(
    {
        "id": ID,
        "slug": described(STRING, "Korte naam in adressen, bijvoorbeeld twente."),
        "name": STRING,
        **coded("role", values(Role), "Uw rol in deze regio; die bepaalt wat u mag."),
        "_links": links("self", "conversations", "actions", "indicators"),
    }
)
REGION_DETAIL = {
    **REGION,
    "required": [*REGION["required"], "municipalities"],
    "properties": {
        **REGION["properties"],
        "municipalities": {
            "type": "array",
            "items": obj(
                {
                    "name": STRING,
                    "cbsCode": described(NULLABLE_STRING, "CBS-code, bijvoorbeeld GM0153."),
                    "hostsInstitution": described(
                        BOOLEAN, "De mbo-instelling heeft hier een vestiging."
                    ),
                }
            ),
        },
    },
}
PHASE = obj({"id": STRING, "name": STRING}, "Een fase van de gespreksplaat.")
CONVERSATION = obj(
    {
        "id": ID,
        "title": STRING,
        "heldOn": described(DATE, "De datum van het gesprek."),
        "region": ref("RegionRef"),
        "questionnaire": obj(
            {"key": STRING, "version": STRING, "title": STRING},
            "De versie van de gespreksplaat waarmee het gesprek is gevoerd.",
        ),
        "currentPhase": PHASE,
        "previousConversationId": described(
            NULLABLE_INTEGER, "Het gesprek van de ronde ervoor, als dit een volgende ronde is."
        ),
        "revision": described(INTEGER, "Gaat omhoog bij elke wijziging in het gesprek."),
        "createdAt": MOMENT,
        "updatedAt": MOMENT,
        "_links": links("self", "answers", "actions", "region"),
    }
)
CONVERSATION_DETAIL = {
    **CONVERSATION,
    "required": [*CONVERSATION["required"], "participants", "chosenQuestions"],
    "properties": {
        **CONVERSATION["properties"],
        "participants": {
            "type": "array",
            "description": "Wie er aan tafel zaten: organisatie en rol (geen namen).",
            "items": obj(
                {
                    "organisation": STRING,
                    **coded("organisationType", values(OrganisationType), "Soort organisatie."),
                    "role": STRING,
                }
            ),
        },
        "chosenQuestions": {
            "type": "array",
            "description": "De vragen die de tafel koos, in de volgorde van de plaat.",
            "items": obj(
                {
                    "id": STRING,
                    "number": described(STRING, "Het nummer op de plaat, bijvoorbeeld 1.2."),
                    "text": STRING,
                    "phase": PHASE,
                }
            ),
        },
    },
}
ANSWER = obj(
    {
        "questionId": STRING,
        "number": described(STRING, "Het nummer van de vraag op de plaat, bijvoorbeeld 1.2."),
        "question": described(STRING, "De tekst van de vraag."),
        "phase": PHASE,
        "answer": described(STRING, "Het antwoord van de tafel (leeg als er nog geen is)."),
        "isAnswered": BOOLEAN,
        "selfAssessment": nullable(
            obj(
                {
                    "id": STRING,
                    "label": STRING,
                    "countsOnScale": described(
                        BOOLEAN, "Onwaar voor ‘weet niet / n.v.t.’: geen stap op de schaal."
                    ),
                },
                "Hoe de samenwerking op dit punt ervoor staat, volgens de tafel.",
            )
        ),
        "updatedAt": NULLABLE_MOMENT,
    }
)
ANSWERS = obj(
    {
        "_links": links("self", "conversation"),
        "_embedded": obj({"answers": {"type": "array", "items": ref("Answer")}}),
        "totalCount": INTEGER,
    },
    "Alle gekozen vragen met hun antwoord (hoogstens het aantal vragen van de plaat).",
)
ACTION = obj(
    {
        "id": ID,
        "number": described(INTEGER, "Het nummer op de actielijst van het gesprek."),
        "description": STRING,
        **coded("status", STATUSES, "De status."),
        "isClosed": described(BOOLEAN, "Afgerond, vervallen of verankerd."),
        "isOverdue": described(BOOLEAN, "De deadline is voorbij en het actiepunt is nog open."),
        **coded("priority", values(ActionPriority), "De prioriteit."),
        "dueDate": described(NULLABLE_DATE, "De deadline."),
        "ownerName": described(STRING, "De trekker."),
        "ownerOrganisation": STRING,
        "ownerAccountId": described(
            NULLABLE_INTEGER, "Het account van de trekker, als die er een heeft."
        ),
        **coded("embeddedIn", EMBEDDING_PLACES, "Waar het is verankerd.", is_nullable=True),
        "embeddedReference": described(STRING, "Vindplaats: een begrotingspost, nummer of link."),
        "question": nullable(
            obj(
                {"id": STRING, "number": described(STRING, "Het nummer op de plaat.")},
                "De vraag waar het uit kwam (met de tekst in GET /actions/{actionId}).",
            )
        ),
        "phase": nullable(PHASE),
        "conversationId": ID,
        "originConversationId": described(
            NULLABLE_INTEGER, "Het gesprek waar het eerst werd afgesproken, als het is meegenomen."
        ),
        "region": ref("RegionRef"),
        "closedAt": NULLABLE_MOMENT,
        "lastUpdateAt": described(NULLABLE_MOMENT, "Wanneer de laatste voortgang werd gemeld."),
        "createdAt": MOMENT,
        "updatedAt": MOMENT,
        "revision": described(
            INTEGER, "Gaat omhoog bij elke wijziging; de ETag van GET /actions/{id}."
        ),
        "_links": links("self", "updates", "conversation"),
    }
)
UPDATE = obj(
    {
        "id": ID,
        "actionId": ID,
        "writtenOn": described(DATE, "De dag waar de update over gaat."),
        "text": STRING,
        **coded("statusBefore", STATUSES, "De status ervoor.", is_nullable=True),
        **coded(
            "statusAfter", STATUSES, "De nieuwe status (null: bleef gelijk).", is_nullable=True
        ),
        "figure": nullable(
            obj(
                {
                    "indicatorId": NULLABLE_INTEGER,
                    "indicatorName": NULLABLE_STRING,
                    "period": STRING,
                    "category": STRING,
                    "value": NUMBER,
                },
                "Een nieuwe waarde van een gekoppelde indicator.",
            )
        ),
        "authorName": STRING,
        "authorAccountId": NULLABLE_INTEGER,
        "createdAt": MOMENT,
        "_links": links("self", "action"),
    }
)
CREATED_UPDATE = {
    **UPDATE,
    "required": [*UPDATE["required"], "actionRevision"],
    "properties": {
        **UPDATE["properties"],
        "actionRevision": described(
            INTEGER, "De revisie van het actiepunt nu: de If-Match voor de volgende wijziging."
        ),
    },
}
ACTION_DETAIL = {
    **ACTION,
    "required": [*ACTION["required"], "indicators", "latestUpdate"],
    "properties": {
        **ACTION["properties"],
        "question": nullable(
            obj(
                {"id": STRING, "number": STRING, "text": STRING},
                "De vraag waar het uit kwam, met haar tekst.",
            )
        ),
        "indicators": {
            "type": "array",
            "description": "Gekoppelde indicatoren: beginwaarde, doel en laatste waarde.",
            "items": obj(
                {
                    "linkId": described(ID, "Voor figure.linkId bij een voortgangsupdate."),
                    "indicatorId": ID,
                    "name": STRING,
                    "category": described(STRING, "Leeg voor het totaal van de indicator."),
                    "unit": STRING,
                    "baselineValue": NUMBER,
                    "baselinePeriod": NULLABLE_STRING,
                    "targetValue": NUMBER,
                    "targetPeriod": NULLABLE_STRING,
                    "latestValue": NUMBER,
                    "latestPeriod": NULLABLE_STRING,
                    "assessment": described(STRING, "Hoe het ervoor staat, in woorden."),
                    "onTrack": {"type": ["boolean", "null"]},
                    "_links": links("indicator"),
                }
            ),
        },
        "latestUpdate": nullable(ref("ActionUpdate")),
    },
}
INDICATOR = obj(
    {
        "id": ID,
        "key": STRING,
        "name": STRING,
        "definition": STRING,
        "unit": STRING,
        **coded("direction", values(Direction), "Welke kant beter is."),
        "source": STRING,
        "frequency": STRING,
        "targetValue": NUMBER,
        "targetPeriod": NULLABLE_STRING,
        "region": ref("RegionRef"),
        "updatedAt": MOMENT,
        "_links": links("self", "observations"),
    }
)
INDICATOR_DETAIL = {
    **INDICATOR,
    "required": [*INDICATOR["required"], "observationCount"],
    "properties": {
        **INDICATOR["properties"],
        "observationCount": described(
            INTEGER, "Hoeveel waarden er zijn; ze staan onder _links.observations."
        ),
    },
}
OBSERVATION = obj(
    {
        "period": described(STRING, "2021, 2021-H1, 2021-Q2, 2021-03 of 2021/2022."),
        "periodLabel": described(STRING, "De periode zoals Handvat die toont."),
        "periodStart": DATE,
        "category": described(STRING, "Leeg als er geen categorie is."),
        "municipalityCode": described(STRING, "CBS-code van de gemeente, of leeg."),
        "value": described(NUMBER, "Null als er geen cijfer is (ontbreekt of afgeschermd)."),
        "isPercentage": BOOLEAN,
        "isTotal": described(BOOLEAN, "Een totaalregel: een controle, geen categorie."),
        "provisional": described(BOOLEAN, "Voorlopig cijfer (bij CBS met een *)."),
        "suppressed": described(BOOLEAN, "Afgeschermd, bijvoorbeeld een aantal onder 5."),
    }
)
PROBLEM = obj(
    {
        "type": described(
            {"type": "string", "format": "uri-reference"}, "Waar dit soort fout wordt uitgelegd."
        ),
        "title": described(STRING, "Korte omschrijving van de fout."),
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": described(STRING, "Wat er mis is en wat u kunt doen (Nederlands)."),
        "instance": described(STRING, "Het pad van het verzoek."),
        "invalidParams": {
            "type": "array",
            "description": "Welke parameters of velden niet kloppen, en waarom.",
            "items": obj({"name": STRING, "reason": STRING}),
        },
    },
    "Een fout, volgens RFC 9457 (application/problem+json).",
    optional=("instance", "invalidParams"),
)
ACTION_CHANGE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "description": "Wat u wijzigt; de rest blijft zoals het is.",
    "properties": {
        "status": code(STATUSES, "De nieuwe status. Verankerd vraagt om embeddedIn."),
        "embeddedIn": code(EMBEDDING_PLACES, "Waar het is verankerd.", is_nullable=True),
        "embeddedReference": {
            "type": "string",
            "maxLength": EMBEDDED_REFERENCE_MAX_CHARACTERS,
            "description": "Vindplaats: een begrotingspost, contractnummer of link.",
        },
    },
    "example": {
        "status": "verankerd",
        "embeddedIn": "begroting",
        "embeddedReference": "Begroting 2027, post 4.2",
    },
}
UPDATE_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "description": "Een voortgangsupdate: een tekst, een nieuwe status of een nieuwe waarde "
    "(minstens één daarvan).",
    "properties": {
        "text": {
            "type": "string",
            "maxLength": UPDATE_MAX_CHARACTERS,
            "description": "Wat er is gebeurd.",
        },
        "writtenOn": {
            **DATE,
            "description": f"De dag waar het over gaat (standaard vandaag; hoogstens "
            f"{LATEST_FUTURE_DAYS} dagen vooruit).",
        },
        "status": code(STATUSES, "Een nieuwe status (null: blijft gelijk).", is_nullable=True),
        "embeddedIn": code(EMBEDDING_PLACES, "Waar het is verankerd.", is_nullable=True),
        "embeddedReference": {"type": "string", "maxLength": EMBEDDED_REFERENCE_MAX_CHARACTERS},
        "figure": nullable(
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["linkId", "period", "value"],
                "description": "Een nieuwe waarde van een indicator die aan het actiepunt "
                "gekoppeld is.",
                "properties": {
                    "linkId": {**ID, "description": "indicators[].linkId van het actiepunt."},
                    "period": {
                        "type": "string",
                        "maxLength": 40,
                        "description": "Bijvoorbeeld 2025, 2025-Q2, 2025-03 of 2025/2026.",
                    },
                    "value": {
                        "type": "number",
                        "exclusiveMaximum": 1e15,
                        "exclusiveMinimum": -1e15,
                    },
                },
            }
        ),
    },
    "example": {"text": "Eerste overleg met de zorgaanbieders gehouden.", "status": "bezig"},
}

SCHEMAS = {
    "Problem": PROBLEM,
    "Link": obj({"href": {"type": "string", "format": "uri"}}),
    "PageLinks": obj(
        {name: ref("Link") for name in ("self", "first", "prev", "next", "last")},
        "Links naar deze, de eerste, de vorige, de volgende en de laatste pagina.",
        optional=("prev", "next"),
    ),
    "RegionRef": REGION_REF,
    "Region": REGION,
    "RegionDetail": REGION_DETAIL,
    "RegionPage": page_of("regions", "Region", "Uw regio's, op naam."),
    "Conversation": CONVERSATION,
    "ConversationDetail": CONVERSATION_DETAIL,
    "ConversationPage": page_of("conversations", "Conversation", "Gesprekken, nieuwste eerst."),
    "Answer": ANSWER,
    "Answers": ANSWERS,
    "Action": ACTION,
    "ActionDetail": ACTION_DETAIL,
    "ActionPage": page_of("actions", "Action", "Actiepunten, op id."),
    "ActionUpdate": UPDATE,
    "CreatedActionUpdate": CREATED_UPDATE,
    "ActionUpdatePage": page_of("updates", "ActionUpdate", "Voortgang, nieuwste eerst."),
    "Indicator": INDICATOR,
    "IndicatorDetail": INDICATOR_DETAIL,
    "IndicatorPage": page_of("indicators", "Indicator", "Indicatoren, op naam."),
    "Observation": OBSERVATION,
    "ObservationPage": page_of("observations", "Observation", "Waarden, oudste periode eerst."),
    "ActionChange": ACTION_CHANGE,
    "ActionUpdateInput": UPDATE_INPUT,
}

# --- parameters -------------------------------------------------------------------------------


def query(name: str, schema: dict, description: str, example=None, **extra) -> dict:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    parameter["description"] = description
    if example is not None:
        parameter["example"] = example
    return {**parameter, **extra}


def path(name: str, schema: dict, description: str, example) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": schema,
        "description": description,
        "example": example,
    }


PAGING = [
    query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Welke pagina (vanaf 1).",
        2,
    ),
    query(
        "pageSize",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
        f"Hoeveel per pagina (standaard {DEFAULT_PAGE_SIZE}, hoogstens {MAX_PAGE_SIZE}).",
        MAX_PAGE_SIZE,
    ),
]
SLUG = {"type": "string", "pattern": "^[a-z0-9-]{1,120}$"}
REGION_FILTER = query(
    "region", SLUG, "Alleen van deze regio (de korte naam, zie GET /regions).", "twente"
)
SLUG_PATH = path("slug", SLUG, "De korte naam van de regio.", "twente")
CONVERSATION_PATH = path("conversationId", ID, "Het nummer (id) van het gesprek.", 1)
ACTION_PATH = path("actionId", ID, "Het nummer (id) van het actiepunt.", 1)
UPDATE_PATH = path("updateId", ID, "Het nummer (id) van de update.", 1)
INDICATOR_PATH = path("indicatorId", ID, "Het nummer (id) van de indicator.", 1)
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "schema": {"type": "string", "pattern": '^"[0-9]{1,10}"$'},
    "description": "De ETag van GET /actions/{actionId}: de revisie die u wijzigt. Is het "
    "actiepunt intussen gewijzigd, dan krijgt u 412 en wordt er niets opgeslagen.",
    "example": '"3"',
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "De ETag van een pagina die u al heeft. Is die pagina nog precies zo, dan "
    "krijgt u 304 zonder inhoud, en anders de pagina met een nieuwe ETag.",
    "example": '"a5f3c0e9d1b2a4c6e8f0a1b3c5d7e9f1a3b5c7d9"',
}
ACTION_FILTERS = [
    REGION_FILTER,
    query("conversation", ID, "Alleen van dit gesprek (id).", 1),
    query(
        "status",
        {"type": "array", "items": {"type": "string", "enum": STATUSES}},
        "Alleen met deze status(sen): herhaal de parameter of scheid met komma's.",
        ["open", "bezig"],
        style="form",
        explode=False,
    ),
    query(
        "owner",
        {"type": "string", "pattern": "^(me|[1-9][0-9]{0,9})$"},
        "Alleen van deze trekker: een account-id, of me voor uzelf.",
        "me",
    ),
    query("dueBefore", DATE, "Alleen met een deadline op of voor deze datum.", "2026-12-31"),
    query("dueAfter", DATE, "Alleen met een deadline op of na deze datum.", "2026-01-01"),
    query(
        "updatedSince",
        {"type": "string", "format": "date-time"},
        "Alleen wat sinds dit moment is gewijzigd (ISO 8601; een datum mag ook).",
        "2026-03-01T00:00:00Z",
    ),
]

# --- responses --------------------------------------------------------------------------------

WHEN = {
    400: "Een parameter klopt niet (zie invalidParams).",
    401: "Geen geldige sleutel meegestuurd.",
    403: "De sleutel mag alleen lezen, of uw rol staat dit niet toe.",
    404: "Bestaat niet, of u heeft geen rol in de regio.",
    412: "Het actiepunt is intussen gewijzigd: haal het opnieuw op.",
    413: "Het verzoek is groter dan 1 MB.",
    415: "De inhoud is geen JSON.",
    422: "De gegevens kloppen niet (zie invalidParams); er is niets opgeslagen.",
    428: "If-Match ontbreekt.",
    429: "Te veel verzoeken met deze sleutel; wacht een minuut.",
    503: "Even niet beschikbaar (de database antwoordt niet); probeer het na Retry-After opnieuw.",
}


def problems(*statuses: int) -> dict:
    return {
        str(status): {
            "description": WHEN[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ref("Problem")}},
        }
        for status in statuses
    }


COMMON_HEADERS = {
    "API-Version": {"description": "De versie van de API.", "schema": STRING},
}
PAGE_HEADERS = {
    **COMMON_HEADERS,
    "X-Total-Count": {"description": "Het totale aantal.", "schema": INTEGER},
    "X-Pagination-Page": {"description": "Deze pagina.", "schema": INTEGER},
    "X-Pagination-Limit": {"description": "Het aantal per pagina.", "schema": INTEGER},
}


def ok(schema: str, description: str, headers=None) -> dict:
    return {
        "200": {
            "description": description,
            "headers": headers or COMMON_HEADERS,
            "content": {"application/json": {"schema": ref(schema)}},
        }
    }


def read(
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    schema: str,
    parameters: list,
    *,
    paged: bool = False,
    found: bool = True,
) -> dict:
    """A GET: ``schema`` when it works, problems when it does not (404 only with ``found``:
    a list is never "not found")."""
    return {
        "get": {
            "operationId": operation_id,
            "tags": [tag],
            "summary": summary,
            "description": description,
            "parameters": parameters,
            "responses": {
                **ok(schema, summary, PAGE_HEADERS if paged else None),
                **problems(400, 401, *((404,) if found else ()), 429, 503),
            },
        }
    }


def _with_entity_tag(operation: dict) -> dict:
    """A page with an ``ETag`` header and a 304 for a client that has it already."""
    responses = operation["get"]["responses"]
    responses["200"]["headers"] = {
        **responses["200"]["headers"],
        "ETag": {"description": "De versie van deze pagina.", "schema": STRING},
    }
    responses["304"] = {
        "description": "Niet gewijzigd: de pagina van uw If-None-Match is nog precies zo.",
        "headers": {
            **COMMON_HEADERS,
            "ETag": {"description": "De versie van deze pagina.", "schema": STRING},
        },
    }
    return operation


WRITE_PROBLEMS = problems(400, 401, 403, 404, 412, 413, 415, 422, 428, 429, 503)

PATHS = {
    "/regions": read(
        "listRegions",
        "Regio's",
        "Uw regio's",
        "De regio's waarin de eigenaar van de sleutel een rol heeft, met die rol.",
        "RegionPage",
        PAGING,
        paged=True,
        found=False,
    ),
    "/regions/{slug}": read(
        "getRegion",
        "Regio's",
        "Eén regio",
        "De regio met haar gemeenten.",
        "RegionDetail",
        [SLUG_PATH],
    ),
    "/conversations": read(
        "listConversations",
        "Gesprekken",
        "Gesprekken",
        "De gesprekken van uw regio's, nieuwste eerst.",
        "ConversationPage",
        [REGION_FILTER, *PAGING],
        paged=True,
        found=False,
    ),
    "/conversations/{conversationId}": read(
        "getConversation",
        "Gesprekken",
        "Eén gesprek",
        "Het gesprek met de organisaties aan tafel en de gekozen vragen.",
        "ConversationDetail",
        [CONVERSATION_PATH],
    ),
    "/conversations/{conversationId}/answers": read(
        "listAnswers",
        "Gesprekken",
        "Antwoorden van een gesprek",
        "Per gekozen vraag: het nummer, de vraag, het antwoord en de zelfevaluatie.",
        "Answers",
        [CONVERSATION_PATH],
    ),
    "/actions": _with_entity_tag(
        read(
            "listActions",
            "Actiepunten",
            "Actiepunten",
            "De actiepunten van uw regio's, over alle gesprekken heen, met filters. Voor een "
            "dashboard: haal pagina's van 100 op tot er geen _links.next meer is. Elke pagina "
            "heeft een ETag: stuur die mee in If-None-Match, dan krijgt u 304 zolang er in uw "
            "regio's niets is veranderd.",
            "ActionPage",
            [*ACTION_FILTERS, *PAGING, IF_NONE_MATCH],
            paged=True,
            found=False,
        )
    ),
    "/actions/{actionId}": {
        **read(
            "getAction",
            "Actiepunten",
            "Eén actiepunt",
            "Het actiepunt met zijn gekoppelde indicatoren en de laatste voortgang. De kop "
            "ETag is de revisie: stuur die mee in If-Match als u het wijzigt.",
            "ActionDetail",
            [ACTION_PATH],
        ),
        "patch": {
            "operationId": "changeAction",
            "tags": ["Actiepunten"],
            "summary": "Status of verankering wijzigen",
            "description": "Wijzig de status en/of waar het is verankerd. Nodig: een sleutel "
            "met bereik write en een rol die actiepunten mag bijwerken (coördinator, "
            "gespreksleider of projectleider). Hetzelfde nog eens sturen telt één keer.",
            "parameters": [ACTION_PATH, IF_MATCH],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ActionChange")}},
            },
            "responses": {
                **ok("ActionDetail", "Opgeslagen (of stond er al zo); met de nieuwe ETag."),
                **WRITE_PROBLEMS,
            },
        },
    },
    "/actions/{actionId}/updates": {
        **read(
            "listActionUpdates",
            "Actiepunten",
            "Voortgang van een actiepunt",
            "De voortgangsupdates, nieuwste eerst.",
            "ActionUpdatePage",
            [ACTION_PATH, *PAGING],
            paged=True,
        ),
        "post": {
            "operationId": "addActionUpdate",
            "tags": ["Actiepunten"],
            "summary": "Voortgang melden",
            "description": "Een voortgangsupdate: tekst, en eventueel een nieuwe status of een "
            "nieuwe waarde van een gekoppelde indicator. Dezelfde update twee keer sturen "
            "(met dezelfde If-Match) telt één keer: de tweede krijgt 200 met de eerste.",
            "parameters": [ACTION_PATH, IF_MATCH],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("ActionUpdateInput")}},
            },
            "responses": {
                "201": {
                    "description": "Opgeslagen. Location wijst naar de update.",
                    "headers": {
                        **COMMON_HEADERS,
                        "Location": {"schema": {"type": "string", "format": "uri"}},
                    },
                    "content": {"application/json": {"schema": ref("CreatedActionUpdate")}},
                },
                **ok("CreatedActionUpdate", "Deze update was al opgeslagen (dubbel verstuurd)."),
                **WRITE_PROBLEMS,
            },
        },
    },
    "/actions/{actionId}/updates/{updateId}": read(
        "getActionUpdate",
        "Actiepunten",
        "Eén voortgangsupdate",
        "Eén update uit de geschiedenis.",
        "ActionUpdate",
        [ACTION_PATH, UPDATE_PATH],
    ),
    "/indicators": read(
        "listIndicators",
        "Cijfers",
        "Indicatoren",
        "De indicatoren (cijfers) van uw regio's, op naam.",
        "IndicatorPage",
        [REGION_FILTER, *PAGING],
        paged=True,
        found=False,
    ),
    "/indicators/{indicatorId}": read(
        "getIndicator",
        "Cijfers",
        "Eén indicator",
        "De beschrijving van de indicator en het aantal waarden.",
        "IndicatorDetail",
        [INDICATOR_PATH],
    ),
    "/indicators/{indicatorId}/observations": read(
        "listObservations",
        "Cijfers",
        "Waarden van een indicator",
        "De waarden per periode, categorie en gemeente, oudste periode eerst.",
        "ObservationPage",
        [INDICATOR_PATH, *PAGING],
        paged=True,
    ),
}

DESCRIPTION = (
    "Lees de gegevens van uw regio's in Handvat voor een eigen dashboard (Power BI, Excel) of "
    "script: regio's, gesprekken, antwoorden met de zelfevaluatie, actiepunten met hun "
    "voortgang, en cijfers. Wijzig de status van een actiepunt of meld voortgang.\n\n"
    "U ziet precies wat u in Handvat ziet: een sleutel werkt met de rollen van zijn eigenaar. "
    "Fouten zijn application/problem+json met een Nederlandse uitleg."
)

_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Handvat API",
        "version": API_VERSION,
        "description": DESCRIPTION,
        "contact": {"name": "De beheerder van deze Handvat-installatie"},
    },
    "servers": [{"url": "/api/v1", "description": "Deze installatie"}],
    "security": [{"bearer": []}],
    "tags": [
        {"name": "Regio's"},
        {"name": "Gesprekken"},
        {"name": "Actiepunten"},
        {"name": "Cijfers"},
    ],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "Een persoonlijke API-sleutel (begint met hvt_). Maak er een "
                "onder Mijn account, API-sleutels, of met flask --app app tokens create.",
            }
        },
    },
}


def openapi_document() -> dict:
    """The description. Shared: read it, never change it."""
    return _DOCUMENT


@functools.cache
def openapi_json() -> str:
    """The description as JSON text, made once per process."""
    return json.dumps(_DOCUMENT, ensure_ascii=False, indent=1)
