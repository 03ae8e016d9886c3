"""What several Rasa replicas share, as Rasa plug-ins named in the generated endpoints (scripts/endpoints.py)."""
