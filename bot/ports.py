"""A taken port is a user error: say so in one line, before anything starts."""

from __future__ import annotations

import socket

from bot.cli_text import CliError


def ensure_free(host: str, port: int, option: str = "--port") -> None:
    """Raise a one-line error if ``host:port`` cannot be listened on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise CliError("port_taken", host=host, port=port, option=option,
                           detail=str(exc.strerror or exc)) from None
