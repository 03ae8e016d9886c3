"""Rasa channels beyond the built-in ones: the web chat widget (`web.py`) and SMS through Twilio (`sms.py`)."""
