"""Chinese for every pydantic error type (issue 14 finding 18, issue 18): what a person reads next
to a field, in an API error's ``details`` or in an import's row problems. Never pydantic's English
sentence, never an identifier; a bound (``gt``, ``max_length``, …) is said with its value.

``message(err)`` takes one entry of ``ValidationError.errors()``. Every type in
``pydantic_core.core_schema.ErrorType`` has a sentence here (a test walks them all)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

# Bounds past this are the database's limits, not a person's: said as 数值过大 / 数值过小.
_HUMAN_BOUND = 10**15

FIXED: dict[str, str] = {
    # presence and shape
    "missing": "必填", "missing_argument": "必填", "missing_keyword_only_argument": "必填",
    "missing_positional_only_argument": "必填", "missing_sentinel_error": "必填",
    "extra_forbidden": "不允许的字段", "unexpected_keyword_argument": "不允许的字段",
    "unexpected_positional_argument": "不允许的字段", "multiple_argument_values": "字段重复",
    "no_such_attribute": "不允许的字段", "invalid_key": "字段名须为文本", "get_attribute_error": "格式不正确",
    "frozen_field": "该字段不可修改", "frozen_instance": "不可修改", "none_required": "此处不应填写",
    "default_factory_not_called": "格式不正确", "needs_python_object": "格式不正确",
    "recursion_loop": "嵌套过深", "recursion_depth_exceeded": "嵌套过深",
    "json_invalid": "JSON 格式错误，无法解析", "json_type": "须为 JSON 文本",
    # objects and collections
    "model_type": "须为对象", "model_attributes_type": "须为对象", "dataclass_type": "须为对象",
    "dataclass_exact_type": "须为对象", "named_tuple_type": "须为列表", "dict_type": "须为对象",
    "frozen_dict_type": "须为对象", "ordered_dict_type": "须为对象", "counter_type": "须为对象",
    "mapping_type": "须为对象", "arguments_type": "须为对象", "list_type": "须为列表", "deque_type": "须为列表",
    "tuple_type": "须为列表", "set_type": "须为列表", "frozen_set_type": "须为列表", "iterable_type": "须为列表",
    "iteration_error": "列表格式不正确", "set_item_not_hashable": "列表中有不能比较的条目",
    "is_instance_of": "格式不正确", "is_subclass_of": "格式不正确", "callable_type": "格式不正确",
    "union_tag_invalid": "取值不在允许范围内", "union_tag_not_found": "缺少类型字段",
    # text
    "string_type": "须为文本", "string_sub_type": "须为文本", "string_unicode": "须为有效的 UTF-8 文本",
    "string_not_ascii": "只能包含英文字母、数字和常用符号", "string_pattern_mismatch": "格式不正确",
    "literal_error": "取值不在允许范围内", "enum": "取值不在允许范围内",
    "bytes_type": "须为文本", "bytes_invalid_encoding": "编码不正确",
    # numbers
    "bool_type": "须为“是”或“否”（true 或 false）", "bool_parsing": "须为“是”或“否”（true 或 false）",
    "int_type": "须为整数", "int_parsing": "须为整数", "int_parsing_size": "数值过大", "int_from_float": "须为整数",
    "float_type": "须为数字", "float_parsing": "须为数字", "finite_number": "须为有限数字",
    "decimal_type": "须为数字", "decimal_parsing": "须为数字", "fraction_type": "须为数字",
    "fraction_parsing": "须为数字", "complex_type": "须为数字", "complex_str_parsing": "须为数字",
    # dates and times
    "date_type": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_from_datetime_inexact": "须为日期，不含时间",
    "date_past": "须为今天以前的日期", "date_future": "须为今天以后的日期",
    "time_type": "时间格式应为 HH:MM", "time_parsing": "时间格式应为 HH:MM",
    "datetime_type": "时间格式应为 YYYY-MM-DD HH:MM", "datetime_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
    "datetime_object_invalid": "时间不存在", "datetime_from_date_parsing": "时间格式应为 YYYY-MM-DD HH:MM",
    "datetime_past": "须为过去的时间", "datetime_future": "须为将来的时间",
    "timezone_naive": "时间不应带时区", "timezone_aware": "时间须带时区", "timezone_offset": "时区不正确",
    "time_delta_type": "时长格式不正确", "time_delta_parsing": "时长格式不正确",
    # web addresses, identifiers
    "url_type": "网址格式不正确", "url_parsing": "网址格式不正确", "url_syntax_violation": "网址格式不正确",
    "url_scheme": "网址须以 http:// 或 https:// 开头", "uuid_type": "编号格式不正确",
    "uuid_parsing": "编号格式不正确", "uuid_version": "编号格式不正确",
    # our own validators say it in Chinese already (value_error); an assert that fails does not
    "value_error": "格式不正确", "assertion_error": "格式不正确", "ellipsis_error": "格式不正确",
}


def _bound(value: Any) -> str | None:
    """A bound as a person writes it, or None when it is no person's bound."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if abs(value) >= _HUMAN_BOUND:
            return None
        return str(int(value)) if float(value).is_integer() else f"{value:g}"
    text = str(value)
    return text if text and len(text) <= 30 else None


