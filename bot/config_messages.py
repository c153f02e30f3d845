"""pydantic's validation errors as the one Chinese line a bad setting gets.

pydantic words its errors in English ("Input should be a valid boolean"); a
setting's refusal names the setting and says in Chinese what it must be. Every
error type a setting can produce (a string from the environment, any TOML value
from the file) has its own message here; the validators in ``bot.config`` raise
theirs in Chinese already (``value_error``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

_MESSAGES = {
    "bool_parsing": "必须是 1 或 0（也可以写 true/false、yes/no、on/off）",
    "bool_type": "必须是 1 或 0（也可以写 true/false、yes/no、on/off）",
    "int_parsing": "必须是整数",
    "int_type": "必须是整数",
    "int_from_float": "必须是整数，不能有小数",
    "int_parsing_size": "数字太大",
    "float_parsing": "必须是数字，例如 5 或 0.5",
    "float_type": "必须是数字，例如 5 或 0.5",
    "finite_number": "必须是有限的数字，不能是 nan 或 inf",
    "greater_than": "必须大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "string_type": "必须是文字（在 TOML 文件里要加引号）",
    "string_too_short": "至少要 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "string_pattern_mismatch": "格式不对",
    "string_unicode": "不是合法的 Unicode 文本",
    "missing": "必须设置",
    "extra_forbidden": "不是 wxops 的设置",
}


def first_error(exc: ValidationError) -> tuple[str, str]:
    """The field pydantic found wrong first, and why in Chinese."""
    err = exc.errors()[0]
    name = str(err["loc"][0]) if err["loc"] else "?"
    return name, message(err["type"], err.get("ctx") or {})


def message(error_type: str, ctx: dict[str, Any]) -> str:
    if error_type == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our validators' own (Chinese) words
    template = _MESSAGES.get(error_type)
    if template is None:
        return f"取值无效（{error_type}）"
    return template.format(**{k: _number(v) for k, v in ctx.items()})


def _number(value: Any) -> Any:
    """``3600.0`` as ``3600``: a bound reads as it was written."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
