"""Handlers of the account's read-only endpoints: what ``wxops doctor`` and the
worker's start-up check call to learn whether the account has a capability.

They answer as the platform does, with what the emulated account holds (its
followers, materials); the emulator keeps no customer-service staff, message
templates or menu, so those lists are empty, as on a new account.
"""

from __future__ import annotations

from bot.emulator.request import Call
from bot.emulator.state import EmulatorState

Body = dict[str, object]


def kf_list(state: EmulatorState, call: Call) -> Body:
    """customservice/getkflist."""
    return {"kf_list": []}


def private_templates(state: EmulatorState, call: Call) -> Body:
    """template/get_all_private_template."""
    return {"template_list": []}


def material_count(state: EmulatorState, call: Call) -> Body:
    """material/get_materialcount: images and thumbs are kept as image materials."""
    images = len(state.library.materials)
    return {"voice_count": 0, "video_count": 0, "image_count": images, "news_count": 0}


def followers(state: EmulatorState, call: Call) -> Body:
    """user/get: every subscribed follower in one page (the platform's holds 10,000)."""
    openids = state.audience.subscribed()
    return {"total": len(openids), "count": len(openids), "data": {"openid": openids},
            "next_openid": openids[-1] if openids else ""}


def menu_info(state: EmulatorState, call: Call) -> Body:
    """get_current_selfmenu_info: no menu set."""
    return {"is_menu_open": 0}
