"""rasa-sdk Actions of Balcão. Run in process by the bot, or by `python -m rasa_sdk --actions actions`."""
