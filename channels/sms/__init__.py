"""SMS through Twilio, by job: the webhook (webhook.py: `channels.sms.webhook.SmsInput` in credentials.yml),
sending (sending.py), the wording and text shaping (wording.py, messages.yml), what is kept (store.py) and the
settings (settings.py). Without the Twilio settings the server still starts and the SMS webhook answers 503."""
