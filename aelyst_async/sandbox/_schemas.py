"""JSON Schemas of the sandbox's bodies and answers, built from the same formats, limits and
workspace (custom fields, lifecycle stages, users, channels) the server checks against."""

from __future__ import annotations

from typing import Any

from . import _contact_actions as actions
from . import _formats as fmt
from . import _space as space_limits
from ._filters import CONTACT_FIELDS
from ._messages import ATTACHMENT_TYPES
from ._validation import FIELD_TYPES, FieldSpec
from ._workspace import Space

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def pattern(regex: str) -> str:
    return f"^(?:{regex})$"


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], required: tuple[str, ...] = (), **extra: Any) -> Schema:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False, **extra}  # fmt: skip


def text(max_len: int) -> Schema:
    return {"type": "string", "minLength": 1, "maxLength": max_len}


def optional_text(max_len: int) -> Schema:
    """An optional string: null and ``""`` (how the official clients send an unset field) mean
    none."""
    return nullable({"type": "string", "maxLength": max_len})


def or_empty(schema: Schema) -> Schema:
    """``schema``, ``""`` or null."""
    return {"anyOf": [schema, {"const": ""}, {"type": "null"}]}


NON_BLANK: Schema = {"type": "string", "pattern": r"\S"}
EMAIL: Schema = {
    "type": "string",
    "maxLength": fmt.EMAIL_MAX,
    "pattern": pattern(fmt.EMAIL_PATTERN),
}
PHONE: Schema = {"type": "string", "pattern": pattern(fmt.PHONE_PATTERN)}


def _codes(codes: tuple[str, ...] | None, shape: str) -> Schema:
    return (
        {"type": "string", "enum": list(codes)} if codes else {"type": "string", "pattern": shape}
    )


def value_schema(spec: FieldSpec) -> Schema:
    """What a custom field of this type takes (null clears it)."""
    kinds: dict[str, Schema] = {
        "text": {"type": "string"},
        "number": {"anyOf": [{"type": "number"},
                             {"type": "string", "pattern": pattern(fmt.NUMBER_TEXT_PATTERN)}]},
        "checkbox": {"anyOf": [{"type": "string", "enum": ["true", "false"]},
                               {"type": "boolean"}]},
        "email": EMAIL,
        "url": {"type": "string", "anyOf": [{"pattern": pattern(fmt.HTTP_URL_PATTERN)},
                                            {"pattern": pattern(fmt.BARE_URL_PATTERN)}]},
        "date": {"type": "string", "format": "date", "pattern": pattern(fmt.DATE_PATTERN)},
        "time": {"type": "string", "pattern": pattern(fmt.TIME_PATTERN)},
        "list": {"type": "string", "enum": list(spec.options)},
    }  # fmt: skip
    return nullable(kinds[spec.type])


def contact_body(space: Space, *, partial: bool) -> Schema:
    """A contact body: ``firstName`` required unless ``partial``; custom fields by name."""
    fields = [
        obj({"name": {"const": name}, "value": value_schema(spec)}, ("name",))
        for name, spec in space.specs.items()
    ]
    properties: dict[str, Schema] = {
        "firstName": NON_BLANK,
        "lastName": nullable({"type": "string"}),
        "phone": or_empty(PHONE),
        "email": or_empty(EMAIL),
        "language": or_empty(ref("Language")),
        "profilePic": or_empty({"type": "string", "pattern": pattern(fmt.HTTP_URL_PATTERN)}),
        "countryCode": or_empty(ref("Country")),
        "custom_fields": nullable({"type": "array", "items": {"oneOf": fields}}),
    }
    return obj(properties, () if partial else ("firstName",))


