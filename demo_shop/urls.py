"""The demo shop, mounted at /shop/ by smilepay/urls.py when DEMO_SHOP=true."""

from django.urls import path

from demo_shop import views

app_name = "shop"

urlpatterns = [
    path("", views.index, name="index"),
    path("buy", views.buy, name="buy"),
    path("orders/<str:ref>/", views.order, name="order"),
    path("return", views.back, name="return"),
    path("webhook", views.webhook, name="webhook"),
]
