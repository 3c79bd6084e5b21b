"""HTTP and websockets in one ASGI application (Channels)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smilepay.settings")
# Django must be set up before anything imports models (the websocket routes do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from smilepay.routing import websocket_urlpatterns  # noqa: E402
from smilepay.sweeper import EmbeddedSweeps  # noqa: E402

# EmbeddedSweeps: without a broker (no beat) the server runs the periodic sweeps itself.
application = EmbeddedSweeps(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
