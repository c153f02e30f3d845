"""The emulator as a WSGI app (werkzeug) and the helpers that serve it.

WeChat calls are logged, then an injected failure (if any) answers instead of
the endpoint; control calls under ``/_emulator/`` go to `bot.emulator.control`.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any, NoReturn

from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from bot.emulator import api, control
from bot.emulator.errors import WeChatError
from bot.emulator.limits import Injection
from bot.emulator.request import Call, Upload
from bot.emulator.runtime import Emulator
from bot.emulator.state import EmulatorConfig, EmulatorState

CONTROL_PREFIX = "/_emulator/"
_SECRET_RE = re.compile(r"\b(access_token|secret)=[^&\s]*")
#: Paths whose successful answers are not logged: what the chat polls for.
_QUIET = ("/_emulator/inbox/",)
StartResponse = Callable[..., Any]


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8")


def _drop(environ: dict[str, Any]) -> NoReturn:
    """Close the connection without an answer (the dev server exposes its socket)."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("emulator: injected dropped connection")


def _read_call(request: Request) -> tuple[Call, object]:
    """The call and its body as logged; a body that is not a JSON object → 47001."""
    query, caller = dict(request.args.items()), request.remote_addr or ""
    if request.mimetype == "multipart/form-data":
        files = {k: Upload(f.filename or "", f.read()) for k, f in request.files.items()}
        logged = {"files": {k: {"filename": u.filename, "size": len(u.data)}
                            for k, u in files.items()}}
        return Call(request.path, query, {}, files, remote_addr=caller), logged
    # WeChat ignores Content-Type: a JSON body may come labelled as a form.
    raw = request.get_data(parse_form_data=False)
    if not raw.strip():
        return Call(request.path, query, remote_addr=caller), None
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return (Call(request.path, query, malformed=True, remote_addr=caller),
                raw.decode("utf-8", "replace"))
    if not isinstance(body, dict):
        return Call(request.path, query, malformed=True, remote_addr=caller), body
    return Call(request.path, query, body, remote_addr=caller), body


def _control_body(raw: bytes) -> object:
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise control.ControlError("the body is not JSON") from None


def _intermediary(state: EmulatorState, method: str, call: Call, injection: Injection) -> Response:
    """A proxy's error page instead of WeChat's answer; WeChat acted on the call
    first when the injection says it was ``handled`` (whatever it answered)."""
    if injection.handled:
        with suppress(WeChatError), state.lock:
            api.dispatch(state, method, call)
    status = injection.status or 502
    page = f"<html><head><title>{status}</title></head><body>proxy error {status}</body></html>"
    return Response(page, status=status, content_type="text/html")


class _RequestHandler(WSGIRequestHandler):
    """Access log lines without the access_token and secret values."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if str(code) == "200" and self.path.startswith(_QUIET):
            return  # every open `wxops chat` polls its inbox every second
        self.path = _SECRET_RE.sub(r"\1=***", self.path)
        super().log_request(code, size)


#: Where the image host serves an upload (content._image_url), and its content type.
IMAGE_PATH = re.compile(r"/mmbiz_(jpg|png|gif)/[0-9a-f]{32}/0")
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}


class EmulatorApp:
    """WSGI application of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        request = Request(environ)
        if request.method in ("GET", "HEAD") and IMAGE_PATH.fullmatch(request.path):
            return self._image(request.path)(environ, start_response)
        if request.path.startswith(CONTROL_PREFIX):
            response = self._control(request)
        else:
            response = self._wechat(request, environ)
        if request.method != "GET" or not request.path.startswith(CONTROL_PREFIX):
            self.emulator.remember()  # every WeChat call counts against a quota
        return response(environ, start_response)

    def _image(self, path: str) -> Response:
        """An image uploaded here, as the platform's image host (mmbiz.qpic.cn) serves
        it: a browser told that host is this emulator (tests/browser) shows it."""
        with self.emulator.state.lock:
            found = self.emulator.state.library.image(path)
        if found is None:
            return Response(status=404)
        kind, data = found
        return Response(data, content_type=IMAGE_TYPES[kind],
                        headers={"Cache-Control": "max-age=86400"})

    def _wechat(self, request: Request, environ: dict[str, Any]) -> Response:
        state = self.emulator.state
        call, logged = _read_call(request)
        with state.lock:
            state.log_call(request.method, request.path, dict(request.args.items()), logged)
            injection = state.failures.take(request.path)
        if injection is not None and injection.drop:
            _drop(environ)
        if injection is not None and injection.delay:
            time.sleep(injection.delay)  # slow, not failing: the call is then handled
        if injection is not None and injection.status is not None:
            return _intermediary(state, request.method, call, injection)
        try:
            if injection is not None and injection.errcode is not None:
                raise WeChatError(injection.errcode)
            if call.malformed:
                raise WeChatError(47001)
            with state.lock:
                return _json(api.dispatch(state, request.method, call))
        except WeChatError as exc:
            return _json(exc.body(), 404 if exc.errcode == 40066 else 200)

    def _control(self, request: Request) -> Response:
        try:
            handler, args = control.URLS.bind_to_environ(request.environ).match()
            body = _control_body(request.get_data(parse_form_data=False))
            if not isinstance(body, dict):
                raise control.ControlError("the body must be a JSON object")
            return _json(handler(self.emulator, body, args))
        except control.ControlError as exc:
            return _json({"error": str(exc)}, 400)
        except HTTPException as exc:
            return _json({"error": exc.description}, exc.code or 500)


def create_app(config: EmulatorConfig | None = None,
               state_file: Path | None = None) -> EmulatorApp:
    return EmulatorApp(Emulator(config, state_file))


def serve(app: EmulatorApp, host: str = "127.0.0.1", port: int = 9090) -> None:
    """Serve until interrupted (``wxops emulator``)."""
    server = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
    try:
        server.serve_forever()
    finally:
        app.emulator.stop()
        server.server_close()


def start_in_thread(config: EmulatorConfig | None = None, host: str = "127.0.0.1",
                    port: int = 0, state_file: Path | None = None
                    ) -> tuple[str, Callable[[], None]]:
    """Serve in a daemon thread; returns the base URL and a function that stops it.
    Port 0 picks a free port."""
    app = create_app(config, state_file)
    server = make_server(host, port, app, threaded=True, request_handler=_RequestHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="wechat-emulator",
                              daemon=True)
    thread.start()

    def stop() -> None:
        app.emulator.stop()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop
