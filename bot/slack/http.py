"""The HTTP face of Enabler: /slack/events, /healthz, /metrics, served by waitress.

waitress is a production WSGI server (threads, no dependencies, behind any proxy); Bolt's own
development server is not meant for production.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, cast

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.observability import Metrics, get_logger

log = get_logger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# Answers a request to /slack/events ahead of Bolt, as (status, body), or None to leave it to
# Bolt (bot/slack/listeners/events.py: HttpEvents).
FastPath = Callable[[bytes, dict[str, Any]], tuple[int, str] | None]
_REASONS = {200: "200 OK", 400: "400 Bad Request"}

MAX_BODY_BYTES = 1_000_000  # Slack payloads are far smaller; refuse anything silly early.


def make_wsgi_app(
    bolt_app: App,
    *,
    health: Callable[[], bool],
    metrics: Metrics,
    fast_path: FastPath | None = None,
) -> WSGIApp:
    slack = SlackRequestHandler(bolt_app, path="/slack/events")
    # The labelled children, looked up once: `labels()` per request cost more than the counting.
    slack_seconds = metrics.handler_seconds.labels(kind="slack")
    bad_signature = metrics.rejections.labels(reason="bad_signature")

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            ok = _safe(health)
            start_response(
                "200 OK" if ok else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [b'{"ok": true}' if ok else b'{"ok": false, "database": "unreachable"}']
        if path == "/metrics" and method == "GET":
            start_response("200 OK", [("Content-Type", "text/plain; version=0.0.4")])
            return [metrics.render()]
        if path == "/slack/events":
            if method != "POST":
                start_response("405 Method Not Allowed", [("Allow", "POST")])
                return [b"POST only"]
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                metrics.rejections.labels(reason="bad_body").inc()
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"bad request body"]
            started = time.perf_counter()
            status_holder: list[str] = []

            def recording_start(status: str, headers: list[tuple[str, str]], *a: Any) -> Any:
                status_holder.append(status)
                return start_response(status, headers, *a)

            if fast_path is not None:
                body = environ["wsgi.input"].read(length)
                answered = fast_path(body, environ)
                if answered is not None:
                    status_code, text = answered
                    start_response(_REASONS[status_code], [("Content-Type", "text/plain")])
                    slack_seconds.observe(time.perf_counter() - started)
                    return [text.encode()]
                environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads the body again
            try:
                result = slack(environ, recording_start)
            except Exception as exc:
                # Malformed bodies can make the adapter raise; that is the client's fault.
                metrics.rejections.labels(reason="malformed").inc()
                log.warning("malformed_request", error=type(exc).__name__)
                start_response("400 Bad Request", [("Content-Type", "text/plain")])
                return [b"malformed request"]
            status = status_holder[0] if status_holder else "000"
            if status.startswith("401"):
                bad_signature.inc()
            slack_seconds.observe(time.perf_counter() - started)
            return result
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return app


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except Exception:  # the check's whole point is to turn failure into "unhealthy"
        return False


class HttpServer:
    """waitress on a background thread; port 0 picks a free port (tests, demo, benchmarks)."""

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8):
        self._server = create_server(
            app, host=host, port=port, threads=threads, clear_untrusted_proxy_headers=True
        )
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(cast(Any, self._server).effective_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="waitress", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._server.run()
        except (OSError, ValueError):
            # Closing the listening socket under a running select loop makes it raise
            # (EBADF / "file descriptor cannot be a negative integer"): that is our stop.
            if not self._stopping.is_set():
                raise

    def serve_forever(self) -> None:
        self._server.run()

    def stop(self) -> None:
        self._stopping.set()
        self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
