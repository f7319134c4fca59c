"""The edges: website widget, Rasa-compatible REST channel, health and pages."""
