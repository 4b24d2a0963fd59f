def test_health_checks_the_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_reports_an_unreachable_redis_as_503(app, client, monkeypatch):
    from redis import Redis

    monkeypatch.setitem(
        app.extensions, "redis", Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["redis"].startswith("error")
