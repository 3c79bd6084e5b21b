from django.urls import path, re_path

from accounts.consumers import CustomerConsumer
from kiosk.consumers import KioskConsumer
from smilepay.consumers import HealthConsumer, NoSuchSocket

websocket_urlpatterns = [
    path("ws/health/", HealthConsumer.as_asgi()),
    path("ws/customer/", CustomerConsumer.as_asgi()),
    path("ws/kiosk/", KioskConsumer.as_asgi()),
    re_path(r"", NoSuchSocket.as_asgi()),  # last: whatever path is left
]
