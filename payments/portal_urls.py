"""Customer portal pages that show money: dashboard, history, face-use activity (/me/)."""

app_name = "portal"

urlpatterns: list = []
