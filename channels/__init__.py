"""Rasa channels beyond the built-in ones: strict REST (`rest.py`), the web chat widget (`web.py`) and SMS through
Twilio (`sms/`), all behind the reply guard (`guard.py`)."""
