from __future__ import annotations

import pytest

from tests.reports import scenario


@pytest.fixture
def shanghai(create_tenant):
    return create_tenant(
        "Shanghai Shop", case_prefix="SH", time_zone=scenario.ZONE, resolution_hours={"repair": 200}
    )


@pytest.fixture
def people(create_staff, shanghai):
    return {
        "alice": create_staff("agent", name="Alice Agent"),
        "bob": create_staff("agent", name="Bob Agent"),
        "boss": create_staff("supervisor", name="Sue Supervisor"),
        "qa": create_staff("qa_reviewer", name="Quinn Reviewer"),
    }


@pytest.fixture
def world(db_session, shanghai, people):
    built = scenario.build(
        db_session,
        shanghai.storefront,
        people["alice"].user,
        people["bob"].user,
        people["boss"].user,
    )
    db_session.commit()
    return built
