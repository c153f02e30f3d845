"""A TCP proxy on loopback between wxops's processes and PostgreSQL that a test can
cut: every open connection dropped at once and new ones refused (the listening
socket closed, so a connect meets ECONNREFUSED) for a while, as when the database
restarts or the network between the hosts goes away."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

_CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0

    def __enter__(self) -> TcpProxy:
        threading.Thread(target=self._serve, args=(self._listener,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()
        self._drop_all()

    def cut(self, seconds: float) -> None:
        """Drop every connection and refuse new ones for ``seconds``; returns when
        connections are accepted again."""
        listener = self._listener
        self._listener = None  # type: ignore[assignment]
        listener.close()
        self._drop_all()
        time.sleep(seconds)
        self._listener = self._listen(self.port)
        threading.Thread(target=self._serve, args=(self._listener,), daemon=True).start()

    def refuse(self, seconds: float) -> threading.Thread:
        """``cut`` in the background; join the thread returned to wait for the end."""
        thread = threading.Thread(target=self.cut, args=(seconds,), daemon=True)
        thread.start()
        return thread

    @staticmethod
    def _listen(port: int) -> socket.socket:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        return listener

    def _serve(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed: by cut() or on exit
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self.accepted += 1
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(_CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source, sink)

    def _close(self, *sockets: socket.socket) -> None:
        with self._lock:
            for s in sockets:
                self._open.discard(s)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _drop_all(self) -> None:
        with self._lock:
            dropped = list(self._open)
        self._close(*dropped)
