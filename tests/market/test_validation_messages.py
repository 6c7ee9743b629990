"""Every pydantic error type has a Chinese sentence; bounds are said with their value (issue 14
finding 18, issue 18: "Input should be greater than 0" reached people)."""

from __future__ import annotations

import re
import typing

import pytest
from pydantic import ValidationError
from pydantic_core import InitErrorDetails
from pydantic_core import ValidationError as CoreValidationError
from pydantic_core.core_schema import ErrorType

from market import validation_messages
from market.deals.schemas import DealAdvance
from market.needs import importer
from market.needs.schemas import NeedCreate
from web.errors import validation_details

ERROR_TYPES = typing.get_args(ErrorType)
CJK = re.compile(r"[\u4e00-\u9fff]")
# Enough context for any type's English template to render (pydantic refuses an error without it).
CTX: dict[str, object] = {
    "gt": 7, "ge": 7, "lt": 7, "le": 7, "multiple_of": 7, "min_length": 7, "max_length": 7, "actual_length": 8,
    "field_type": "List", "expected": "'a' or 'b'", "pattern": "^x$", "max_digits": 7, "decimal_places": 7,
    "whole_digits": 7, "error": "boom", "class_name": "X", "attribute": "a", "tag": "t", "discriminator": "'kind'",
    "expected_tags": "'a'", "tz_expected": 0, "expected_schemes": "'https'", "expected_version": 4, "class": "X",
    "reason": "bad", "context": "x", "max_length_bytes": 7, "max_allowed": 7, "unit": "s", "message": "m",
    "type": "t", "object_type": "X", "method_name": "m", "encoding": "base64", "tz_actual": 3600, "encoding_error": "bad",
}


def _real_error(kind: str) -> dict[str, object]:
    """The error as pydantic reports it, its English message rendered from the context."""
    details = InitErrorDetails(type=kind, loc=("field_x",), input="x", ctx=CTX)  # type: ignore[typeddict-item]
    try:
        exc = CoreValidationError.from_exception_data("Model", [details])
    except (KeyError, TypeError) as missing:  # a type this pydantic renders from other keys
        pytest.fail(f"{kind}: context key missing: {missing}")
    return dict(exc.errors()[0])


def test_every_pydantic_error_type_has_chinese() -> None:
    assert len(ERROR_TYPES) > 100
    unmapped = [k for k in ERROR_TYPES if k not in validation_messages.FIXED and k not in validation_messages.BOUNDED]
    assert not unmapped, unmapped


@pytest.mark.parametrize("kind", ERROR_TYPES)
def test_each_error_type_reads_in_chinese_with_its_bound(kind: str) -> None:
    err = _real_error(kind)
    said = validation_messages.message(err)
    assert CJK.search(said), (kind, said)
    assert said != err["msg"] and "Input should" not in said and "Value error" not in said
    if kind in validation_messages.BOUNDED:
        assert "7" in said, (kind, said)  # the bound, as a number a person reads
    # What the API and the pages answer: the field named, the Chinese sentence.
    [detail] = validation_details([err])
    if kind == "json_invalid":  # its location is an offset in the body: the body as a whole is named
        assert detail == {"field": "请求体", "message": said}
    else:
        assert detail == {"field": "field_x", "message": said}


def test_a_database_sized_bound_is_not_read_out() -> None:
    err = {"type": "less_than_equal", "ctx": {"le": 2**63 - 1}, "msg": "Input should be less than or equal to 9223372036854775807"}
    assert validation_messages.message(err) == "数值过大"


def test_real_models_say_their_bounds() -> None:
    """"Input should be greater than 0" for a contract amount of 0 (issue 18)."""
    with pytest.raises(ValidationError) as caught:
        DealAdvance.model_validate({"stage": "signed", "contract_amount_wan": 0})
    assert validation_details(caught.value.errors()) == [{"field": "contract_amount_wan", "message": "须大于 0"}]
    with pytest.raises(ValidationError) as caught:
        DealAdvance.model_validate({"stage": "signed", "contract_amount_wan": 2_000_000})
    assert validation_details(caught.value.errors()) == [{"field": "contract_amount_wan", "message": "须不大于 1000000"}]


def test_import_row_problems_are_chinese_with_the_bound() -> None:
    """The Excel import reported pydantic's English for types it had not mapped."""
    with pytest.raises(ValidationError) as caught:
        NeedCreate.model_validate({"title": "x", "budget_min_wan": -1})
    problems = {p.field: p.message for p in importer._problems(3, caught.value)}
    assert problems["budget_min_wan"] == "须不小于 0"
    assert problems["title"].startswith("内容过短（至少")
    assert all(CJK.search(m) and "Input" not in m for m in problems.values()), problems


def test_a_custom_english_error_is_not_shown() -> None:
    err = {"type": "value_error", "msg": "Value error, something internal", "ctx": {"error": "x"}}
    assert validation_messages.message(err) == "格式不正确"
