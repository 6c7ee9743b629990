"""The text rules (market/text.py), one case each."""

from __future__ import annotations

import pytest

from market.text import TextRefused, clean, clean_filename, for_export


@pytest.mark.parametrize("value", ["a\x00b", "a\x1bb", "a\x7fb", "a\ud800b", "a\u202eb", "a\u2066b", "\u200b\ufeff"])
def test_refused(value: str) -> None:
    with pytest.raises(TextRefused):
        clean(value)


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("行一\r\n行二\r行三", "行一\n行二\n行三"),
        ("制\ue000表\ue001", "制表"),
        ("零\u200b宽", "零宽"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("", ""),
        ("   ", "   "),
    ],
)
def test_kept_or_stripped(value: str, kept: str) -> None:
    assert clean(value) == kept


def test_file_names_and_export_cells() -> None:
    assert clean_filename("../a\\b.pdf") == ".._a_b.pdf"
    assert for_export("x\x01\u202ey\ud800") == "xy\ufffd"


def test_every_email_field_shares_one_rule() -> None:
    """Registration, a colleague, an invitation and a reset request trim, lower-case and refuse alike."""
    import pydantic

    from market.accounts.schemas import InvitationIn, ResetRequestIn
    from market.orgs.schemas import UserIn

    cases: list[tuple[type[pydantic.BaseModel], dict[str, object]]] = [
        (ResetRequestIn, {}),
        (InvitationIn, {"display_name": "王工"}),
        (UserIn, {"display_name": "王工", "password": "Jiaxing-2026-secure"}),
    ]
    for schema, rest in cases:
        assert schema.model_validate({"email": "  Wang@Example.COM ", **rest}).email == "wang@example.com"  # type: ignore[attr-defined]
        with pytest.raises(pydantic.ValidationError, match="邮箱格式不正确"):
            schema.model_validate({"email": "wang@example", **rest})
