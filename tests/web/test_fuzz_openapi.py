"""Schema fuzzing: schemathesis drives every operation of our OpenAPI against the real app.

The app runs on the migrated test database (rolled back after each operation) and the real
Meilisearch (indexes under a per-module prefix, with a few documents). Every operation is tried
anonymously, as a verified enterprise user and as bureau staff, with valid and invalid inputs.
Each response must not be a 5xx, must use a status code the operation declares and must match
the declared schema (errors: the one ``{"error": {...}}`` model).

Besides schemathesis' own positive and negative data, a third, hostile mode takes a valid case
and puts one hostile value into one of its path, query or JSON body values: an integer of 2^63 or
more (or below -2^63), or a string with a control character, a bidi override or isolate, or (in a
JSON body, the one place it can travel) a lone surrogate (issue 14: findings 13 and 14 over every
operation and all three identities). A hostile value is never a 5xx and never breaks the contract.

The number of cases is bounded: ``FUZZ_EXAMPLES`` per operation, identity and mode, half that
for the hostile mode (env ``JIEBANG_FUZZ_EXAMPLES`` overrides it for a longer run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
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


# Hostile values (issue 14, findings 13 and 14). Integers just past what a 64-bit column holds,
# and far past it; characters the input layer must refuse (market/text.py).
BIG_INTEGERS = st.one_of(
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30]),
    st.integers(min_value=2**63, max_value=2**80),
    st.integers(min_value=-(2**80), max_value=-(2**63) - 1),
)
CONTROL_CHARS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + ["\x7f"]
BIDI_CHARS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]
# Only a JSON body can carry a lone surrogate (escaped as \\udxxx); a URL or a header cannot.
HOSTILE_CHARS = {
    "url": st.sampled_from(CONTROL_CHARS + BIDI_CHARS),
    "json": st.sampled_from(CONTROL_CHARS + BIDI_CHARS + LONE_SURROGATES),
}


def _leaves(value: Any, kind: str) -> Iterator[tuple[Any, Any, str]]:
    """(container, key, kind) of every integer and string inside a case's value."""
    items: Iterator[tuple[Any, Any]]
    if isinstance(value, dict):
        items = iter(list(value.items()))
    elif isinstance(value, list):
        items = iter(list(enumerate(value)))
    else:
        return
    for key, item in items:
        if isinstance(item, bool):
            continue
        if isinstance(item, (int, str)):
            yield value, key, kind
        else:
            yield from _leaves(item, kind)


@st.composite
def hostile_cases(draw: st.DrawFn, operation: Any) -> schemathesis.Case:
    """A valid case with one of its values made hostile (a big integer, a refused character)."""
    case: schemathesis.Case = draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    slots = [*_leaves(case.path_parameters or {}, "url"), *_leaves(case.query or {}, "url")]
    if case.media_type == "application/json" and isinstance(case.body, (dict, list)):
        slots += list(_leaves(case.body, "json"))
    if not slots:
        return case
    container, key, kind = draw(st.sampled_from(slots))
    value = container[key]
    if isinstance(value, int):
        container[key] = draw(BIG_INTEGERS)
    else:
        at = draw(st.integers(min_value=0, max_value=len(value)))
        container[key] = value[:at] + draw(HOSTILE_CHARS[kind]) + value[at:]
    return case


def _fuzz(app: Any, headers: dict[str, str]) -> int:
    """Run every operation in all three modes; collect all failures, then fail once."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    cases = 0
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        modes: list[tuple[str, Any, Any]] = [
            (mode.value, operation.as_strategy(generation_mode=mode), FUZZ_SETTINGS)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
        modes.append(("hostile", hostile_cases(operation), HOSTILE_SETTINGS))
        for label, strategy, fuzz_settings in modes:

            @fuzz_settings
            @given(case=strategy)
            def run(case: schemathesis.Case) -> None:
                nonlocal cases
                cases += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                if label != GenerationMode.NEGATIVE.value:
                    raise
                # An operation without parameters or body has no invalid input to send.
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gather every operation's failure
                failures.append(f"{operation.method.upper()} {operation.path} [{label}]: {str(exc)[:1500]}")
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
HOSTILE_SETTINGS = settings(FUZZ_SETTINGS, max_examples=max(1, FUZZ_EXAMPLES // 2))


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


def test_the_hostile_mode_sends_big_integers_and_refused_characters(fuzz_app: Any) -> None:
    """The hostile strategy does reach each kind of value: 2^63 and past it in a path, a control
    character, a bidi override and a lone surrogate in a JSON body (generation only, nothing sent)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    operation = schema["/api/v1/needs/{need_id}/questions"]["POST"]
    seen: set[str] = set()

    @settings(FUZZ_SETTINGS, max_examples=200)
    @given(case=hostile_cases(operation))
    def collect(case: schemathesis.Case) -> None:
        need_id = (case.path_parameters or {}).get("need_id")
        if isinstance(need_id, int) and abs(need_id) >= 2**63:
            seen.add("big integer")
        text = "".join(str(c[k]) for c, k, _ in _leaves(case.body, "json"))
        for label, chars in (("control", CONTROL_CHARS), ("bidi", BIDI_CHARS), ("surrogate", LONE_SURROGATES)):
            if any(c in text for c in chars):
                seen.add(label)

    collect()
    assert seen == {"big integer", "control", "bidi", "surrogate"}
