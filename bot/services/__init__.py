"""Application services: the use cases, over the ports of `bot.ports`.

Chat turns (`chat`), the agent desk (`desk`), customer insights and goodwill (`insights`),
the knowledge reloader, conversation tests (`stories`) and knowledge curation (`curation`).

May import: `bot.ports`, `bot.core`, `bot.understanding`, `bot.knowledge`, `bot.errors`,
`bot.config`. Never `bot.adapters`: a service is handed its adapters by `bot.app`.
"""
