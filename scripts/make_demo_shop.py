"""Generate the demo shop "Casa Balcão" as CSV files in data/demo/ (deterministic: fixed seed).

A homeware shop in Portugal selling to Portugal, Spain and the UK. Dates are
laid out up to DEMO_ANCHOR; `balcao seed-demo` shifts them so the newest
orders are a few days old whenever the demo runs.

    python scripts/make_demo_shop.py [--out data/demo] [--customers 600]

The first three customers are showcase accounts (one per language) with a
parcel on its way, a recent delivery and a long history; their details are
printed at the end.
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.cli.shop import DEMO_ANCHOR

SEED = 20261120


@dataclass(frozen=True)
class P:
    sku: str
    en: str
    pt: str
    es: str
    category: str
    price: str
    line: str = ""
    tier: str = ""
    stock: int = 40
    goes_with: tuple[str, ...] = ()


CATALOGUE = [
    # kitchen
    P(
        "TEA-BAS",
        "Ceramic Teapot",
        "Bule de Cerâmica",
        "Tetera de Cerámica",
        "kitchen",
        "24.90",
        "teapot",
        "basic",
        60,
        ("CUP-SET", "TEA-STR", "TRV-CRK"),
    ),
    P(
        "TEA-PRE",
        "Cast Iron Teapot",
        "Bule de Ferro Fundido",
        "Tetera de Hierro Fundido",
        "kitchen",
        "64.90",
        "teapot",
        "premium",
        25,
        ("CUP-SET", "TEA-STR", "TRV-CRK"),
    ),
    P(
        "CUP-SET",
        "Stoneware Tea Cups (4)",
        "Chávenas de Grés (4)",
        "Tazas de Gres (4)",
        "tableware",
        "22.00",
        stock=80,
        goes_with=("TEA-BAS", "TEA-STR"),
    ),
    P("TEA-STR", "Tea Strainer", "Passador de Chá", "Colador de Té", "kitchen", "7.50", stock=120),
    P(
        "TRV-CRK",
        "Cork Trivet",
        "Base de Cortiça",
        "Salvamanteles de Corcho",
        "kitchen",
        "9.90",
        stock=150,
    ),
    P(
        "PAN-BAS",
        "Stainless Steel Pan Set",
        "Conjunto de Tachos Inox",
        "Batería de Acero Inoxidable",
        "kitchen",
        "79.00",
        "pans",
        "basic",
        30,
        ("UTE-SET", "KNF-BAS", "TRV-CRK"),
    ),
    P(
        "PAN-STD",
        "Tri-ply Pan Set",
        "Conjunto de Tachos Tri-ply",
        "Batería Tri-ply",
        "kitchen",
        "139.00",
        "pans",
        "standard",
        15,
        ("UTE-SET", "KNF-BAS"),
    ),
    P(
        "PAN-PRE",
        "Copper Pan Set",
        "Conjunto de Tachos de Cobre",
        "Batería de Cobre",
        "kitchen",
        "249.00",
        "pans",
        "premium",
        8,
        ("UTE-SET", "KNF-PRE"),
    ),
    P(
        "UTE-SET",
        "Olive Wood Utensils",
        "Utensílios em Madeira de Oliveira",
        "Utensilios de Madera de Olivo",
        "kitchen",
        "19.90",
        stock=90,
    ),
    P(
        "KNF-BAS",
        "Kitchen Knife Set",
        "Conjunto de Facas",
        "Juego de Cuchillos",
        "kitchen",
        "39.00",
        "knives",
        "basic",
        50,
        ("BRD-OAK",),
    ),
    P(
        "KNF-PRE",
        "Forged Chef's Knife Set",
        "Conjunto de Facas Forjadas",
        "Juego de Cuchillos Forjados",
        "kitchen",
        "149.00",
        "knives",
        "premium",
        12,
        ("BRD-OAK",),
    ),
    P(
        "BRD-OAK",
        "Oak Chopping Board",
        "Tábua de Corte em Carvalho",
        "Tabla de Cortar de Roble",
        "kitchen",
        "29.00",
        stock=70,
    ),
    P(
        "MOK-BAS",
        "Aluminium Moka Pot",
        "Cafeteira Italiana de Alumínio",
        "Cafetera Italiana de Aluminio",
        "kitchen",
        "24.00",
        "coffee",
        "basic",
        65,
        ("MUG-SET",),
    ),
    P(
        "MOK-PRE",
        "Stainless Espresso Maker",
        "Cafeteira Expresso Inox",
        "Cafetera Espresso de Acero",
        "kitchen",
        "74.00",
        "coffee",
        "premium",
        0,
        ("MUG-SET",),
    ),
    P(
        "MUG-SET",
        "Glazed Mugs (4)",
        "Canecas Vidradas (4)",
        "Tazones Esmaltados (4)",
        "tableware",
        "26.00",
        stock=85,
    ),
    P(
        "OIL-CRU",
        "Olive Oil Cruet",
        "Galheteiro de Azeite",
        "Aceitera de Vidrio",
        "kitchen",
        "14.50",
        stock=100,
    ),
    # tableware
    P(
        "PLT-BAS",
        "Stoneware Dinner Plates (4)",
        "Pratos de Grés (4)",
        "Platos de Gres (4)",
        "tableware",
        "32.00",
        "plates",
        "basic",
        70,
        ("CUT-BAS", "NAP-LIN", "GLS-BAS"),
    ),
    P(
        "PLT-PRE",
        "Hand-painted Porcelain Plates (4)",
        "Pratos de Porcelana Pintados à Mão (4)",
        "Platos de Porcelana Pintados a Mano (4)",
        "tableware",
        "89.00",
        "plates",
        "premium",
        18,
        ("CUT-PRE", "NAP-LIN", "GLS-PRE"),
    ),
    P(
        "CUT-BAS",
        "Cutlery Set (24 pieces)",
        "Faqueiro (24 peças)",
        "Cubertería (24 piezas)",
        "tableware",
        "45.00",
        "cutlery",
        "basic",
        40,
        ("PLT-BAS",),
    ),
    P(
        "CUT-PRE",
        "Brushed Gold Cutlery Set (24 pieces)",
        "Faqueiro Dourado Escovado (24 peças)",
        "Cubertería Dorada Cepillada (24 piezas)",
        "tableware",
        "129.00",
        "cutlery",
        "premium",
        10,
        ("PLT-PRE",),
    ),
    P(
        "GLS-BAS",
        "Tumbler Glasses (6)",
        "Copos (6)",
        "Vasos (6)",
        "tableware",
        "16.90",
        "glasses",
        "basic",
        110,
        (),
    ),
    P(
        "GLS-PRE",
        "Crystal Wine Glasses (6)",
        "Copos de Vinho em Cristal (6)",
        "Copas de Vino de Cristal (6)",
        "tableware",
        "69.00",
        "glasses",
        "premium",
        22,
        ("WIN-DEC",),
    ),
    P(
        "WIN-DEC",
        "Wine Decanter",
        "Decantador de Vinho",
        "Decantador de Vino",
        "tableware",
        "39.00",
        stock=30,
    ),
    P(
        "NAP-LIN",
        "Linen Napkins (4)",
        "Guardanapos de Linho (4)",
        "Servilletas de Lino (4)",
        "tableware",
        "24.00",
        stock=75,
        goes_with=("TCL-LIN",),
    ),
    P(
        "TCL-LIN",
        "Linen Tablecloth",
        "Toalha de Mesa de Linho",
        "Mantel de Lino",
        "tableware",
        "59.00",
        stock=35,
    ),
    P(
        "PLM-CRK",
        "Cork Placemats (4)",
        "Individuais de Cortiça (4)",
        "Manteles Individuales de Corcho (4)",
        "tableware",
        "18.00",
        stock=95,
    ),
    # bedding
    P(
        "DUV-BAS",
        "Cotton Duvet Cover",
        "Capa de Edredão em Algodão",
        "Funda Nórdica de Algodón",
        "bedding",
        "42.00",
        "duvet",
        "basic",
        55,
        ("PIL-CAS", "SHT-BAS"),
    ),
    P(
        "DUV-STD",
        "Percale Duvet Cover",
        "Capa de Edredão em Percal",
        "Funda Nórdica de Percal",
        "bedding",
        "74.00",
        "duvet",
        "standard",
        30,
        ("PIL-CAS", "SHT-PRE"),
    ),
    P(
        "DUV-PRE",
        "Washed Linen Duvet Cover",
        "Capa de Edredão em Linho Lavado",
        "Funda Nórdica de Lino Lavado",
        "bedding",
        "139.00",
        "duvet",
        "premium",
        14,
        ("PIL-CAS", "SHT-PRE"),
    ),
    P(
        "PIL-CAS",
        "Pillowcases (2)",
        "Fronhas (2)",
        "Fundas de Almohada (2)",
        "bedding",
        "18.00",
        stock=130,
    ),
    P(
        "SHT-BAS",
        "Cotton Fitted Sheet",
        "Lençol Ajustável de Algodão",
        "Sábana Bajera de Algodón",
        "bedding",
        "24.00",
        "sheet",
        "basic",
        60,
        (),
    ),
    P(
        "SHT-PRE",
        "Linen Fitted Sheet",
        "Lençol Ajustável de Linho",
        "Sábana Bajera de Lino",
        "bedding",
        "69.00",
        "sheet",
        "premium",
        20,
        (),
    ),
    P(
        "THR-BAS",
        "Cotton Throw",
        "Manta de Algodão",
        "Manta de Algodón",
        "bedding",
        "35.00",
        "throw",
        "basic",
        45,
        ("CSH-BAS",),
    ),
    P(
        "THR-PRE",
        "Merino Wool Throw",
        "Manta de Lã Merino",
        "Manta de Lana Merino",
        "bedding",
        "119.00",
        "throw",
        "premium",
        0,
        ("CSH-PRE",),
    ),
    P(
        "PIL-DWN",
        "Down Pillow",
        "Almofada de Penas",
        "Almohada de Plumón",
        "bedding",
        "49.00",
        stock=40,
    ),
    # bath
    P(
        "TWL-BAS",
        "Cotton Towel Set",
        "Conjunto de Toalhas de Algodão",
        "Juego de Toallas de Algodón",
        "bath",
        "29.00",
        "towels",
        "basic",
        80,
        ("MAT-BTH", "SOA-DSP"),
    ),
    P(
        "TWL-PRE",
        "Egyptian Cotton Towel Set",
        "Conjunto de Toalhas de Algodão Egípcio",
        "Juego de Toallas de Algodón Egipcio",
        "bath",
        "79.00",
        "towels",
        "premium",
        25,
        ("MAT-BTH", "ROB-WAF"),
    ),
    P("MAT-BTH", "Bath Mat", "Tapete de Banho", "Alfombrilla de Baño", "bath", "19.00", stock=100),
    P(
        "ROB-WAF",
        "Waffle Bathrobe",
        "Roupão Waffle",
        "Albornoz de Nido de Abeja",
        "bath",
        "54.00",
        stock=35,
    ),
    P(
        "SOA-DSP",
        "Ceramic Soap Dispenser",
        "Doseador de Sabão em Cerâmica",
        "Dispensador de Jabón de Cerámica",
        "bath",
        "16.00",
        stock=90,
    ),
    P(
        "SOA-OLV",
        "Olive Oil Soap (3)",
        "Sabonetes de Azeite (3)",
        "Jabones de Aceite de Oliva (3)",
        "bath",
        "12.00",
        stock=200,
    ),
    # decor
    P(
        "CSH-BAS",
        "Cotton Cushion Cover",
        "Capa de Almofada em Algodão",
        "Funda de Cojín de Algodón",
        "decor",
        "15.00",
        "cushion",
        "basic",
        120,
        (),
    ),
    P(
        "CSH-PRE",
        "Velvet Cushion Cover",
        "Capa de Almofada em Veludo",
        "Funda de Cojín de Terciopelo",
        "decor",
        "34.00",
        "cushion",
        "premium",
        40,
        (),
    ),
    P(
        "VAS-CER",
        "Azulejo Ceramic Vase",
        "Jarra de Cerâmica Azulejo",
        "Jarrón de Cerámica Azulejo",
        "decor",
        "38.00",
        stock=30,
    ),
    P(
        "CND-SOY",
        "Soy Candle",
        "Vela de Soja",
        "Vela de Soja",
        "decor",
        "14.00",
        "candle",
        "basic",
        150,
        ("CND-HLD",),
    ),
    P(
        "CND-PRE",
        "Scented Candle in Stoneware",
        "Vela Perfumada em Grés",
        "Vela Perfumada en Gres",
        "decor",
        "36.00",
        "candle",
        "premium",
        45,
        ("CND-HLD",),
    ),
    P(
        "CND-HLD",
        "Brass Candle Holder",
        "Castiçal de Latão",
        "Candelabro de Latón",
        "decor",
        "22.00",
        stock=50,
    ),
    P(
        "RUG-BAS",
        "Jute Rug",
        "Tapete de Juta",
        "Alfombra de Yute",
        "decor",
        "69.00",
        "rug",
        "basic",
        20,
        (),
    ),
    P(
        "RUG-PRE",
        "Hand-woven Wool Rug",
        "Tapete de Lã Tecido à Mão",
        "Alfombra de Lana Tejida a Mano",
        "decor",
        "289.00",
        "rug",
        "premium",
        6,
        (),
    ),
    P("BSK-SEA", "Seagrass Basket", "Cesto de Junco", "Cesta de Junco", "decor", "27.00", stock=60),
    P(
        "MIR-RND",
        "Round Rattan Mirror",
        "Espelho Redondo de Vime",
        "Espejo Redondo de Ratán",
        "decor",
        "79.00",
        stock=15,
    ),
    # lighting
    P(
        "LMP-BAS",
        "Ceramic Table Lamp",
        "Candeeiro de Mesa em Cerâmica",
        "Lámpara de Mesa de Cerámica",
        "lighting",
        "49.00",
        "lamp",
        "basic",
        35,
        ("BLB-LED",),
    ),
    P(
        "LMP-PRE",
        "Hand-blown Glass Table Lamp",
        "Candeeiro de Mesa em Vidro Soprado",
        "Lámpara de Mesa de Vidrio Soplado",
        "lighting",
        "149.00",
        "lamp",
        "premium",
        9,
        ("BLB-LED",),
    ),
    P(
        "BLB-LED",
        "Warm LED Bulbs (3)",
        "Lâmpadas LED Quentes (3)",
        "Bombillas LED Cálidas (3)",
        "lighting",
        "12.00",
        stock=200,
    ),
    P(
        "STR-LGT",
        "String Lights",
        "Luzes de Cordão",
        "Guirnalda de Luces",
        "lighting",
        "21.00",
        stock=70,
    ),
    P(
        "FLR-LMP",
        "Linen Floor Lamp",
        "Candeeiro de Pé em Linho",
        "Lámpara de Pie de Lino",
        "lighting",
        "129.00",
        stock=0,
    ),
]

DESCRIPTIONS = {
    "kitchen": "Made to last, for everyday cooking.",
    "tableware": "For the table, every day and for guests.",
    "bedding": "Soft, breathable and made in Portugal.",
    "bath": "Absorbent and kind to the skin.",
    "decor": "Small things that make a house a home.",
    "lighting": "Warm light for long evenings.",
}

FIRST = {
    "pt": [
        "Ana",
        "João",
        "Maria",
        "Pedro",
        "Inês",
        "Tiago",
        "Sofia",
        "Rui",
        "Beatriz",
        "Miguel",
        "Catarina",
        "Duarte",
        "Mariana",
        "Nuno",
        "Leonor",
        "Gonçalo",
        "Rita",
        "Francisco",
    ],
    "es": [
        "Lucía",
        "Javier",
        "Carmen",
        "Pablo",
        "Elena",
        "Sergio",
        "Marta",
        "Álvaro",
        "Paula",
        "Diego",
        "Laura",
        "Hugo",
        "Sara",
        "Iván",
        "Nuria",
        "Raúl",
        "Alba",
        "Jorge",
    ],
    "en": [
        "James",
        "Emma",
        "Oliver",
        "Sophie",
        "Harry",
        "Chloe",
        "George",
        "Grace",
        "Jack",
        "Lucy",
        "Thomas",
        "Amelia",
        "William",
        "Ella",
        "Henry",
        "Isla",
        "Charlie",
        "Freya",
    ],
}
LAST = {
    "pt": [
        "Silva",
        "Santos",
        "Ferreira",
        "Pereira",
        "Oliveira",
        "Costa",
        "Rodrigues",
        "Martins",
        "Sousa",
        "Fernandes",
        "Gonçalves",
        "Gomes",
        "Lopes",
        "Marques",
        "Almeida",
        "Ribeiro",
    ],
    "es": [
        "García",
        "Fernández",
        "González",
        "Rodríguez",
        "López",
        "Martínez",
        "Sánchez",
        "Pérez",
        "Gómez",
        "Martín",
        "Jiménez",
        "Ruiz",
        "Hernández",
        "Díaz",
        "Moreno",
        "Álvarez",
    ],
    "en": [
        "Smith",
        "Jones",
        "Taylor",
        "Brown",
        "Williams",
        "Wilson",
        "Johnson",
        "Davies",
        "Robinson",
        "Wright",
        "Thompson",
        "Evans",
        "Walker",
        "White",
        "Roberts",
        "Green",
    ],
}
CARRIERS = {
    "PT": ("CTT", "DPD Portugal"),
    "ES": ("Correos", "SEUR"),
    "UK": ("Royal Mail", "DPD UK"),
}
METHODS = {
    "PT": ("card", "mbway", "multibanco", "paypal"),
    "ES": ("card", "bizum", "paypal"),
    "UK": ("card", "paypal"),
}
UK_AREAS = ("SW", "SE", "N", "E", "W", "NW", "M", "B", "LS", "BS", "EH", "G", "CF", "OX")
MANAGERS = ("marta.reis@casabalcao.example", "tom.hughes@casabalcao.example")


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def postcode(rng: random.Random, country: str) -> str:
    if country == "PT":
        return f"{rng.randint(1000, 9900)}-{rng.randint(0, 999):03d}"
    if country == "ES":
        return f"{rng.randint(1, 52):02d}{rng.randint(0, 999):03d}"
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return (
        f"{rng.choice(UK_AREAS)}{rng.randint(1, 20)} "
        f"{rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    )


def phone(rng: random.Random, country: str) -> str:
    if country == "PT":
        return f"+351 9{rng.randint(10, 69)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    if country == "ES":
        return f"+34 6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}"
    return f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}"


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(out: Path, n_customers: int) -> dict[str, int]:
    rng = random.Random(SEED)
    anchor = datetime(DEMO_ANCHOR.year, DEMO_ANCHOR.month, DEMO_ANCHOR.day, 18, tzinfo=UTC)
    by_sku = {p.sku: p for p in CATALOGUE}
    by_category: dict[str, list[P]] = {}
    for p in CATALOGUE:
        by_category.setdefault(p.category, []).append(p)
    out.mkdir(parents=True, exist_ok=True)

    customers, orders, items, transactions = [], [], [], []
    used_emails: set[str] = set()
    order_no, tx_no = 100001, 500001
    showcase = {0: ("pt", "PT"), 1: ("en", "UK"), 2: ("es", "ES")}
    for index in range(n_customers):
        if index in showcase:
            language, country = showcase[index]
        else:
            country = rng.choices(("PT", "ES", "UK"), weights=(45, 30, 25))[0]
            language = {"PT": "pt", "ES": "es", "UK": "en"}[country]
            if country != "UK" and rng.random() < 0.08:
                language = "en"  # expatriates
        first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email = f"{base}@example.com"
        suffix = 2
        while email in used_emails:
            email, suffix = f"{base}{suffix}@example.com", suffix + 1
        used_emails.add(email)
        customer_id = f"C{index + 1:05d}"
        created = anchor - timedelta(days=rng.randint(20, 1100), minutes=rng.randint(0, 1439))
        # how much and how long they buy: a few loyal, many one-off, some gone quiet
        profile = rng.choices(("one", "few", "loyal", "vip"), weights=(34, 38, 20, 8))[0]
        if index in showcase:
            profile = "loyal"
        count = {
            "one": 1,
            "few": rng.randint(2, 4),
            "loyal": rng.randint(5, 10),
            "vip": rng.randint(11, 22),
        }[profile]
        active_until = anchor
        if profile != "vip" and rng.random() < 0.3 and index not in showcase:
            active_until = created + (anchor - created) * rng.uniform(0.2, 0.7)
        tastes = rng.sample(sorted(by_category), k=rng.randint(1, 3))
        premium_lean = {"one": 0.1, "few": 0.2, "loyal": 0.35, "vip": 0.6}[profile]
        customers.append(
            {
                "customer_id": customer_id,
                "name": f"{first} {last}",
                "email": email,
                "phone": phone(rng, country),
                "language": language,
                "postcode": postcode(rng, country),
                "created_at": iso(created),
                "account_manager": rng.choice(MANAGERS) if profile == "vip" else "",
                "country": country,
            }
        )
        span = max((active_until - created).total_seconds(), 86400.0)
        moments = sorted(created + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
        if index in showcase:
            moments[-1] = anchor - timedelta(days=3, hours=index)
            moments[-2] = anchor - timedelta(days=12 + index)
            moments.sort()
        owned: set[str] = set()
        for moment in moments:
            order_id = str(order_no)
            order_no += 1
            basket = _basket(rng, tastes, by_category, by_sku, owned, premium_lean)
            owned.update(basket)
            lines = [(sku, rng.choices((1, 2), weights=(85, 15))[0]) for sku in basket]
            subtotal = sum(float(by_sku[s].price) * q for s, q in lines)
            shipping = 0.0 if subtotal >= 50 else 4.95
            total = round(subtotal + shipping, 2)
            age = (anchor - moment).days
            status = _status(rng, age)
            carrier = rng.choice(CARRIERS[country])
            delivery = moment + timedelta(days={"PT": 2, "ES": 4, "UK": 6}[country])
            tracking = ""
            if status in ("shipped", "delivered", "returned"):
                tracking = f"{carrier[:2].upper()}{rng.randint(10**8, 10**9 - 1)}{country}"
            orders.append(
                {
                    "order_id": order_id,
                    "customer_id": customer_id,
                    "created_at": iso(moment),
                    "status": status,
                    "total": f"{total:.2f}",
                    "currency": "EUR",
                    "carrier": carrier if tracking else "",
                    "tracking_code": tracking,
                    "estimated_delivery": delivery.date().isoformat()
                    if status != "cancelled"
                    else "",
                    "channel": rng.choice(("web", "web", "web", "app")),
                }
            )
            for sku, quantity in lines:
                items.append(
                    {
                        "order_id": order_id,
                        "sku": sku,
                        "quantity": quantity,
                        "unit_price": by_sku[sku].price,
                    }
                )
            method = rng.choice(METHODS[country])
            paid_status = "pending" if status == "pending" else "settled"
            if status == "cancelled":
                paid_status = "refunded"
            transactions.append(
                {
                    "transaction_id": f"T{tx_no}",
                    "customer_id": customer_id,
                    "order_id": order_id,
                    "created_at": iso(moment + timedelta(minutes=1)),
                    "kind": "payment",
                    "amount": f"{total:.2f}",
                    "currency": "EUR",
                    "status": paid_status,
                    "method": method,
                }
            )
            tx_no += 1
            if status in ("cancelled", "returned"):
                refund_at = moment + timedelta(days=1 if status == "cancelled" else 12)
                transactions.append(
                    {
                        "transaction_id": f"T{tx_no}",
                        "customer_id": customer_id,
                        "order_id": order_id,
                        "created_at": iso(refund_at),
                        "kind": "refund",
                        "amount": f"{total:.2f}",
                        "currency": "EUR",
                        "status": "pending" if (anchor - refund_at).days < 5 else "settled",
                        "method": method,
                    }
                )
                tx_no += 1
            elif status == "delivered" and rng.random() < 0.006:
                transactions.append(
                    {
                        "transaction_id": f"T{tx_no}",
                        "customer_id": customer_id,
                        "order_id": order_id,
                        "created_at": iso(moment + timedelta(days=30)),
                        "kind": "chargeback",
                        "amount": f"{total:.2f}",
                        "currency": "EUR",
                        "status": "settled",
                        "method": method,
                    }
                )
                tx_no += 1
        if rng.random() < 0.04:
            transactions.append(
                {
                    "transaction_id": f"T{tx_no}",
                    "customer_id": customer_id,
                    "order_id": "",
                    "created_at": iso(moments[-1] + timedelta(days=2)),
                    "kind": "credit",
                    "amount": "10.00",
                    "currency": "EUR",
                    "status": "settled",
                    "method": "store_credit",
                }
            )
            tx_no += 1

    products = [
        {
            "sku": p.sku,
            "name": p.en,
            "category": p.category,
            "price": p.price,
            "currency": "EUR",
            "description": DESCRIPTIONS[p.category],
            "stock": p.stock,
            "line": p.line,
            "tier": p.tier,
            "name_pt": p.pt,
            "name_es": p.es,
        }
        for p in CATALOGUE
    ]
    _write(out / "customers.csv", customers)
    _write(out / "products.csv", products)
    _write(out / "orders.csv", orders)
    _write(out / "order_items.csv", items)
    _write(out / "transactions.csv", transactions)
    for c in customers[:3]:
        print(f"showcase {c['customer_id']} ({c['language']}): {c['email']} {c['postcode']}")
    return {
        "customers": len(customers),
        "products": len(products),
        "orders": len(orders),
        "order_items": len(items),
        "transactions": len(transactions),
    }


def _basket(
    rng: random.Random,
    tastes: list[str],
    by_category: dict[str, list[P]],
    by_sku: dict[str, P],
    owned: set[str],
    premium_lean: float,
) -> list[str]:
    category = rng.choice(tastes) if rng.random() < 0.8 else rng.choice(sorted(by_category))
    choices = [p for p in by_category[category] if p.sku not in owned] or by_category[category]
    weights = [(premium_lean * 3 if p.tier in ("premium", "standard") else 1.0) for p in choices]
    main = rng.choices(choices, weights=weights)[0]
    basket = [main.sku]
    for companion in main.goes_with:
        if rng.random() < 0.45:
            basket.append(companion)
    if rng.random() < 0.2:
        extra = rng.choice(by_category[category])
        if extra.sku not in basket:
            basket.append(extra.sku)
    return list(dict.fromkeys(basket))


def _status(rng: random.Random, age_days: int) -> str:
    if age_days < 1:
        return "pending"
    if age_days < 2:
        return rng.choice(("pending", "processing"))
    if age_days < 6:
        return rng.choices(("processing", "shipped", "delivered"), weights=(1, 6, 2))[0]
    return rng.choices(("delivered", "cancelled", "returned"), weights=(93, 4, 3))[0]


def _write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "data" / "demo"))
    parser.add_argument("--customers", type=int, default=700)
    args = parser.parse_args()
    counts = generate(Path(args.out), args.customers)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
