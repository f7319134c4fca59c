"""What the actions say, in English, European Portuguese and Spain Spanish; money and dates too."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

LANGUAGES = ("en", "pt", "es")

TEXTS: dict[str, dict[str, str]] = {
    "verify_intro": {
        "en": "To keep your details safe, I first need to check it's you.",
        "pt": "Para proteger os seus dados, preciso primeiro de confirmar que é você.",
        "es": "Para proteger tus datos, primero tengo que comprobar que eres tú.",
    },
    "ask_order": {
        "en": "What's the number of one of your orders? You'll find it in the confirmation email.",
        "pt": "Qual é o número de uma das suas encomendas? Está no email de confirmação.",
        "es": "¿Cuál es el número de uno de tus pedidos? Lo encontrarás en el email de confirmación.",
    },
    "ask_contact": {
        "en": "Thanks. Now the email address (or the postcode) used for order {order}, please.",
        "pt": "Obrigado. Agora indique o email (ou o código postal) usado na encomenda {order}.",
        "es": "Gracias. Ahora dime el email (o el código postal) que usaste en el pedido {order}.",
    },
    "verified": {
        "en": "Thank you, that's you confirmed.",
        "pt": "Obrigado, está confirmado.",
        "es": "Gracias, ya te he verificado.",
    },
    "mismatch": {
        "en": "Sorry, those details don't match our records. Attempts left: {left}.",
        "pt": "Lamento, esses dados não coincidem com os nossos registos. Tentativas restantes: {left}.",
        "es": "Lo siento, esos datos no coinciden con nuestros registros. Intentos restantes: {left}.",
    },
    "locked_conversation": {
        "en": "For your security I can't try any more checks in this chat. A person from our team can help you.",
        "pt": "Por segurança, não posso fazer mais verificações nesta conversa. Uma pessoa da nossa equipa pode ajudá-lo.",
        "es": "Por seguridad, no puedo hacer más comprobaciones en este chat. Una persona de nuestro equipo puede ayudarte.",
    },
    "locked_order": {
        "en": "That order has had too many failed checks in the last 24 hours, so I can't use it to verify you now. Please try again tomorrow, or ask a person.",
        "pt": "Essa encomenda teve demasiadas verificações falhadas nas últimas 24 horas, por isso não a posso usar agora. Tente amanhã ou peça para falar com uma pessoa.",
        "es": "Ese pedido ha tenido demasiadas comprobaciones fallidas en las últimas 24 horas, así que no puedo usarlo ahora. Inténtalo mañana o pide hablar con una persona.",
    },
    "verify_gave_up": {
        "en": "No problem. Whenever you have your order number to hand, just ask again.",
        "pt": "Sem problema. Quando tiver o número da encomenda, é só perguntar outra vez.",
        "es": "Sin problema. Cuando tengas el número de pedido a mano, vuelve a preguntar.",
    },
    "person_button": {
        "en": "Talk to a person",
        "pt": "Falar com uma pessoa",
        "es": "Hablar con una persona",
    },
    "order_not_found": {
        "en": "I can't find order {order} on your account. Could you check the number?",
        "pt": "Não encontro a encomenda {order} na sua conta. Pode confirmar o número?",
        "es": "No encuentro el pedido {order} en tu cuenta. ¿Puedes revisar el número?",
    },
    "no_orders": {
        "en": "I can't see any orders on your account yet.",
        "pt": "Ainda não vejo encomendas na sua conta.",
        "es": "Todavía no veo pedidos en tu cuenta.",
    },
    "order_status": {
        "en": "Order {order} (placed {date}, {total}) is {status}: {meaning}.",
        "pt": "A encomenda {order} (feita a {date}, {total}) está {status}: {meaning}.",
        "es": "El pedido {order} (hecho el {date}, {total}) está {status}: {meaning}.",
    },
    "tracking": {
        "en": "Carrier: {carrier}, tracking code {code}.",
        "pt": "Transportadora: {carrier}, código de seguimento {code}.",
        "es": "Transportista: {carrier}, código de seguimiento {code}.",
    },
    "eta": {
        "en": "Expected delivery: {date}.",
        "pt": "Entrega prevista: {date}.",
        "es": "Entrega prevista: {date}.",
    },
    "delivered_on": {
        "en": "Delivered on {date}.",
        "pt": "Entregue a {date}.",
        "es": "Entregado el {date}.",
    },
    "items": {
        "en": "Items: {items}.",
        "pt": "Artigos: {items}.",
        "es": "Artículos: {items}.",
    },
    "recent_header": {
        "en": "Your recent orders:",
        "pt": "As suas encomendas recentes:",
        "es": "Tus pedidos recientes:",
    },
    "recent_line": {
        "en": "• {order} · {date} · {total} · {status}",
        "pt": "• {order} · {date} · {total} · {status}",
        "es": "• {order} · {date} · {total} · {status}",
    },
    "payments_order_header": {
        "en": "Payments and refunds for order {order}:",
        "pt": "Pagamentos e reembolsos da encomenda {order}:",
        "es": "Pagos y reembolsos del pedido {order}:",
    },
    "payments_account_header": {
        "en": "Latest payments and refunds on your account:",
        "pt": "Últimos pagamentos e reembolsos na sua conta:",
        "es": "Últimos pagos y reembolsos de tu cuenta:",
    },
    "no_payments": {
        "en": "I can't find any payments for that.",
        "pt": "Não encontro pagamentos para isso.",
        "es": "No encuentro pagos para eso.",
    },
    "transaction_line": {
        "en": "• {kind} of {amount} ({method}) on {date}: {status} — {meaning}",
        "pt": "• {kind} de {amount} ({method}) a {date}: {status} — {meaning}",
        "es": "• {kind} de {amount} ({method}) el {date}: {status} — {meaning}",
    },
    "return_ask_order": {
        "en": "Which order would you like to return or cancel? Please type its number.",
        "pt": "Que encomenda quer devolver ou cancelar? Escreva o número, por favor.",
        "es": "¿Qué pedido quieres devolver o cancelar? Escribe su número, por favor.",
    },
    "return_recorded": {
        "en": "I've recorded your return request {ref} for order {order}. You'll receive a prepaid return label by email within one working day; returns are accepted until {deadline}.",
        "pt": "Registei o seu pedido de devolução {ref} para a encomenda {order}. Vai receber por email uma etiqueta de devolução pré-paga num dia útil; aceitamos a devolução até {deadline}.",
        "es": "He registrado tu solicitud de devolución {ref} del pedido {order}. Recibirás por email una etiqueta de devolución prepagada en un día laborable; aceptamos la devolución hasta el {deadline}.",
    },
    "cancel_recorded": {
        "en": "I've recorded a cancellation request {ref} for order {order}. Once our team confirms it, you'll get a full refund to your original payment method.",
        "pt": "Registei o pedido de cancelamento {ref} da encomenda {order}. Assim que a equipa o confirmar, recebe o reembolso total no meio de pagamento original.",
        "es": "He registrado la solicitud de cancelación {ref} del pedido {order}. Cuando nuestro equipo la confirme, recibirás el reembolso completo en tu método de pago original.",
    },
    "already_requested": {
        "en": "There's already an open request ({ref}) for order {order}; our team is on it.",
        "pt": "Já existe um pedido em aberto ({ref}) para a encomenda {order}; a nossa equipa está a tratar dele.",
        "es": "Ya hay una solicitud abierta ({ref}) para el pedido {order}; nuestro equipo se está ocupando.",
    },
    "outside_in_transit": {
        "en": "Order {order} is already on its way, so I can't cancel it here. You can return it within {days} days of delivery, or a person can help you now.",
        "pt": "A encomenda {order} já está a caminho, por isso não a posso cancelar aqui. Pode devolvê-la até {days} dias após a entrega, ou uma pessoa pode ajudá-lo agora.",
        "es": "El pedido {order} ya está en camino, así que no puedo cancelarlo aquí. Puedes devolverlo en los {days} días siguientes a la entrega, o una persona puede ayudarte ahora.",
    },
    "outside_too_late": {
        "en": "Order {order} was delivered on {date}, more than {days} days ago, so it's outside our return window. A person from our team can look at your case.",
        "pt": "A encomenda {order} foi entregue a {date}, há mais de {days} dias, por isso já está fora do prazo de devolução. Uma pessoa da nossa equipa pode analisar o seu caso.",
        "es": "El pedido {order} se entregó el {date}, hace más de {days} días, así que está fuera del plazo de devolución. Una persona de nuestro equipo puede revisar tu caso.",
    },
    "outside_closed": {
        "en": "Order {order} is already {status}, so there's nothing to cancel or return. If something isn't right, a person can help.",
        "pt": "A encomenda {order} já está {status}, por isso não há nada a cancelar ou devolver. Se algo não estiver bem, uma pessoa pode ajudar.",
        "es": "El pedido {order} ya está {status}, así que no hay nada que cancelar o devolver. Si algo no va bien, una persona puede ayudarte.",
    },
    "reco_header": {
        "en": "A few things picked for you:",
        "pt": "Algumas sugestões escolhidas para si:",
        "es": "Algunas sugerencias elegidas para ti:",
    },
    "reco_line": {
        "en": "• {name} — {price}: {reason}",
        "pt": "• {name} — {price}: {reason}",
        "es": "• {name} — {price}: {reason}",
    },
    "reason_upsell": {
        "en": "an upgrade of your {owned}",
        "pt": "uma versão melhor de {owned}, que já tem",
        "es": "una versión mejor de {owned}, que ya tienes",
    },
    "reason_bought_together": {
        "en": "because you bought the {owned}",
        "pt": "por ter comprado {owned}",
        "es": "porque compraste {owned}",
    },
    "reason_same_category": {
        "en": "goes well with your {owned}",
        "pt": "combina com {owned}, que já tem",
        "es": "combina con {owned}, que ya tienes",
    },
    "reason_popular": {
        "en": "one of our best sellers",
        "pt": "um dos nossos mais vendidos",
        "es": "uno de nuestros más vendidos",
    },
    "occasion_saved": {
        "en": "Saved: {occasion}, on {date}. I'll send you a reminder with a few gift ideas a week before.",
        "pt": "Guardado: {occasion}, a {date}. Envio-lhe um lembrete com algumas ideias de presente uma semana antes.",
        "es": "Guardado: {occasion}, el {date}. Te enviaré un recordatorio con algunas ideas de regalo una semana antes.",
    },
    "occasion_saved_ask_opt_in": {
        "en": 'Saved: {occasion}, on {date}. To get the reminder a week before, say "yes, send me reminders".',
        "pt": 'Guardado: {occasion}, a {date}. Para receber o lembrete uma semana antes, diga "sim, envie-me lembretes".',
        "es": 'Guardado: {occasion}, el {date}. Para recibir el recordatorio una semana antes, di "sí, envíame recordatorios".',
    },
    "occasion_ask": {
        "en": 'Which day is it? Tell me the day and month, for example "my mother\'s birthday is on 12 March".',
        "pt": 'Em que dia é? Diga-me o dia e o mês, por exemplo "o aniversário da minha mãe é a 12 de março".',
        "es": '¿Qué día es? Dime el día y el mes, por ejemplo "el cumpleaños de mi madre es el 12 de marzo".',
    },
    "reminders_on": {
        "en": 'Done: you\'ll get our reminders and occasional offers by email. Write "stop" at any time to end them.',
        "pt": 'Feito: vai receber os nossos lembretes e ofertas ocasionais por email. Escreva "parar" quando quiser terminá-los.',
        "es": 'Hecho: recibirás nuestros recordatorios y ofertas ocasionales por email. Escribe "baja" cuando quieras dejarlos.',
    },
    "reminders_off": {
        "en": "Done: no more reminders or offers from us. You'll still hear about your orders.",
        "pt": "Feito: não lhe enviaremos mais lembretes nem ofertas. Continuará a receber notícias das suas encomendas.",
        "es": "Hecho: no te enviaremos más recordatorios ni ofertas. Seguirás recibiendo avisos de tus pedidos.",
    },
    "no_recommendations": {
        "en": "I don't have a suggestion for you right now, but our new arrivals are on the website.",
        "pt": "De momento não tenho sugestões para si, mas as novidades estão no site.",
        "es": "Ahora mismo no tengo sugerencias para ti, pero las novedades están en la web.",
    },
}

STATUS: dict[str, dict[str, tuple[str, str]]] = {  # order status -> (name, meaning)
    "pending": {
        "en": ("pending", "we've received it and are waiting for the payment to be confirmed"),
        "pt": ("pendente", "recebemo-la e aguardamos a confirmação do pagamento"),
        "es": ("pendiente", "lo hemos recibido y esperamos la confirmación del pago"),
    },
    "processing": {
        "en": ("being prepared", "we're packing it in our warehouse"),
        "pt": ("em preparação", "estamos a embalá-la no nosso armazém"),
        "es": ("en preparación", "lo estamos empaquetando en nuestro almacén"),
    },
    "shipped": {
        "en": ("shipped", "it's on its way to you"),
        "pt": ("enviada", "está a caminho"),
        "es": ("enviado", "está en camino"),
    },
    "delivered": {
        "en": ("delivered", "the carrier has handed it over"),
        "pt": ("entregue", "a transportadora já a entregou"),
        "es": ("entregado", "el transportista ya lo ha entregado"),
    },
    "cancelled": {
        "en": ("cancelled", "it won't be sent and any payment is refunded"),
        "pt": ("cancelada", "não será enviada e qualquer pagamento é reembolsado"),
        "es": ("cancelado", "no se enviará y cualquier pago se reembolsa"),
    },
    "returned": {
        "en": ("returned", "we've received it back"),
        "pt": ("devolvida", "já a recebemos de volta"),
        "es": ("devuelto", "ya lo hemos recibido de vuelta"),
    },
}

KIND: dict[str, dict[str, str]] = {
    "payment": {"en": "Payment", "pt": "Pagamento", "es": "Pago"},
    "refund": {"en": "Refund", "pt": "Reembolso", "es": "Reembolso"},
    "chargeback": {"en": "Chargeback", "pt": "Estorno bancário", "es": "Retrocesión bancaria"},
    "credit": {"en": "Store credit", "pt": "Crédito na loja", "es": "Crédito en tienda"},
}

MONEY_STATE: dict[
    tuple[str, str], dict[str, tuple[str, str]]
] = {  # (kind, status) -> (name, meaning)
    ("payment", "pending"): {
        "en": ("pending", "authorised, but not yet taken from your account"),
        "pt": ("pendente", "autorizado, mas ainda não debitado"),
        "es": ("pendiente", "autorizado, pero aún no cobrado"),
    },
    ("payment", "settled"): {
        "en": ("settled", "paid in full"),
        "pt": ("liquidado", "pago na totalidade"),
        "es": ("liquidado", "pagado por completo"),
    },
    ("payment", "refunded"): {
        "en": ("refunded", "the amount has been given back to you"),
        "pt": ("reembolsado", "o valor foi-lhe devolvido"),
        "es": ("reembolsado", "se te ha devuelto el importe"),
    },
    ("payment", "failed"): {
        "en": ("failed", "no money was taken"),
        "pt": ("falhado", "não foi cobrado nenhum valor"),
        "es": ("fallido", "no se cobró nada"),
    },
    ("refund", "pending"): {
        "en": ("pending", "we've sent it; banks usually take 3 to 5 working days to show it"),
        "pt": (
            "pendente",
            "já o enviámos; os bancos costumam demorar 3 a 5 dias úteis a mostrá-lo",
        ),
        "es": (
            "pendiente",
            "ya lo hemos enviado; los bancos suelen tardar de 3 a 5 días laborables en mostrarlo",
        ),
    },
    ("refund", "settled"): {
        "en": ("settled", "the money is back with you"),
        "pt": ("liquidado", "o dinheiro já está consigo"),
        "es": ("liquidado", "el dinero ya está de vuelta contigo"),
    },
    ("chargeback", "settled"): {
        "en": ("settled", "reversed through your bank"),
        "pt": ("liquidado", "revertido através do seu banco"),
        "es": ("liquidado", "revertido a través de tu banco"),
    },
    ("credit", "settled"): {
        "en": ("available", "you can use it on your next order"),
        "pt": ("disponível", "pode usá-lo na próxima encomenda"),
        "es": ("disponible", "puedes usarlo en tu próximo pedido"),
    },
}

METHOD: dict[str, dict[str, str]] = {
    "card": {"en": "card", "pt": "cartão", "es": "tarjeta"},
    "paypal": {"en": "PayPal", "pt": "PayPal", "es": "PayPal"},
    "mbway": {"en": "MB WAY", "pt": "MB WAY", "es": "MB WAY"},
    "multibanco": {"en": "Multibanco", "pt": "Multibanco", "es": "Multibanco"},
    "bizum": {"en": "Bizum", "pt": "Bizum", "es": "Bizum"},
    "store_credit": {"en": "store credit", "pt": "crédito na loja", "es": "crédito en tienda"},
    "bank_transfer": {"en": "bank transfer", "pt": "transferência", "es": "transferencia"},
}

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "pt": ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}
SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def language_of(value: object) -> str:
    return value if isinstance(value, str) and value in LANGUAGES else "en"


def t(key: str, language: str, **values: Any) -> str:
    options = TEXTS[key]
    return (options.get(language) or options["en"]).format(**values)


def money(amount: Decimal, currency: str, language: str) -> str:
    symbol = SYMBOLS.get(currency, currency + " ")
    text = f"{amount:,.2f}"
    if language == "en":
        return f"{symbol}{text}"
    text = text.replace(",", " ").replace(".", ",")
    return f"{text} {symbol.strip()}"


def day_month(month: int, day_of_month: int, language: str) -> str:
    months = MONTHS.get(language, MONTHS["en"])
    return f"{day_of_month} {months[month - 1]}"


def day(moment: datetime, language: str) -> str:
    months = MONTHS.get(language, MONTHS["en"])
    return f"{moment.day} {months[moment.month - 1]} {moment.year}"


def order_status(status: str, language: str) -> tuple[str, str]:
    names = STATUS.get(status)
    if names is None:
        return status, status
    return names.get(language) or names["en"]


def money_state(kind: str, status: str, language: str) -> tuple[str, str]:
    names = MONEY_STATE.get((kind, status))
    if names is None:
        return status, status
    return names.get(language) or names["en"]


def kind_name(kind: str, language: str) -> str:
    return KIND.get(kind, {}).get(language) or kind


def method_name(method: str, language: str) -> str:
    return METHOD.get(method, {}).get(language) or method or "—"
