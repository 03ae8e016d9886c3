"""Custom actions of the immunotherapy information assistant (run by `rasa run actions`)."""
