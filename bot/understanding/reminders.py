"""Reminders asked for in chat, read by their words before any topic is matched.

Two knowledge entries are reached this way, not by examples the engine learns:
- `remember-occasion`: a date worth remembering, "remember my mother's birthday is on
  12 March", "o aniversário da minha mãe é a 12 de março", "recuérdame el cumpleaños de
  mi madre, el 12 de marzo": an occasion word (birthday, anniversary, aniversário,
  cumpleaños...), a calendar date (the `date` entity, a day and a month by its name),
  and either a word of remembering (remember, remind, lembre, recuérdame, apunta...) or
  the plain statement "<occasion> is <date>";
- `reminders`: the customer's yes or no to reminders and offers, "send me offers", "sign
  me up for reminders", "no more reminders", "envie-me lembretes", "sin recordatorios":
  reminders or offers named with a first-person request or a switch (send me, sign me up,
  I want, turn off, no more, envie-me, quero, desativar, envíame, quiero, sin...). A
  question about them ("do you send offers?") is none, nor anything about the newsletter
  (its own entry). Whether it is a yes or a no is the action's reading
  (`bot.core.notices.wants_reminders`).

Why not examples: entries added to the knowledge base move the engine's calibration,
and these two, even with their question alone, cost 6 points of the Portuguese and
Spanish paraphrase cases (docs/benchmarks.md). Read by pattern, they leave the engine
as it was (`samples_from_kb` leaves them out) and need the date a reminder needs anyway.
Each pattern runs on lower-case text without accents or punctuation, in linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.understanding.entities import DAY_MONTH, MONTH_DAY
from bot.understanding.matching import Entity, normalise
from bot.understanding.normalise import strip_accents

OCCASION_ENTRY = "remember-occasion"
REMINDERS_ENTRY = "reminders"
BY_PATTERN = frozenset({OCCASION_ENTRY, REMINDERS_ENTRY})  # not trained: read here


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


_OCCASION = r"(?:birthday|bday|anniversary|aniversario|cumpleanos|cumple)"
_MONTHS = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro"
    r"|enero|febrero|marzo|mayo|junio|julio|septiembre|octubre|noviembre|diciembre)"
)
OCCASION = _any(_OCCASION)
REMEMBER = _any(
    r"remember", r"remind(?:er|ers|ing)?", r"note(?: down)?", r"save(?: the| a)? date",
    r"(?:don t|do not|never) (?:let me )?forget", r"keep (?:a )?note",
    r"lembr\w*", r"recorde\w*", r"guarde\w*", r"anot[ae]\w*", r"tom[ae] nota",
    r"nao (?:se |te )?esquec\w*", r"nao me deix\w* esquecer",
    r"recuerda\w*", r"recordar\w*", r"recordatorio", r"apunta\w*", r"guarda\w*",
    r"no (?:te |os )?olvid\w*", r"no me dej\w* olvidar",
)  # fmt: skip
# "<occasion> [of my mother] is [on] <date>", in a few words
STATEMENT = re.compile(
    rf"\b{_OCCASION}\b(?: \w+){{0,5}}? (?:is|s|will be|falls on|e|sera|cai|es|cae)"
    rf"(?: (?:on|the|a|em|no|dia|el|of|de))* (?:\d{{1,2}}|{_MONTHS})\b"
)
_CALENDAR = (DAY_MONTH, MONTH_DAY)  # a month by its name, as the action reads it

_OBJECT = r"(?:reminders?|offers|lembretes?|ofertas|recordatorios?)"
_FEW = r"(?: \w+){0,3}?"
CONSENT = _any(
    # asked for her: send me, sign me up, envie-me, envíame...
    rf"(?:send|email|e mail|mail|sign|subscribe) me(?: up)?{_FEW} {_OBJECT}",
    rf"(?:envie|enviem|enviar|mande|mandem|mandar|inscreva|inscrevam|subscreva) me{_FEW}"
    rf" {_OBJECT}",
    rf"(?:enviame|enviadme|enviarme|mandame|mandadme|mandarme|apuntame|suscribeme){_FEW}"
    rf" {_OBJECT}",
    # wanted or not: I want your reminders, não quero mais lembretes, ya no quiero...
    rf"(?:i want|i d like|i would like|i don t want|i do not want)(?: to (?:get|receive))?"
    rf"(?: (?:your|the|any|more)){{0,2}} {_OBJECT}",
    rf"(?:quero|gostava de|gostaria de|nao quero)(?: receber)?(?: mais)?"
    rf"(?: (?:os|vossos|os vossos))? {_OBJECT}",
    rf"(?:quiero|me gustaria|no quiero)(?: recibir)?(?: mas)?(?: (?:los|vuestros|sus))?"
    rf" {_OBJECT}",
    # switched on or off: turn off reminders, sim aos lembretes, sin recordatorios...
    rf"(?:turn|switch) (?:on|off)(?: the| my)? {_OBJECT}",
    rf"(?:yes to|no|no more|stop|cancel\w*|ativar|ativem|desativ\w*|ligar|deslig\w*|parem|sem"
    rf"|sim aos|activar|activad|desactiv\w*|apagad|parad|sin|si a)(?: \w+){{0,2}}? {_OBJECT}",
    r"stop reminding me",
    r"deixem de me lembrar",
    r"dejad de recordarme",
)
# asking about them is not saying yes or no: "can I turn them off?", "posso desativar...?"
QUESTION = re.compile(
    r"^(?:can i|could i|may i|how|do you|does|posso|como|e possivel|puedo|se puede)\b"
)
NEWSLETTER = _any(r"newsletter", r"boletim", r"boletin", r"mailing list", r"lista de correo")


def read_request(text: str, entities: Iterable[Entity]) -> str | None:
    """The entry a message asks for by its words (OCCASION_ENTRY or REMINDERS_ENTRY), or
    None. `entities` are the message's (bot.understanding.entities)."""
    plain = normalise(text)
    remembering = REMEMBER.search(plain) or STATEMENT.search(plain)
    if remembering and OCCASION.search(plain) and _has_calendar_date(text, entities):
        return OCCASION_ENTRY
    asking = "?" in text or QUESTION.match(plain)
    if not asking and CONSENT.search(plain) and not NEWSLETTER.search(plain):
        return REMINDERS_ENTRY
    return None


def _has_calendar_date(text: str, entities: Iterable[Entity]) -> bool:
    """A `date` entity that names a day and its month ("12 March", "March 12th"), not a
    number alone ("12/03": which is the month?) nor a relative one ("tomorrow")."""
    lowered = text.lower()
    for entity in entities:
        if entity.kind == "date":
            said = strip_accents(lowered[entity.start : entity.end])
            if any(pattern.fullmatch(said) for pattern in _CALENDAR):
                return True
    return False
