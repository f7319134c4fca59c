"""The error hierarchy of the core.

    BalcaoError
    ├── ConfigError          a setting or a command-line value is wrong
    ├── KnowledgeError       a knowledge file is wrong (names file, line and fix)
    ├── InputError           a client sent something we cannot take
    │   └── MessageTooLongError
    ├── StorageError         a store could not do what was asked
    ├── BusyError            a bounded resource is full: try again shortly
    ├── ActionError          an action could not run
    └── DeskError            the agent desk refused an operation
        ├── NotFoundError
        ├── ConflictError    someone else holds it / it changed meanwhile
        └── PermissionDeniedError

Each edge translates these once: the HTTP middleware into JSON with a status,
the WebSocket handler into an error frame, the CLI into one line and exit 2.
"""

from __future__ import annotations


class BalcaoError(Exception):
    """Base of every error Balcão raises on purpose."""

    default_message = "something went wrong"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ConfigError(BalcaoError):
    default_message = "invalid configuration"


class KnowledgeError(BalcaoError):
    """A knowledge file is wrong. `str()` reads `path:line: what is wrong`."""

    default_message = "invalid knowledge file"

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}" if line else f"{path}: {problem}")


class InputError(BalcaoError):
    """A client's payload cannot be taken. `code` is stable for clients."""

    default_message = "invalid input"
    code = "invalid_input"

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class MessageTooLongError(InputError):
    code = "message_too_long"

    def __init__(self, length: int, limit: int) -> None:
        self.length = length
        self.limit = limit
        super().__init__(f"message is {length} characters long; the limit is {limit}")


class StorageError(BalcaoError):
    default_message = "the store could not complete the operation"


class BusyError(BalcaoError):
    """A bounded queue is full (the password hasher): answered at once, never queued."""

    default_message = "the server is busy; try again in a moment"
    code = "busy"


class ActionError(BalcaoError):
    """An action could not run: unknown, crashed, or its server is down or slow."""

    default_message = "the action could not run"

    def __init__(self, action: str, reason: str) -> None:
        self.action = action
        self.reason = reason
        super().__init__(f"action '{action}' failed: {reason}")


class DeskError(BalcaoError):
    default_message = "the operation was refused"
    code = "refused"


class NotFoundError(DeskError):
    default_message = "not found"
    code = "not_found"


class ConflictError(DeskError):
    default_message = "someone else changed it first"
    code = "conflict"


class PermissionDeniedError(DeskError):
    default_message = "you may not do that"
    code = "forbidden"
