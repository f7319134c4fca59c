"""What the assistant says in its own words, per language (en, pt, es)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "satisfaction_thanks": {
        "en": "Thank you for telling us.",
        "pt": "Obrigado por nos dizer.",
        "es": "Gracias por decírnoslo.",
    },
    "satisfaction_sorry": {
        "en": "We are sorry it was not good. A person from our team will take this up with you.",
        "pt": "Lamentamos que não tenha corrido bem. Alguém da nossa equipa vai falar consigo.",
        "es": "Sentimos que no haya ido bien. Una persona de nuestro equipo hablará contigo.",
    },
    "watch_saved": {
        "en": "Noted: I will let you know.",
        "pt": "Combinado: eu aviso.",
        "es": "Anotado: te avisaré.",
    },
    "notices_stopped": {
        "en": "Done: we will send you no more messages of our own. You can still write to us.",
        "pt": "Feito: não lhe enviaremos mais mensagens por iniciativa nossa. Pode continuar a escrever-nos.",
        "es": "Hecho: no te enviaremos más mensajes por iniciativa propia. Puedes seguir escribiéndonos.",
    },
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
    "did_you_mean": {
        "en": "I'm not completely sure what you mean. Is it this?",
        "pt": "Não tenho a certeza do que pretende. É isto?",
        "es": "No estoy del todo seguro de lo que quieres decir. ¿Es esto?",
    },
    "unknown": {
        "en": "I'm not sure I can answer that. These are the closest topics I know:",
        "pt": "Não tenho a certeza de que consigo responder. Estes são os temas mais próximos:",
        "es": "No estoy seguro de poder responder a eso. Estos son los temas más cercanos:",
    },
    "community_answer": {
        "en": "Our knowledge base has no answer, but our community does (from customers, not"
        " staff): **{title}**\n\n{answer}\n\n[See the discussion]({url})",
        "pt": "A nossa base de conhecimento não tem resposta, mas a comunidade tem (de clientes,"
        " não da equipa): **{title}**\n\n{answer}\n\n[Ver a discussão]({url})",
        "es": "Nuestra base de conocimiento no tiene respuesta, pero la comunidad sí (de"
        " clientes, no del equipo): **{title}**\n\n{answer}\n\n[Ver la conversación]({url})",
    },
    "unknown_one": {
        "en": "I'm not sure I can answer that. This is the closest topic I know:",
        "pt": "Não tenho a certeza de que consigo responder. Este é o tema mais próximo:",
        "es": "No estoy seguro de poder responder a eso. Este es el tema más cercano:",
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
    "at_risk": {
        "en": "I'm really sorry: that is not how it should be, and I understand why you're upset.",
        "pt": "Lamento muito: não é assim que devia ser, e compreendo que esteja aborrecido.",
        "es": "Lo siento mucho: no es así como debería ser, y entiendo que estés molesto.",
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


TEXTS.update(
    {
        "queued": {
            "en": "You are number {position} in the queue. Expected wait: about {minutes} min. You can keep writing: the person who takes over will read it.",
            "pt": "Está em {position}.º lugar na fila. Espera prevista: cerca de {minutes} min. Pode continuar a escrever: quem o atender vai ler tudo.",
            "es": "Eres el número {position} en la cola. Espera prevista: unos {minutes} min. Puedes seguir escribiendo: quien te atienda lo leerá.",
        },
        "queued_no_estimate": {
            "en": "You are number {position} in the queue. You can keep writing: the person who takes over will read it.",
            "pt": "Está em {position}.º lugar na fila. Pode continuar a escrever: quem o atender vai ler tudo.",
            "es": "Eres el número {position} en la cola. Puedes seguir escribiendo: quien te atienda lo leerá.",
        },
        "offline": {
            "en": "Our team is not available right now; we are back {when}. Leave your email here and we will reply to you there.",
            "pt": "A nossa equipa não está disponível agora; voltamos {when}. Deixe aqui o seu email e respondemos por lá.",
            "es": "Nuestro equipo no está disponible ahora; volvemos {when}. Déjanos tu email aquí y te responderemos allí.",
        },
        "handoff_limited": {
            "en": "We're getting a great many requests for a person from your network right now, so I can't queue this one. Please try again later, or keep asking me here.",
            "pt": "Estamos a receber muitos pedidos para falar com uma pessoa a partir da sua rede neste momento, por isso não consigo pôr este na fila. Tente mais tarde, ou continue a perguntar-me aqui.",
            "es": "Estamos recibiendo muchísimas solicitudes para hablar con una persona desde tu red en este momento, así que no puedo poner esta en la cola. Inténtalo más tarde, o sigue preguntándome aquí.",
        },
        "offline_unknown": {
            "en": "Nobody from our team is available right now. Leave your email here and we will reply to you there.",
            "pt": "Ninguém da nossa equipa está disponível agora. Deixe aqui o seu email e respondemos por lá.",
            "es": "No hay nadie de nuestro equipo disponible ahora. Déjanos tu email aquí y te responderemos allí.",
        },
        "offline_staffed": {
            "en": "Everyone on our team is away from the chat right now; we are open and will be back here shortly. Leave your email here and we will reply to you there if we miss you.",
            "pt": "A nossa equipa está ausente do chat neste momento; estamos abertos e voltamos em breve. Deixe aqui o seu email e respondemos por lá se não o encontrarmos.",
            "es": "Nuestro equipo no está en el chat ahora mismo; estamos abiertos y volvemos en breve. Déjanos tu email aquí y te responderemos allí si no te encontramos.",
        },
        "contact_noted": {
            "en": "Got it: we have added this to your request and will reply to {email}.",
            "pt": "Recebido: juntámos isto ao seu pedido e responderemos para {email}.",
            "es": "Recibido: lo hemos añadido a tu solicitud y responderemos a {email}.",
        },
        "goodwill_credit": {
            "en": "A credit of {amount} was added to your account.",
            "pt": "Foi adicionado à sua conta um crédito de {amount}.",
            "es": "Se ha añadido a tu cuenta un crédito de {amount}.",
        },
        "goodwill_refund": {
            "en": "A refund of {amount} is on its way{order}.",
            "pt": "Um reembolso de {amount} está a caminho{order}.",
            "es": "Un reembolso de {amount} está en camino{order}.",
        },
        "contact_saved": {
            "en": "Thank you: we will reply to {email} as soon as we are back.",
            "pt": "Obrigado: responderemos para {email} assim que voltarmos.",
            "es": "Gracias: responderemos a {email} en cuanto volvamos.",
        },
        "agent_joined": {
            "en": "{name} from our team has joined the conversation.",
            "pt": "{name}, da nossa equipa, entrou na conversa.",
            "es": "{name}, de nuestro equipo, se ha unido a la conversación.",
        },
        "agent_transferred": {
            "en": "{name} from our team is taking over the conversation.",
            "pt": "{name}, da nossa equipa, vai continuar a conversa.",
            "es": "{name}, de nuestro equipo, continúa la conversación.",
        },
        "resolved": {
            "en": "I'm back to help if you need anything else. How would you rate this conversation?",
            "pt": "Estou de volta para ajudar no que precisar. Como avalia esta conversa?",
            "es": "Vuelvo a estar aquí para lo que necesites. ¿Cómo valorarías esta conversación?",
        },
        "rated": {
            "en": "Thank you for your rating! If you like, tell me in a sentence what we could do better.",
            "pt": "Obrigado pela avaliação! Se quiser, diga-me numa frase o que podíamos fazer melhor.",
            "es": "¡Gracias por tu valoración! Si quieres, dime en una frase qué podríamos mejorar.",
        },
        "comment_thanks": {
            "en": "Thank you, that helps us improve.",
            "pt": "Obrigado, isso ajuda-nos a melhorar.",
            "es": "Gracias, eso nos ayuda a mejorar.",
        },
        "unhelpful": {
            "en": "Sorry that didn't help. Could you say it in other words? Or I can get you a person.",
            "pt": "Lamento que não tenha ajudado. Pode dizer de outra forma? Ou posso chamar uma pessoa.",
            "es": "Siento que no haya servido. ¿Puedes decirlo de otra forma? O puedo pasarte con una persona.",
        },
        "helpful_thanks": {
            "en": "Glad it helped!",
            "pt": "Ainda bem que ajudou!",
            "es": "¡Me alegro de que te haya servido!",
        },
        "private_hidden": {
            "en": "(hidden: personal details are shown again once you confirm it's you)",
            "pt": "(oculto: os dados pessoais voltam a aparecer quando confirmar que é você)",
            "es": "(oculto: los datos personales se vuelven a mostrar cuando confirmes que eres tú)",
        },
    }
)


def say(key: str, language: str | None, **values: object) -> str:
    """The text `key` in `language` (falling back to English), with `{values}` filled in."""
    options = TEXTS[key]
    text = options.get(language or "en") or options["en"]
    return text.format(**values) if values else text