def filter_schemas(space: Space) -> dict[str, Schema]:
    """``FilterGroup`` and ``Condition`` of ``POST /contact/list``."""
    names = [*CONTACT_FIELDS, *space.fields, *(f.slug for f in space.fields.values() if f.slug)]
    number = {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "pattern": pattern(fmt.NUMBER_TEXT_PATTERN)},
        ]
    }
    date = {"type": "string", "format": "date", "pattern": pattern(fmt.DATE_PATTERN)}
    stamp = {"anyOf": [{"type": "number"}, date]}
    values: list[tuple[list[str], Schema | None]] = [
        (["exists", "doesNotExist"], None),
        (["isEqualTo", "isNotEqualTo"], {"type": ["string", "number"]}),
        (["hasAnyOf", "hasAllOf", "hasNoneOf"], {"type": "array", "items": {"type": "string"}}),
        (["isGreaterThan", "isLessThan"], number),
        (["isBetween"], {"type": "object", "properties": {"from": number, "to": number},
                         "required": ["from", "to"]}),
        (["isTimestampAfter", "isTimestampBefore"], stamp),
        (["isTimestampBetween"], {"type": "object", "properties": {"from": stamp, "to": stamp},
                                  "required": ["from", "to"]}),
    ]  # fmt: skip
    conditions = []
    for operators, value in values:
        for category, field in (
            ("contactField", {"enum": names}),
            ("contactTag", {}),
            ("lifecycle", {}),
        ):
            properties: dict[str, Schema] = {"category": {"const": category}, "field": field,
                          "operator": {"enum": operators}, "value": value or {}}  # fmt: skip
            required = ("category", "operator", "field") if category == "contactField" else (
                "category", "operator")  # fmt: skip
            conditions.append(obj(properties, (*required, *(("value",) if value else ()))))
    items = {"type": "array", "items": {"anyOf": [ref("Condition"), ref("FilterGroup")]}}
    group = {"type": "object", "maxProperties": 1, "additionalProperties": False,
             "properties": {"$and": items, "$or": items}}  # fmt: skip
    return {"FilterGroup": group, "Condition": {"oneOf": conditions}}


def message_schema(space: Space) -> Schema:
    """A message to send, by type."""
    word: Schema = {"type": "string", "pattern": r"\S"}
    shapes: dict[str, tuple[dict[str, Schema], tuple[str, ...]]] = {
        "text": ({"text": word}, ("text",)),
        "email": ({"text": word, "subject": nullable({"type": "string"})}, ("text",)),
        "attachment": ({"attachment": {"type": "object", "required": ["type", "url"],
                                       "properties": {"type": {"enum": list(ATTACHMENT_TYPES)},
                                                      "url": word}}}, ("attachment",)),
        "custom_payload": ({"payload": {"type": "object"}}, ("payload",)),
        "quick_reply": ({"title": word, "replies": {"type": "array", "minItems": 1, "items": word}},
                        ("title", "replies")),
        "whatsapp_template": ({"template": {"type": "object", "required": ["name", "languageCode"],
            "properties": {"name": word, "languageCode": word,
                           "components": {"type": "array", "items": {"type": "object"}}}}},
            ("template",)),
    }  # fmt: skip
    return {"oneOf": [
        {"type": "object", "properties": {"type": {"const": kind}, **props},
         "required": ["type", *required]}
        for kind, (props, required) in shapes.items()
    ]}  # fmt: skip


