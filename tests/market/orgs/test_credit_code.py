"""The 统一社会信用代码 check digit (GB 32100-2015) and registration refusing a wrong one."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from market.orgs import credit_code
from market.orgs.schemas import RegistrationIn

# The worked example of GB 32100-2015 (a sample code, not an organisation).
STANDARD_EXAMPLE = "91350100M000100Y43"

REG = {
    "org_name": "嘉兴校验测试有限公司",
    "org_kind": "enterprise",
    "email": "uscc@test.jiebang.cn",
    "display_name": "张工",
    "password": "Passw0rd!2026",
}


def test_check_digit_of_the_standard_example() -> None:
    assert credit_code.check_digit(STANDARD_EXAMPLE[:17]) == "3"
    assert credit_code.is_valid(STANDARD_EXAMPLE)


def test_check_digit_31_is_written_zero() -> None:
    # Find a body whose weighted sum is ≡ 0 (mod 31): its check character is "0", never "31".
    rng = random.Random(7)
    while True:
        body = "91330402" + "".join(rng.choice("0123456789") for _ in range(9))
        total = sum(credit_code.CHARSET.index(c) * w for c, w in zip(body, credit_code.WEIGHTS, strict=True))
        if total % 31 == 0:
            break
    assert credit_code.check_digit(body) == "0"


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # 17 characters
        "91350100M000100Y43X",  # 19 characters
        "91350100M000I00Y43",  # I is not in the charset
        "91350100m000100y43",  # lower case is not the stored form
        "",
    ],
)
def test_invalid_codes(code: str) -> None:
    assert not credit_code.is_valid(code)


def test_every_single_character_change_is_caught() -> None:
    for pos in range(17):
        for ch in credit_code.CHARSET:
            if ch == STANDARD_EXAMPLE[pos]:
                continue
            changed = STANDARD_EXAMPLE[:pos] + ch + STANDARD_EXAMPLE[pos + 1 :]
            assert not credit_code.is_valid(changed), changed


def test_check_digit_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        credit_code.check_digit("9135010")
    with pytest.raises(ValueError):
        credit_code.check_digit("91350100M000100YO")


def test_registration_accepts_a_valid_code_as_typed() -> None:
    reg = RegistrationIn.model_validate({**REG, "credit_code": " 91350100m000100y43 "})
    assert reg.credit_code == STANDARD_EXAMPLE
    assert RegistrationIn.model_validate({**REG, "credit_code": ""}).credit_code is None
    assert RegistrationIn.model_validate(REG).credit_code is None


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91350100M000100Y44", "校验位不正确"),
        ("91350100M00010", "应为 18 位"),
        ("91350100M000I00Y43", "无效字符"),
    ],
)
def test_registration_refuses_an_invalid_code_in_chinese(code: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        RegistrationIn.model_validate({**REG, "credit_code": code})
    errors = info.value.errors()
    assert [e["loc"] for e in errors] == [("credit_code",)]
    assert words in errors[0]["msg"]
