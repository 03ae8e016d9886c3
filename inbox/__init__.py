"""The triage inbox: the default receiver for the tickets the assistant sends when it hands a person over to NCI's
Cancer Information Service. Run it with `python -m inbox.server`."""
