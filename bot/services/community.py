"""CommunityService: customers' questions and answers, moderated, audited, and promoted into
the knowledge base.

Every post is checked and masked (bot.core.community) before it is stored, so nobody but
its author ever sees the personal data it held; the author gets the notice. Agents hide and
lock, admins promote: each such action is written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.community import (
    MAX_TITLE,
    MODERATION,
    POST_KINDS,
    UNANSWERED_AFTER,
    Answer,
    Author,
    CommunityError,
    Flagged,
    Masked,
    NotAllowedError,
    PostRefusedError,
    Question,
    mask_personal,
    may_accept,
    refusal,
)
from bot.core.dialogue import Brain
from bot.knowledge.entries import LANGUAGES
from bot.ports import AuditLog, CommunityStore, CommunitySuggestion
from bot.services.curation import write_community_draft

logger = logging.getLogger(__name__)

SIMILAR = 5
CREDIT = {
    "en": "Answer from our community, thanks to {name}.",
    "pt": "Resposta da nossa comunidade, obrigado a {name}.",
    "es": "Respuesta de nuestra comunidad, gracias a {name}.",
}


@dataclass(frozen=True)
class Posted:
    id: int
    masked: tuple[str, ...] = ()  # kinds of personal data hidden: told to the author only

    @property
    def notice(self) -> str:
        return Masked("", self.masked).notice


@dataclass(frozen=True)
class Thread:
    question: Question
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class CommunityAnswer:
    """An accepted community answer offered by the bot."""

    question: Question
    answer: Answer


class CommunityService:
    def __init__(
        self,
        store: CommunityStore,
        audit: AuditLog | None = None,
        brain: Callable[[], Brain] | None = None,
        clock: Callable[[], float] = time.time,
        public_url: str = "",
    ) -> None:
        self.public_url = public_url.rstrip("/")
        self.store = store
        self.audit = audit
        self.brain = brain
        self.clock = clock

    async def ask(self, author: Author, language: str, title: str, body: str) -> Posted:
        if language not in LANGUAGES:
            raise CommunityError(f"language must be one of {', '.join(LANGUAGES)}")
        for text, limit in ((title, MAX_TITLE), (body, 5000)):
            reason = refusal(text, language, limit)
            if reason:
                raise PostRefusedError(reason)
        masked_title, masked_body = mask_personal(title.strip()), mask_personal(body.strip())
        kinds = tuple(dict.fromkeys(masked_title.kinds + masked_body.kinds))
        question_id = await self.store.add_question(
            language, masked_title.text, masked_body.text, author, self.clock()
        )
        return Posted(question_id, kinds)

    async def reply(self, author: Author, question_id: int, body: str) -> Posted:
        question = await self._question(question_id)
        if question.locked and not author.staff:
            raise NotAllowedError("this question is locked")
        reason = refusal(body, question.language)
        if reason:
            raise PostRefusedError(reason)
        masked = mask_personal(body.strip())
        answer_id = await self.store.add_answer(question_id, masked.text, author, self.clock())
        return Posted(answer_id, masked.kinds)

    async def thread(self, question_id: int, *, count_view: bool = True) -> Thread:
        question = await self._question(question_id)
        if question.hidden:
            raise CommunityError("no such question", code="not_found")
        if count_view:
            await self.store.count_view(question_id)
        return Thread(question, tuple(await self.store.answers(question_id)))

    async def vote(self, voter: Author, answer_id: int) -> bool:
        answer = await self.store.answer(answer_id)
        if answer is None or answer.hidden:
            raise CommunityError("no such answer", code="not_found")
        if answer.author_id == voter.id:
            raise NotAllowedError("you cannot vote for your own answer")
        return await self.store.vote(answer_id, voter.id)

    async def accept(self, actor: Author, question_id: int, answer_id: int) -> None:
        question = await self._question(question_id)
        answer = await self.store.answer(answer_id)
        if answer is None or answer.question_id != question_id:
            raise CommunityError("that answer is not one of this question's", code="not_found")
        if not may_accept(question, actor):
            raise NotAllowedError("only the asker or an agent accepts an answer")
        await self.store.accept(question_id, answer_id)
        await self._audit(actor, "community.accept", f"question:{question_id}", answer=answer_id)

    async def moderate(self, actor: Author, action: str, kind: str, post_id: int) -> None:
        """Hide, unhide, lock, unlock or approve: the change and its audit record are one
        transaction in the store, so no action goes unaudited."""
        if not actor.staff:
            raise NotAllowedError("only agents moderate")
        if action not in MODERATION or kind not in POST_KINDS:
            raise CommunityError(
                f"action: {', '.join(MODERATION)}; kind: {' or '.join(POST_KINDS)}"
            )
        if action in ("lock", "unlock") and kind != "question":
            raise CommunityError("only questions are locked")
        if not await self.store.moderate(kind, post_id, action, actor=actor.id, now=self.clock()):
            raise CommunityError(f"no such {kind}", code="not_found")

    async def review_queue(self, *, limit: int = 50) -> tuple[list[Flagged], list[Question]]:
        """What waits for the moderators: reported posts, and accepted answers not yet
        promoted into the knowledge base."""
        return (
            await self.store.flagged(limit=limit),
            await self.store.awaiting_promotion(limit=limit),
        )

    async def report(self, reporter: str, kind: str, post_id: int) -> bool:
        if kind not in ("question", "answer"):
            raise CommunityError("kind: question or answer")
        counted = await self.store.report(kind, post_id, reporter, self.clock())
        if counted and self.audit is not None:
            await self.audit.record(
                at=self.clock(), actor=reporter, action="community.report",
                subject=f"{kind}:{post_id}",
            )  # fmt: skip
        return counted

    async def promote(self, actor: Author, question_id: int, kb: Path) -> Path:
        """Write the question and its accepted answer as a knowledge-base draft."""
        question = await self._question(question_id)
        if question.accepted_answer is None:
            raise CommunityError("only a question with an accepted answer is promoted")
        answer = await self.store.answer(question.accepted_answer)
        if answer is None:
            raise CommunityError("the accepted answer is gone", code="not_found")
        similar = await self.store.search(question.language, question.title, limit=SIMILAR + 1)
        wordings = [question.title] + [q.title for q in similar if q.id != question.id]
        credit = CREDIT.get(question.language, CREDIT["en"]).format(name=answer.author_name)
        path = await asyncio.to_thread(
            write_community_draft, kb, question.language, wordings, answer.body, credit
        )
        await self.store.mark_promoted(question_id)
        await self._audit(actor, "community.promote", f"question:{question_id}", draft=path.name)
        return path

    async def unanswered(self, *, limit: int = 50) -> list[Question]:
        return await self.store.unanswered(self.clock() - UNANSWERED_AFTER, limit=limit)

    async def most_viewed_without_entry(self, *, limit: int = 20) -> list[Question]:
        """The most-viewed questions the knowledge base does not answer with confidence."""
        viewed = await self.store.most_viewed(limit=limit * 3)
        if self.brain is None:
            return viewed[:limit]
        matcher = self.brain().matcher
        found = [q for q in viewed if matcher.match(q.title, q.language).decision != "answer"]
        return found[:limit]

    async def accepted_answers(
        self, text: str, language: str, *, limit: int = 2
    ) -> list[CommunityAnswer]:
        """Accepted answers of questions like `text`: what the bot may offer."""
        found: list[CommunityAnswer] = []
        for question in await self.store.search(language, text, limit=limit, accepted=True):
            if question.accepted_answer is None:
                continue
            answer = await self.store.answer(question.accepted_answer)
            if answer is not None and not answer.hidden:
                found.append(CommunityAnswer(question, answer))
        return found

    async def suggest(self, text: str, language: str) -> list[CommunitySuggestion]:
        """The dialogue's CommunityLookup: an accepted answer to a question that shares at
        least half of the message's words (and two, if it has two), or nothing."""
        asked = _words(text)
        if not asked:
            return []
        needed = max(min(2, len(asked)), math.ceil(len(asked) / 2))
        for found in await self.accepted_answers(text, language, limit=3):
            question = found.question
            if len(asked & _words(f"{question.title} {question.body}")) >= needed:
                url = f"{self.public_url}/community/{question.language}/{question.id}"
                return [
                    CommunitySuggestion(question.title, found.answer.body, url, question.language)
                ]
        return []

    async def _question(self, question_id: int) -> Question:
        question = await self.store.question(question_id)
        if question is None:
            raise CommunityError("no such question", code="not_found")
        return question

    async def _audit(self, actor: Author, action: str, subject: str, **details: object) -> None:
        if self.audit is None:
            logger.warning("no audit log: %s on %s not recorded", action, subject)
            return
        await self.audit.record(
            at=self.clock(), actor=actor.id, action=action, subject=subject, details=details
        )


def _words(text: str) -> set[str]:
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c)
    )
    return {w for w in re.findall(r"\w+", plain) if len(w) > 3}
