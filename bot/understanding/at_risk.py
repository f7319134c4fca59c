"""At-risk reading: a relationship in danger, even inside a longer message.

A customer who says they will never buy again, who insults the shop or the
assistant, or who is plainly angry must reach a person first, whatever else
the message asks (#17). The detector is rule-based and language-agnostic in
use (a message is read against the English, Portuguese and Spanish lexicons
at once, since an angry message is often too short or too mixed to detect its
language), so it needs no training and explains itself: it returns the signals
it found.

Signals, each with a weight; a message is at risk at AT_RISK_SCORE:
- churn (leaving: "never buying from you again", "vou deixar de comprar",
  "no vuelvo a compraros", "cancel my account"), weight 2;
- insult (about the shop, its service or the assistant: "your bot is useless",
  "que vergonha", "qué vergüenza de tienda", "scam"), weight 2;
- anger ("I'm furious", "fed up", "farto", "harto", "very disappointed"), weight 1;
- shouting (!!! or ?!?, or several words in capitals), weight 1;
- complaint (a formal complaint, "unacceptable", "disappointed"), weight 1.
An ordinary complaint about a topic ("my parcel came damaged, can I get a new
one?") carries none of these, or only one weak one, and goes to its topic.

benchmarks/cases/at_risk.csv is the labelled set; `make bench-nlu` reports
precision and recall on its held-out half.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.understanding.normalise import strip_accents

AT_RISK_SCORE = 2


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b")


# patterns run on lower-case text without accents
_CHURN = _any(
    # en
    r"never (?:\w+ )?(?:buy|buying|order|ordering|shop|shopping|use|using|come|coming)\w*"
    r"(?: \w+){0,3} again",
    r"(?:won'?t|will not|wont|not going to|never going to) (?:\w+ )?(?:buy|order|shop|use)\w*"
    r"(?: \w+){0,4} (?:again|anymore|any more)",
    r"(?:cancel|close|delete) (?:my|the) account",
    r"(?:last|final) (?:time|order) (?:i|from|with)",
    r"(?:taking|take) my (?:business|money) elsewhere",
    r"(?:go|going|switch|switching) to (?:a |your )?competitors?",
    r"done with (?:you|this shop|this store|your)",
    r"(?:i'?m|i am) (?:leaving|done)",
    r"unsubscribe me from everything",
    # pt
    r"(?:vou|irei) deixar de (?:comprar|encomendar|ser cliente)",
    r"nunca mais (?:\w+ )?(?:compro|comprarei|encomendo|volto|vou comprar)",
    r"nao (?:volto|voltarei|vou voltar) a (?:comprar|encomendar)",
    r"(?:fech|cancel|apag|elimin)\w* (?:a )?minha conta",
    r"(?:ultima|ultima) vez que (?:compro|encomendo)",
    r"vou (?:passar a )?comprar (?:a|na|noutra) (?:concorrencia|outra loja)",
    r"perderam (?:um|uma) client[ea]",
    # es
    r"no (?:vuelvo|volvere|voy a volver) a (?:compra\w*|pedir\w*)",
    r"nunca mas (?:\w+ )?(?:compro|comprare|pido|vuelvo)",
    r"no (?:os |les )?(?:vuelvo|volvere) a comprar",
    r"(?:darme|me doy|dar) de baja",
    r"(?:cerr|cancel|borr|elimin)\w* (?:mi )?cuenta",
    r"(?:ultima|ultima) vez que (?:compro|pido)",
    r"(?:han|habeis|has) perdido (?:a )?(?:un|una) client[ea]",
    r"me voy a la competencia",
)
_INSULT = _any(
    # en
    r"(?:bot|assistant|service|shop|store|company|website|site|support) (?:is|are) "
    r"(?:useless|rubbish|garbage|a joke|pathetic|a disgrace|terrible|awful|the worst)",
    r"useless (?:bot|assistant|shop|store|service|company)",
    r"(?:what a|this is a|such a) (?:joke|disgrace|scam|shambles|rip ?off)",
    r"ridiculous",
    r"scam(?:mers)?",
    r"rip ?off",
    r"pathetic",
    r"worst (?:shop|store|service|company|experience) ever",
    r"shame on you",
    r"disgusting",
    # pt
    r"que vergonha",
    r"(?:uma|e uma|que) (?:vergonha|palhacada|burla|fraude|treta)",
    r"vergonha de loja",
    r"(?:bot|assistente|servico|loja|empresa|atendimento) (?:e|sao) (?:inutil|uma miseria|"
    r"pessimo|pessima|uma vergonha|uma anedota|uma treta)",
    r"(?:inutil|pessimo|pessima|lamentavel|ridiculo|ridicula|vigaristas|ladroes)",
    # es
    r"que verguenza",
    r"verguenza de (?:tienda|empresa|servicio)",
    r"(?:una|es una|menuda) (?:verguenza|estafa|tomadura de pelo|broma|porqueria)",
    r"(?:bot|asistente|servicio|tienda|empresa|atencion) (?:es|son) (?:inutil|una basura|"
    r"penoso|penosa|pesimo|pesima|lamentable|un desastre)",
    r"(?:inutiles|estafadores|ladrones|penoso|penosa|pesimo|pesima|patetico|patetica)",
    r"(?:timo|estafa|asco)",
)
_ANGER = _any(
    r"furious",
    r"fed up",
    r"(?:so|really|very) angry",
    r"sick (?:and tired )?of",
    r"(?:had|have had) enough",
    r"outraged",
    r"fart[oa]",
    r"(?:estou|fiquei|estoy) (?:furios[oa]|indignad[oa]|revoltad[oa]|chatead[oa]|enfadad[oa]|"
    r"cabread[oa]|mosque[oa]d[oa])",
    r"hart[oa]",
    r"indignante",
    r"estou cheio",
    r"(?:very |so |really |muito |muy )?(?:disappointed|desiludid[oa]|decepcionad[oa])",
)
_COMPLAINT = _any(
    r"(?:formal )?complaint",
    r"complain(?:ing)?",
    r"unacceptable",
    r"(?:livro de )?reclamac(?:ao|oes)",
    r"inaceitavel",
    r"hoja de reclamaciones",
    r"reclamacion",
    r"inaceptable",
    r"queja",
    r"again and again|vezes sem conta|una y otra vez",
)
_SHOUT = re.compile(r"[!?]{3,}")
_CAPS_WORD = re.compile(r"\b[A-ZÁÉÍÓÚÃÕÇÑ]{4,}\b")

WEIGHTS = {"churn": 2, "insult": 2, "anger": 1, "shouting": 1, "complaint": 1}


@dataclass(frozen=True)
class AtRisk:
    signals: tuple[str, ...]  # which of WEIGHTS were found, in that order

    @property
    def score(self) -> int:
        return sum(WEIGHTS[s] for s in self.signals)

    @property
    def at_risk(self) -> bool:
        return self.score >= AT_RISK_SCORE


def read_at_risk(text: str) -> AtRisk:
    """The at-risk signals in `text` (any of en, pt, es)."""
    plain = strip_accents(text.lower()).replace("’", "'")
    found: list[str] = []
    if _CHURN.search(plain):
        found.append("churn")
    if _INSULT.search(plain):
        found.append("insult")
    if _ANGER.search(plain):
        found.append("anger")
    if _SHOUT.search(text) or len(_CAPS_WORD.findall(text)) >= 2:
        found.append("shouting")
    if _COMPLAINT.search(plain):
        found.append("complaint")
    return AtRisk(tuple(found))
