import json
from pathlib import Path

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_the_committed_spec_is_current(app):
    current = app.extensions["api"].spec.to_dict()
    committed = json.loads(SPEC_FILE.read_text())
    assert committed == json.loads(json.dumps(current)), "stale spec: run `make openapi`"


def test_the_spec_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/cases" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    post = spec["paths"]["/api/v1/cases"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "401" in post["responses"] and "422" in post["responses"]
