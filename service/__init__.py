"""Shared plumbing of the assistant's services: settings, storage, privacy helpers, timestamps and the ticket model.
Imports no Rasa, so the action server, the channels, the inbox and the scripts can all use it."""
