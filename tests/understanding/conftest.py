"""A small synthetic intent set in three languages, and an engine trained on it once."""

from __future__ import annotations

import pytest

from bot.understanding.engine import Engine, Sample

INTENTS: dict[str, dict[str, list[str]]] = {
    "order_status": {
        "en": ["where is my order", "has my parcel shipped", "track my package",
               "when will my order arrive", "my delivery is late", "order tracking status"],
        "pt": ["onde está a minha encomenda", "a encomenda já foi enviada",
               "seguir a minha encomenda", "quando chega a encomenda"],
        "es": ["dónde está mi pedido", "mi pedido ya fue enviado", "seguir mi pedido",
               "cuándo llega mi pedido"],
    },
    "refund": {
        "en": ["i want my money back", "how do i get a refund", "refund my purchase",
               "can i be reimbursed", "return money to my card", "refund request"],
        "pt": ["quero o meu dinheiro de volta", "como peço um reembolso", "reembolsar a compra",
               "devolver o dinheiro"],
        "es": ["quiero mi dinero de vuelta", "cómo pido un reembolso", "reembolsar la compra",
               "devolver el dinero"],
    },
    "change_address": {
        "en": ["change my delivery address", "update shipping address", "wrong address on order",
               "i moved, new address", "edit the address", "send it to another address"],
        "pt": ["mudar a morada de entrega", "alterar a morada", "a morada está errada",
               "enviar para outra morada"],
        "es": ["cambiar la dirección de entrega", "actualizar la dirección",
               "la dirección está mal", "enviar a otra dirección"],
    },
    "opening_hours": {
        "en": ["what are your opening hours", "when are you open", "are you open on sunday",
               "store hours", "what time do you close", "opening times"],
        "pt": ["qual é o horário", "a que horas abrem", "estão abertos ao domingo",
               "horário da loja"],
        "es": ["cuál es el horario", "a qué hora abren", "abren el domingo", "horario de la tienda"],
    },
    "payment_methods": {
        "en": ["which payment methods do you accept", "can i pay with paypal",
               "do you take credit cards", "pay by bank transfer", "payment options",
               "is mbway accepted"],
        "pt": ["que métodos de pagamento aceitam", "posso pagar com paypal",
               "aceitam cartão de crédito", "pagar por transferência"],
        "es": ["qué métodos de pago aceptan", "puedo pagar con paypal",
               "aceptan tarjeta de crédito", "pagar por transferencia"],
    },
    "talk_to_person": {
        "en": ["i want to talk to a human", "speak to an agent", "real person please",
               "connect me to support staff", "can i chat with someone", "human agent"],
        "pt": ["quero falar com uma pessoa", "falar com um assistente", "pessoa real por favor",
               "atendimento humano"],
        "es": ["quiero hablar con una persona", "hablar con un agente", "persona real por favor",
               "atención humana"],
    },
}  # fmt: skip


def samples() -> list[Sample]:
    return [
        Sample(text, label, language)
        for label, by_language in INTENTS.items()
        for language, texts in by_language.items()
        for text in texts
    ]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.train(samples())