def request_schemas(space: Space) -> dict[str, Schema]:
    """The request bodies, by component name."""
    users = list(space.users)
    emails = [u["email"] for u in space.users.values()]
    tag = text(actions.MAX_TAG_LENGTH)
    return {
        "Language": _codes(fmt.LANGUAGES, "^[a-z]{2}$"),
        "Country": _codes(fmt.COUNTRIES, "^[A-Z]{2}$"),
        "ContactBody": contact_body(space, partial=False),
        "ContactUpdate": contact_body(space, partial=True),
        "MergeBody": {**contact_body(space, partial=True), "properties": {
            **contact_body(space, partial=True)["properties"],
            "contactIds": {"type": "array", "minItems": 2, "maxItems": 2, "uniqueItems": True,
                           "items": {"type": "integer", "minimum": 0}},
        }, "required": ["contactIds"]},
        "ListBody": obj({"search": nullable({"type": "string"}),
                         "timezone": nullable({"type": "string"}),
                         "filter": nullable(ref("FilterGroup"))}),
        "TagNames": {"type": "array", "minItems": 1, "maxItems": actions.MAX_TAGS, "items": tag},
        "LifecycleBody": obj({"name": nullable({"enum": list(space.lifecycles)})}, ("name",)),
        "AssigneeBody": obj({"assignee": {"enum": [*users, *emails, None]}}, ("assignee",)),
        "StatusBody": obj({"status": {"enum": list(actions.STATUSES)},
                           "category": optional_text(actions.MAX_CATEGORY),
                           "summary": optional_text(actions.MAX_SUMMARY)}, ("status",)),
        "CommentBody": obj({"text": text(actions.MAX_COMMENT)}, ("text",)),
        "MessageBody": obj({"channelId": {"enum": [*space.channels, None]},
                            "message": message_schema(space)}, ("message",)),
        "CustomFieldCreate": {"oneOf": [obj({
            "name": text(space_limits.MAX_FIELD_NAME),
            "slug": optional_text(space_limits.MAX_FIELD_NAME),
            "description": optional_text(space_limits.MAX_FIELD_DESCRIPTION),
            "dataType": {"const": kind},
            "allowedValues": {"type": "array", "minItems": 1,
                              "items": {"type": "string", "minLength": 1}}
            if kind == "list" else {"type": "null"},
        }, ("name", "dataType", *(("allowedValues",) if kind == "list" else ())))
            for kind in FIELD_TYPES]},
        "TagCreate": obj({"name": text(space_limits.MAX_TAG_NAME), **_tag_details()}, ("name",)),
        "TagUpdate": obj({"currentName": text(space_limits.MAX_TAG_NAME),
                          "name": optional_text(space_limits.MAX_TAG_NAME), **_tag_details()},
                         ("currentName",)),
        "TagDelete": obj({"name": text(space_limits.MAX_TAG_NAME)}, ("name",)),
    }  # fmt: skip


def _tag_details() -> dict[str, Schema]:
    return {"description": optional_text(space_limits.MAX_TAG_DESCRIPTION),
            "colorCode": optional_text(32), "emoji": optional_text(32)}  # fmt: skip


def answer_schemas() -> dict[str, Schema]:
    """The answers, by component name (open to keys the API may add)."""
    string, integer = {"type": "string"}, {"type": "integer"}
    maybe = nullable(string)

    def record(required: dict[str, Schema]) -> Schema:
        return {"type": "object", "properties": required, "required": list(required)}

    return {
        "Error": record({"code": integer, "message": string}),
        "ContactId": record({"contactId": integer}),
        "Acknowledgement": record({"code": {"type": ["string", "integer"]}, "message": string}),
        "ContactRecord": record({
            "id": integer, "firstName": string, "lastName": maybe, "phone": maybe,
            "email": maybe, "language": maybe, "profilePic": maybe, "countryCode": maybe,
            "status": string, "tags": {"type": "array", "items": string},
            "assignee": nullable(record({"id": integer, "firstName": string,
                                         "lastName": string, "email": string})),
            "lifecycle": maybe, "created_at": integer,
            "custom_fields": {"type": "array", "items": record({"name": string, "value": {}})},
        }),
        "ContactChannel": record({"id": integer, "name": string, "source": string,
                                  "created_at": integer}),
        "Comment": record({"contactId": integer, "text": string, "created_at": integer}),
        "MessageId": record({"messageId": integer}),
        "Message": record({"messageId": integer, "channelMessageId": string,
                           "contactId": integer, "channelId": integer, "traffic": string,
                           "message": {"type": "object"},
                           "status": {"type": "array", "items": record(
                               {"value": string, "timestamp": integer})}}),
        "User": record({"id": integer, "firstName": string, "lastName": string, "email": string,
                        "role": string, "team": nullable(record({"id": integer, "name": string})),
                        "restrictions": {"type": "array", "items": string}}),
        "CustomField": record({"id": integer, "name": string, "slug": maybe, "description": maybe,
                               "dataType": {"enum": list(FIELD_TYPES)},
                               "allowedValues": nullable({"type": "array", "items": string})}),
        "Channel": record({"id": integer, "name": string, "source": string,
                           "created_at": integer}),
        "ClosingNote": record({"category": string, "description": string}),
        "Template": record({"id": integer, "name": string, "channelId": integer,
                            "category": string, "languageCode": string, "status": string,
                            "components": {"type": "array", "items": {"type": "object"}}}),
        "Tag": record({"id": integer, "name": string, "description": maybe, "colorCode": maybe,
                       "emoji": maybe}),
    }  # fmt: skip
