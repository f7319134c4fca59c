"""The knowledge base as admins write it: Markdown files with YAML front matter, canned
replies, and the UTF-8 text files people write, loaded into immutable values.

May import: `bot.knowledge`, `bot.errors` and the standard library (plus PyYAML). It knows
nothing of understanding, conversations or storage.
"""
