"""HTML for the help center and the community: small functions that build strings, every
value through `html.escape`, answers through markdown-it with raw HTML off.

No script and no inline style: the pages work without JavaScript and under the strict
Content-Security-Policy of channels/headers.py. They load /static/help.css, which uses the
widget's CSS custom properties (--balcao-accent, --balcao-text...), and the optional theme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from html import escape
from typing import Any

from markdown_it import MarkdownIt

# The widget's subset (widget.js renderMarkdown): paragraphs, lists, bold, italic, links;
# plus headings. Raw HTML is text; links are http(s) or mailto only.
SAFE_SCHEMES = ("https://", "http://", "mailto:")

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "help": "Help center", "search": "Search", "search_label": "Search the help center",
        "results": "Results for", "no_results": "Nothing found. Try other words, or ask us.",
        "related": "Related", "languages": "Other languages", "helpful": "Was this helpful?",
        "yes": "Yes", "no": "No", "thanks": "Thank you for your feedback.",
        "still": "Still need help?", "chat": "Chat with us", "community": "Community",
        "limited": "Too many ratings from your address; try again in a minute.",
    },
    "pt": {
        "help": "Centro de ajuda", "search": "Pesquisar", "search_label": "Pesquisar na ajuda",
        "results": "Resultados para", "no_results": "Nada encontrado. Tente outras palavras ou pergunte-nos.",
        "related": "Relacionados", "languages": "Outras línguas", "helpful": "Isto foi útil?",
        "yes": "Sim", "no": "Não", "thanks": "Obrigado pela sua opinião.",
        "still": "Ainda precisa de ajuda?", "chat": "Fale connosco", "community": "Comunidade",
        "limited": "Demasiadas avaliações deste endereço; tente daqui a um minuto.",
    },
    "es": {
        "help": "Centro de ayuda", "search": "Buscar", "search_label": "Buscar en la ayuda",
        "results": "Resultados para", "no_results": "No hay resultados. Prueba otras palabras o pregúntanos.",
        "related": "Relacionados", "languages": "Otros idiomas", "helpful": "¿Te ha sido útil?",
        "yes": "Sí", "no": "No", "thanks": "Gracias por tu opinión.",
        "still": "¿Aún necesitas ayuda?", "chat": "Chatea con nosotros", "community": "Comunidad",
        "limited": "Demasiadas valoraciones desde tu dirección; prueba dentro de un minuto.",
    },
}  # fmt: skip
LANGUAGE_NAMES = {"en": "English", "pt": "Português", "es": "Español"}


def word(language: str, key: str) -> str:
    return WORDS.get(language, WORDS["en"])[key]


def _safe_link(url: str) -> bool:
    return url.strip().lower().startswith(SAFE_SCHEMES)


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False}).enable(
        ["emphasis", "list", "link", "heading", "newline"]
    )
    md.validateLink = _safe_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
        tokens[index].attrSet("rel", "noopener noreferrer nofollow")
        return str(renderer.renderToken(tokens, index, options, env))

    md.add_render_rule("link_open", link_open)
    return md


def markdown(text: str) -> str:
    """An answer's Markdown as HTML: the safe subset, everything else shown as text."""
    return str(_markdown().render(text))


def attr(value: str) -> str:
    return escape(value, quote=True)


def page(
    *,
    language: str,
    title: str,
    description: str,
    canonical: str,
    body: str,
    alternates: Iterable[tuple[str, str]] = (),
    theme: bool = False,
    robots: str | None = None,
) -> str:
    """A whole page. `alternates` are (language, absolute URL) pairs for hreflang links."""
    links = [f'<link rel="canonical" href="{attr(canonical)}">']
    links += [
        f'<link rel="alternate" hreflang="{attr(lang)}" href="{attr(url)}">'
        for lang, url in alternates
    ]
    links.append('<link rel="stylesheet" href="/static/help.css">')
    if theme:
        links.append('<link rel="stylesheet" href="/help/theme.css">')
    if robots:
        links.append(f'<meta name="robots" content="{attr(robots)}">')
    return (
        "<!doctype html>\n"
        f'<html lang="{attr(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        f'<meta name="description" content="{attr(description)}">\n'
        + "\n".join(links)
        + f'\n</head>\n<body class="balcao-help">\n{body}\n</body>\n</html>\n'
    )


def header(language: str, search_action: str, query: str = "", home: str = "") -> str:
    return (
        '<header class="help-header">'
        f'<a class="help-home" href="{attr(home or search_action.rsplit("/", 1)[0] + "/")}">'
        f"{escape(word(language, 'help'))}</a>"
        f'<form class="help-search" role="search" method="get" action="{attr(search_action)}">'
        f'<label for="q" class="help-hidden">{escape(word(language, "search_label"))}</label>'
        f'<input id="q" name="q" type="search" value="{attr(query)}" maxlength="200">'
        f'<button type="submit">{escape(word(language, "search"))}</button></form>'
        f'<nav class="help-languages">{language_links(language)}</nav>'
        "</header>"
    )


def language_links(current: str) -> str:
    return " ".join(
        f'<a href="/help/{code}/" hreflang="{code}"'
        + (' aria-current="page"' if code == current else "")
        + f">{escape(name)}</a>"
        for code, name in LANGUAGE_NAMES.items()
    )


def entry_list(items: Sequence[tuple[str, str]]) -> str:
    """(href, text) pairs as a list of links."""
    return (
        '<ul class="help-list">'
        + "".join(f'<li><a href="{attr(href)}">{escape(text)}</a></li>' for href, text in items)
        + "</ul>"
    )


def description_of(answer: str, limit: int = 155) -> str:
    """A meta description: the answer's first words as plain text."""
    plain = " ".join(
        answer.replace("**", "").replace("*", "").replace("#", "").replace("- ", " ").split()
    )
    return plain if len(plain) <= limit else plain[: limit - 1].rsplit(" ", 1)[0] + "…"
