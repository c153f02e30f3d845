"""Settings: defaults that run the demo, one clear line for each bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

GOOD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_defaults_work_out_of_the_box() -> None:
    s = load_settings({})
    assert s.database_url.startswith("sqlite:///var/")
    assert (s.timezone, s.demo, s.redis_url) == ("Asia/Shanghai", True, "")
    assert s.wechat_api_base == "https://api.weixin.qq.com"


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("WXOPS_ENCODING_AES_KEY", "a" * 42, "43"),
    ("WXOPS_ENCODING_AES_KEY", "!" * 43, "字母"),
    ("WXOPS_ENCODING_AES_KEY_PREVIOUS", "short", "43"),
    ("WXOPS_TIMEZONE", "Mars/Olympus", "时区"),
    ("WXOPS_TIMEZONE", "../../etc/passwd", "时区"),
    ("WXOPS_DATABASE_URL", "not a url", "URL"),
    ("WXOPS_DATABASE_URL", "mysql://root@localhost/x", "mysql"),
    ("WXOPS_WECHAT_API_BASE", "api.weixin.qq.com", "http"),
    ("WXOPS_REDIS_URL", "localhost:6379", "redis://"),
])
def test_a_bad_value_names_the_setting_in_one_line(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as bad:
        load_settings({name: value})
    message = str(bad.value)
    assert message.startswith(name + "：") and fragment in message
    assert "\n" not in message


def test_toml_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text('timezone = "Asia/Tokyo"\ntoken = "from-file"\n', encoding="utf-8")
    s = load_settings({"WXOPS_CONFIG": str(path), "WXOPS_TOKEN": "from-env"})
    assert (s.timezone, s.token) == ("Asia/Tokyo", "from-env")


@pytest.mark.parametrize(("content", "fragment"), [
    ("colour = 'blue'\n", "colour"),
    ("timezone = \n", "无法读取"),
])
def test_bad_toml_files(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "wxops.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_settings({"WXOPS_CONFIG": str(path)})
    with pytest.raises(ConfigError, match="找不到"):
        load_settings({"WXOPS_CONFIG": str(tmp_path / "missing.toml")})


def test_masked_settings_hide_secrets() -> None:
    s = load_settings({"WXOPS_APP_SECRET": "supersecretvalue", "WXOPS_ENCODING_AES_KEY": GOOD_KEY,
                       "WXOPS_DATABASE_URL": "postgresql+psycopg://u:pw@db/wx",
                       "WXOPS_APP_ID": "wx123"})
    shown = s.masked()
    assert "supersecretvalue" not in shown["WXOPS_APP_SECRET"]
    assert GOOD_KEY not in shown["WXOPS_ENCODING_AES_KEY"]
    assert "pw" not in shown["WXOPS_DATABASE_URL"] and "db/wx" in shown["WXOPS_DATABASE_URL"]
    assert shown["WXOPS_APP_ID"] == "wx123" and not s.demo
