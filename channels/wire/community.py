"""The community's JSON API for agents and admins (channels/community.py): the bodies it
reads. The customers' side is HTML forms, not JSON."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from typing_extensions import TypedDict

from channels.parsing import MAX_ROW_ID


class StaffAnswerBody(TypedDict):
    """An agent's answer, shown as staff; checked as a customer's is (not empty, at most
    5,000 characters, no blocked words) and personal details masked."""

    body: str


class StaffAcceptBody(TypedDict):
    """The answer (its id) an agent accepts for the question."""

    answer: Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
