"""A tiny demo web shop at /shop/ that uses SmilePay like any merchant backend would:
it creates online payment requests through the real HTTP API with an API key, sends
the shopper to the confirm page, and learns the outcome from the signed webhook.

It has no models: orders live in the cache (Redis when configured), keyed by payment
id. Its API key and webhook secret are derived from SECRET_KEY (`keys.py`) and
registered for Demo Café by `manage.py seed_demo`.
"""
