"""Errors that users see, each with a stable code.

Domain and service code raise these; the API and CLI turn them into an HTTP response or a
message in one place. Anything else is an internal error and shows as a generic 500.
"""

from __future__ import annotations

from collections.abc import Iterable


class Text(str):
    """Words for people that a page may say in its reader's language: the English text
    (what the API, the command line and the logs show), with its message id and values
    kept, so the console and portal look it up in their catalog and fill the values in
    (`accord.web.i18n.say`). `Text("at most %(most)s rows", most=50000)` reads
    "at most 50000 rows"."""

    msgid: str
    values: dict[str, str | int]

    def __new__(cls, msgid: str, /, **values: object) -> Text:
        kept = {k: v if isinstance(v, int | str) else str(v) for k, v in values.items()}
        self = super().__new__(cls, msgid % kept if kept else msgid)
        self.msgid, self.values = msgid, kept
        return self


def words_of(message: str) -> dict[str, object]:
    """How a message can be said again in another language: its message id and values (a
    plain message is its own id), as stored with a job's rows."""
    if isinstance(message, Text):
        return {"id": message.msgid, "values": dict(message.values)}
    return {"id": str(message)}


class AccordError(Exception):
    """Base of every error shown to a user: a stable code, a message, an HTTP status.

    `said` is the message without the field it names (a `Text` when written as one), what
    the console and portal translate."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None, said: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.said = message if said is None else said

    def words(self) -> dict[str, object]:
        """`words_of` the message, with the field it names."""
        return {**words_of(self.said), "field": self.field}

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(AccordError):
    """A field of the request is wrong; the message says what to send instead."""

    code = "invalid_input"
    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field, said=message)


def not_one_of(field: str, value: object, allowed: Iterable[str]) -> InvalidInput:
    """The error for `value`, which is none of `allowed`: "'x' is not one of: a, b" (one
    message id for every such choice)."""
    return InvalidInput(field, Text("%(value)s is not one of: %(allowed)s", value=repr(value),
                                    allowed=", ".join(allowed)))  # fmt: skip


class NotFound(AccordError):
    code = "not_found"
    status = 404

    def __init__(self, kind: str, ident: str, *, field: str | None = None) -> None:
        super().__init__(Text("%(kind)s %(ident)s not found", kind=kind, ident=repr(ident)),
                         field=field)  # fmt: skip
        self.kind = kind


class Unauthenticated(AccordError):
    code = "unauthenticated"
    status = 401


class Forbidden(AccordError):
    code = "forbidden"
    status = 403


class Conflict(AccordError):
    code = "conflict"
    status = 409


class Gone(AccordError):
    """What the request names existed but is no longer usable (a link used up or expired)."""

    code = "gone"
    status = 410


class IdempotencyConflict(Conflict):
    """The same idempotency key was used before with a different request body."""

    code = "idempotency_conflict"


class InvalidTransition(Conflict):
    """A status change the lifecycle does not allow (approving a reversed commission)."""

    code = "invalid_transition"


class StaleVersion(Conflict):
    """Someone else changed the row first; reload and try again."""

    code = "stale_version"


class InvalidRequest(InvalidInput):
    """Several fields are wrong at once; `errors` lists each with its message."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        first = errors[0] if errors else {"field": "body", "message": "is invalid"}
        AccordError.__init__(
            self,
            "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "body: is invalid",
            field=first["field"],
        )
        self.errors = errors

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "errors": self.errors}


_SKIP_LOC = ("body", "query", "path", "header")


def describe_validation(errors: list[dict]) -> list[dict[str, str]]:
    """Turn pydantic's error list into fields a user can find: `rules[0].percent`."""
    described = []
    for err in errors:
        field = ""
        for part in err.get("loc", ()):
            if isinstance(part, int):
                field += f"[{part}]"
            elif part not in _SKIP_LOC:
                field += f".{part}" if field else str(part)
        message = str(err.get("msg", "is invalid")).removeprefix("Value error, ")
        kind = err.get("type")
        if kind == "extra_forbidden":
            message = "is not a known field; check the spelling against the API docs"
        elif kind == "missing":
            message = "is required"
        elif kind == "json_invalid":
            field, message = "body", "is not valid JSON"
        described.append({"field": field or "body", "message": message})
    return described