def _with_bound(ctx: Mapping[str, Any], key: str, template: str, fallback: str) -> str:
    said = _bound(ctx.get(key))
    return template.format(said) if said is not None else fallback


def message(err: Mapping[str, Any]) -> str:
    """The Chinese sentence for one pydantic error (its type, its ``ctx`` bounds)."""
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    if kind == "value_error":
        # Our validators raise ValueError with a Chinese sentence: that sentence is the message.
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        return msg if msg and not msg.isascii() else FIXED[kind]
    if kind == "greater_than":
        return _with_bound(ctx, "gt", "须大于 {}", "数值过小")
    if kind == "greater_than_equal":
        return _with_bound(ctx, "ge", "须不小于 {}", "数值过小")
    if kind == "less_than":
        return _with_bound(ctx, "lt", "须小于 {}", "数值过大")
    if kind == "less_than_equal":
        return _with_bound(ctx, "le", "须不大于 {}", "数值过大")
    if kind == "multiple_of":
        return _with_bound(ctx, "multiple_of", "须为 {} 的整数倍", "数值不符合要求")
    if kind == "string_too_short":
        return _with_bound(ctx, "min_length", "内容过短（至少 {} 字）", "内容过短")
    if kind in ("string_too_long", "url_too_long"):
        return _with_bound(ctx, "max_length", "内容过长（上限 {} 字）", "内容过长")
    if kind == "bytes_too_short":
        return _with_bound(ctx, "min_length", "内容过短（至少 {} 字节）", "内容过短")
    if kind == "bytes_too_long":
        return _with_bound(ctx, "max_length", "内容过长（上限 {} 字节）", "内容过长")
    if kind == "too_short":
        return _with_bound(ctx, "min_length", "条目过少（至少 {} 项）", "条目过少")
    if kind == "too_long":
        return _with_bound(ctx, "max_length", "条目过多（最多 {} 项）", "条目过多")
    if kind == "decimal_max_digits":
        return _with_bound(ctx, "max_digits", "数字位数过多（最多 {} 位）", "数字位数过多")
    if kind == "decimal_max_places":
        return _with_bound(ctx, "decimal_places", "小数位数过多（最多 {} 位）", "小数位数过多")
    if kind == "decimal_whole_digits":
        return _with_bound(ctx, "whole_digits", "整数部分位数过多（最多 {} 位）", "整数部分位数过多")
    return FIXED.get(kind, "格式不正确")


# The types whose sentence carries a bound, with the ctx key it comes from.
BOUNDED = {
    "greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le",
    "multiple_of": "multiple_of", "string_too_short": "min_length", "string_too_long": "max_length",
    "url_too_long": "max_length", "bytes_too_short": "min_length", "bytes_too_long": "max_length",
    "too_short": "min_length", "too_long": "max_length", "decimal_max_digits": "max_digits",
    "decimal_max_places": "decimal_places", "decimal_whole_digits": "whole_digits",
}
