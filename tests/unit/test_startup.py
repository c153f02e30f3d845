"""What `wxops run` hands its children, and how a schema state is refused."""

from __future__ import annotations

from bot.startup import SchemaState, child_environment


def test_the_children_of_run_do_not_get_the_variables_it_warned_about() -> None:
    env = {"HOME": "/home/x", "WXOPS_TOKEN": "abc", "WXOPS_MAX_CLOCKSKEW": "5",
           "WXOPS_TEST_CRASH_AFTER_SEND": "custom_text", "WXOPS_CONFIG": "/etc/wxops.toml"}
    assert child_environment(env) == {"HOME": "/home/x", "WXOPS_TOKEN": "abc",
                                      "WXOPS_TEST_CRASH_AFTER_SEND": "custom_text",
                                      "WXOPS_CONFIG": "/etc/wxops.toml"}


def test_each_schema_state_is_refused_by_its_code() -> None:
    never = SchemaState("not_migrated", None, "0006")
    behind = SchemaState("outdated", "0005", "0006")
    ahead = SchemaState("unrecognised", "0009", "0006")
    assert [(s.code, s.data) for s in (never, behind, ahead)] == [
        ("schema_not_migrated", {"revision": None, "head": "0006"}),
        ("schema_outdated", {"revision": "0005", "head": "0006"}),
        ("schema_unrecognised", {"revision": "0009", "head": "0006"})]
    assert not any(s.ok for s in (never, behind, ahead)) and SchemaState("ok", "1", "1").ok


def test_each_schema_state_says_what_to_do_in_one_line() -> None:
    never = SchemaState("not_migrated", None, "0006")
    behind = SchemaState("outdated", "0005", "0006")
    ahead = SchemaState("unrecognised", "0009", "0006")
    assert "wxops db upgrade" in never.refusal() and "wxops db upgrade" in behind.refusal()
    assert "0005" in behind.refusal() and "0009" in ahead.refusal()
    assert "upgrade" not in ahead.refusal()  # upgrading cannot help a newer schema
    assert all("\n" not in s.refusal() for s in (never, behind, ahead))
