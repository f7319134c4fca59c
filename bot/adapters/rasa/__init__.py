"""rasa-sdk at the edge: actions run in process or by an action server (`action_runner`), and
the translation between our events and Rasa's tracker shapes (`tracker`)."""
