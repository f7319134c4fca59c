"""What the assistant says in its own words, per language (en, pt, es)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Hi! I'm the shop assistant. Ask me about orders, delivery, returns or payments.",
        "pt": "Olá! Sou o assistente da loja. Pergunte sobre encomendas, entregas, devoluções ou pagamentos.",
        "es": "¡Hola! Soy el asistente de la tienda. Pregúntame por pedidos, envíos, devoluciones o pagos.",
    },
    "choose": {
        "en": "I'm not completely sure what you mean. Is it one of these?",
        "pt": "Não tenho a certeza do que pretende. É uma destas?",
        "es": "No estoy del todo seguro de lo que quieres decir. ¿Es una de estas?",
    },
    "unknown": {
        "en": "I'm not sure I can answer that. These are the closest topics I know:",
        "pt": "Não tenho a certeza de que consigo responder. Estes são os temas mais próximos:",
        "es": "No estoy seguro de poder responder a eso. Estos son los temas más cercanos:",
    },
    "unknown_empty": {
        "en": "I'm sorry, I don't know the answer to that.",
        "pt": "Peço desculpa, não sei a resposta a isso.",
        "es": "Lo siento, no sé la respuesta a eso.",
    },
    "offer_person": {
        "en": "Talk to a person",
        "pt": "Falar com uma pessoa",
        "es": "Hablar con una persona",
    },
    "still_unknown": {
        "en": "I still can't find an answer. Would you like a person to help you?",
        "pt": "Continuo sem encontrar uma resposta. Quer que uma pessoa o ajude?",
        "es": "Sigo sin encontrar una respuesta. ¿Quieres que te ayude una persona?",
    },
    "handoff": {
        "en": "I'm passing you to a person from our team. They will see this conversation, so you won't need to repeat anything.",
        "pt": "Vou passá-lo a uma pessoa da nossa equipa. Ela verá esta conversa, por isso não precisa de repetir nada.",
        "es": "Te paso con una persona de nuestro equipo. Verá esta conversación, así que no tendrás que repetir nada.",
    },
    "action_failed": {
        "en": "Sorry, I couldn't do that just now. Please try again in a moment, or ask for a person.",
        "pt": "Desculpe, não consegui fazer isso agora. Tente daqui a pouco ou peça para falar com uma pessoa.",
        "es": "Lo siento, no he podido hacerlo ahora. Inténtalo de nuevo en un momento o pide hablar con una persona.",
    },
    "error": {
        "en": "Sorry, something went wrong on our side. Please try again.",
        "pt": "Desculpe, algo correu mal do nosso lado. Tente novamente.",
        "es": "Lo siento, algo ha fallado por nuestra parte. Inténtalo de nuevo.",
    },
}


def say(key: str, language: str | None) -> str:
    """The text `key` in `language`, falling back to English."""
    options = TEXTS[key]
    return options.get(language or "en") or options["en"]
