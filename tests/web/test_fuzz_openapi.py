"""Schema fuzzing: schemathesis drives every operation of our OpenAPI against the real app.

The app runs on the migrated test database (rolled back after each operation) and the real
Meilisearch (indexes under a per-module prefix, with a few documents). Every operation is tried
anonymously, as a verified enterprise user and as bureau staff, with valid and invalid inputs.
Each response must not be a 5xx, must use a status code the operation declares and must match
the declared schema (errors: the one ``{"error": {...}}`` model).

The number of cases is bounded: ``FUZZ_EXAMPLES`` per operation and identity (env
``JIEBANG_FUZZ_EXAMPLES`` overrides it for a longer run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from market.orgs.models import Role, User
from market.settings import Settings
from search.client import MeiliClient
from search.documents import build_plan
from search.indexes import ensure_indexes
from search.outbox import apply_plan
from tests import factories
from tests.conftest import token_for
from tests.factories import make_need, make_provider
from tests.support.meili import client_for, drop_indexes, unique_prefix
from web.app import create_app
from web.runtime import Runtime

FUZZ_EXAMPLES = int(os.environ.get("JIEBANG_FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def fuzz_meili(meili_server: Any, engine: Engine) -> Iterator[tuple[MeiliClient, str]]:
    """A prefix with the declared indexes and a few real documents (their rows rolled back)."""
    from matching.embedders import load_embedder

    client = client_for(meili_server)
    prefix = unique_prefix()
    embedder = load_embedder("hash")
    ensure_indexes(client, prefix, embedder.dim)
    with engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn) as s:
            records = [("need", make_need(s, title=f"冲压模具磨损在线监测 {i}").id) for i in range(5)]
            records += [("provider", make_provider(s).id) for _ in range(3)]
            apply_plan(client, embedder, build_plan(s, records), prefix)
        trans.rollback()
    yield client, prefix
    drop_indexes(client, prefix)
    client.close()


def _headers(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, user)}"}


@pytest.fixture
def enterprise_headers(session: Session) -> dict[str, str]:
    """A verified enterprise with a published and a draft need, so ids sometimes hit real rows."""
    org = factories.create_org(session, kind="enterprise")
    user = factories.create_user(session, org)
    factories.create_need(session, org=org, user=user, status="published")
    factories.create_need(session, org=org, user=user, status="draft")
    return _headers(session, user)


@pytest.fixture
def bureau_headers(session: Session) -> dict[str, str]:
    org = factories.create_org(session, kind="bureau", industry=None, name="嘉兴市科学技术局（模糊测试）")
    return _headers(
        session,
        factories.create_user(session, org, roles=[Role.bureau_admin.value, Role.bureau_reviewer.value]),
    )


@pytest.fixture
def fuzz_app(
    test_settings: Settings,
    engine: Engine,
    session_factory: sessionmaker[Session],
    fuzz_meili: tuple[MeiliClient, str],
) -> Any:
    from matching.embedders import load_embedder

    client, prefix = fuzz_meili
    rt = Runtime(
        settings=test_settings,
        engine=engine,
        session_factory=session_factory,
        meili=client,
        index_prefix=prefix,
    )
    rt.set_embedder(load_embedder("hash"))
    return create_app(runtime=rt, start_worker=False)


def _fuzz(app: Any, headers: dict[str, str]) -> int:
    """Run every operation in both generation modes; collect all failures, then fail once."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    cases = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @FUZZ_SETTINGS
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                nonlocal cases
                cases += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                # An operation without parameters or body has no invalid input to send.
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather every operation's failure
                failures.append(
                    f"{operation.method.upper()} {operation.path} [{mode.value}]: {str(exc)[:1500]}"
                )
    assert not failures, "\n\n".join(failures)
    print(f"schemathesis: {cases} cases over {operations} operations")  # shown with -s
    return cases


FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: keep the run bounded, report the first case
)


def test_openapi_contract_anonymous(fuzz_app: Any) -> None:
    assert _fuzz(fuzz_app, {}) > 0


def test_openapi_contract_enterprise(fuzz_app: Any, enterprise_headers: dict[str, str]) -> None:
    assert _fuzz(fuzz_app, enterprise_headers) > 0


def test_openapi_contract_bureau(fuzz_app: Any, bureau_headers: dict[str, str]) -> None:
    assert _fuzz(fuzz_app, bureau_headers) > 0


def test_every_error_response_uses_the_error_model(fuzz_app: Any) -> None:
    """Static side of the contract: every declared 4xx/5xx points at ErrorResponse."""
    spec = fuzz_app.openapi()
    missing = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for code, resp in op.get("responses", {}).items():
                if code[0] in "45":
                    ref = str(resp.get("content", {}).get("application/json", {}).get("schema", {}))
                    if "ErrorResponse" not in ref:
                        missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing
