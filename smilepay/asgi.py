"""HTTP and websockets in one ASGI application (Channels)."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smilepay.settings")
# Django must be set up before anything imports models (the websocket routes do).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from smilepay.body_limits import BodyLimitMiddleware  # noqa: E402
from smilepay.log_filters import RedactSecretUrls  # noqa: E402
from smilepay.routing import websocket_urlpatterns  # noqa: E402
from smilepay.sweeper import EmbeddedSweeps  # noqa: E402
from smilepay.ws_locale import WebsocketLocaleMiddleware  # noqa: E402
from smilepay.ws_origin import FullOriginValidator  # noqa: E402

# uvicorn's access log would otherwise keep every password-reset link's live token.
logging.getLogger("uvicorn.access").addFilter(RedactSecretUrls())

# EmbeddedSweeps: without a broker (no beat) the server runs the periodic sweeps itself.
application = EmbeddedSweeps(
    ProtocolTypeRouter(
        {
            # Bodies capped and uploads authenticated before Django reads a byte of them.
            "http": BodyLimitMiddleware(django_asgi_app),
            "websocket": FullOriginValidator(
                AuthMiddlewareStack(WebsocketLocaleMiddleware(URLRouter(websocket_urlpatterns)))
            ),
        }
    )
)
