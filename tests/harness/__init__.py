"""Test doubles that speak the real WeChat protocol."""

from tests.harness.wechat import WeChatSigner

__all__ = ["WeChatSigner"]
