import pytest


@pytest.mark.django_db
def test_the_home_page_answers(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Pay with a smile" in response.content


@pytest.mark.django_db
def test_healthz_reports_the_database(client):
    assert client.get("/healthz").json()["status"] == "ok"
