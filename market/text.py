"""The one set of rules for text that people send in (issue 14, findings 14 and 16).

Every input schema derives from ``InputModel``, whose validator runs ``clean`` on every string it
holds (lists and dicts of strings included), so the API, the pages' forms (which validate through
the same schemas) and the Excel import share these rules; file names go through ``clean_filename``.

- Refused, with a Chinese message naming the field: control characters U+0000–U+001F other than
  tab and newline (and U+007F–U+009F), lone surrogates, the bidi embedding / override / isolate
  controls (U+202A–U+202E, U+2066–U+2069), and a value that is nothing but invisible characters.
- Stripped, where harmless: carriage returns (``\\r\\n`` and ``\\r`` become ``\\n``), zero-width
  characters (U+200B–U+200D, U+2060, U+FEFF), the marks U+200E/U+200F, and private-use characters
  (U+E000–U+F8FF, planes 15–16), which the search highlighter uses as its own markers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_STRIP = re.compile(r"[\u200b-\u200f\u2060\ufeff\ue000-\uf8ff\U000f0000-\U0010ffff]")
_INVISIBLE_ONLY = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]*")


# Compared byte for byte later, never shown: left exactly as typed.
_VERBATIM = frozenset({"password", "new_password", "current_password"})


class TextRefused(ValueError):
    """A value holding characters that are refused (the message is what a person reads)."""


def clean(value: str) -> str:
    """The value with the harmless invisible characters stripped, or ``TextRefused``."""
    if _SURROGATE.search(value):
        raise TextRefused("含有无效的字符（编码错误），请重新输入")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(value):
        raise TextRefused("含有不可见的控制字符，请删除后重新输入")
    if _BIDI.search(value):
        raise TextRefused("含有文字方向控制字符（如 U+202E），请删除后重新输入")
    if value and _INVISIBLE_ONLY.fullmatch(value) and not value.isspace():
        raise TextRefused("不能只含不可见字符")
    return _STRIP.sub("", value)


def clean_filename(name: str) -> str:
    """A file name as stored and shown: no path separators, no refused characters, at most 200 long."""
    name = clean(name).replace("\n", " ").replace("\t", " ")
    return name.replace("/", "_").replace("\\", "_")[-200:] or "file"


def for_export(value: str) -> str:
    """Text safe for a spreadsheet cell: a stored value from before these rules (or written by a
    path that bypassed them) never breaks an export."""
    return _STRIP.sub("", _BIDI.sub("", _CONTROL.sub("", _SURROGATE.sub("\ufffd", value))))


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_clean_any(v) for v in value]
    if isinstance(value, dict):
        return {(clean(k) if isinstance(k, str) else k): _clean_any(v) for k, v in value.items()}
    return value


class InputModel(BaseModel):
    """The base of every input schema: no unknown fields, and the text rules above on every string."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in _VERBATIM:
            return value
        return _clean_any(value)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(value: str) -> str:
    """An e-mail address as stored and compared: trimmed, lower case; refused when malformed."""
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("邮箱格式不正确")
    return value


EmailAddress = Annotated[str, Field(max_length=200), AfterValidator(normalise_email)]
"""The one e-mail field of every input schema (registration, colleagues, invitations, resets)."""
