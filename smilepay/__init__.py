"""SmilePay's Django project package.

Importing it loads nothing: the face engine (``smilepay.faces``) runs without Django or
Celery. The Celery app is loaded by ``smilepay.apps.SmilePayConfig.ready`` in Django
processes and found by ``celery -A smilepay`` in workers (it looks up
``smilepay.celery.app``).
"""


def __getattr__(name: str):
    # ``smilepay.celery_app`` as before, loaded on first use only.
    if name == "celery_app":
        from smilepay.celery import app

        return app
    raise AttributeError(f"module 'smilepay' has no attribute {name!r}")
