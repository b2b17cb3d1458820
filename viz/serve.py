"""viz.watch(): a training script's run, drawn live in the browser (``tracegrad train --live``).

::

    watcher = viz.watch(model, X, y, loss="hinge", optimizer=optimizer)
    print("watch it at", watcher.url)
    watcher.start()                      # opens the browser; waits for the page to connect
    nn.fit(model, X, y, loss="hinge", optimizer=optimizer, epochs=200, on_step=watcher)
    watcher.finish()                     # the last frame; then waits until the page is closed

The page is viz.live's (live.js on the player's panels). It is served by the
standard library's http.server on 127.0.0.1, on a port the system picks,
with a random token in the URL; a request without the token, or for anything
but the page, its event stream and its actions, is refused. Frames travel as
server-sent events, about ten a second (every step is on the loss curve; the
frames between are skipped, never queued). The page can pause the script:
fit's ``on_step`` then waits until Play or Step. When training has ended the
page offers the run as the static training player, and keeps its last frame
when the server stops. The server stops when the page is closed after
training, on Ctrl-C, or on ``close()``.

Threads: training runs in the script's own thread and is the only one that
reads the model; the server's threads only pass along the texts it made.
"""

import json
import secrets
import threading
import time
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .live import FRAME_INTERVAL, LiveRun, page_markup
from .page import build_page

__all__ = ["Watcher", "watch"]

SCRIPTS = ("sized.js", "panzoom.js", "graphview.js", "plotting.js", "dataplot.js", "curves.js", "networkview.js",
           "paramtable.js", "samplegraph.js", "live.js", "live-page.js")
STYLES = ("base.css", "player.css", "live.css")
HEARTBEAT = 1.0  # seconds between two keep-alive comments, which also find a closed page
MAX_ACTION_BYTES = 10_000


def watch(model, X, y, *, loss="mse", optimizer=None, accuracy=None, sample=0, open_browser=True):
    """A Watcher for fit's ``on_step``: serves the live page on 127.0.0.1 (see this module's docstring)."""
    return Watcher(model, X, y, loss=loss, optimizer=optimizer, accuracy=accuracy, sample=sample,
                   open_browser=open_browser)


class Watcher:
    """The local server and what it shows; call it with each StepInfo (fit's ``on_step``)."""

    def __init__(self, model, X, y, *, loss="mse", optimizer=None, accuracy=None, sample=0, open_browser=True):
        self.run = LiveRun(model, X, y, loss=loss, optimizer=optimizer, accuracy=accuracy, sample=sample)
        self.run.view_only = True  # the script trains; the page watches (and may pause it)
        self.open_browser = open_browser
        self.token = secrets.token_urlsafe(24)
        self._changed = threading.Condition()
        self._events = {}  # event name -> its latest text (a frame replaces the one not yet sent)
        self._version = 0
        self._connected = threading.Event()
        self._closed = threading.Event()
        self._clients = 0
        self._playing = True
        self._steps_allowed = None  # None: run freely; n: n more steps, then wait
        self._ended = False
        self._last_frame = 0.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/?token={self.token}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="tracegrad-live", daemon=True)
        self._thread.start()
        self._publish(setup=True)

    # --- the script's side ---------------------------------------------------------

    def start(self, timeout=None):
        """Open the page in the browser (unless open_browser=False) and wait until it has connected."""
        if self.open_browser:
            webbrowser.open(self.url)
        if not self._connected.wait(timeout):
            raise TimeoutError(f"live: no page connected to {self.url} within {timeout} s")
        return self

    def __call__(self, info):
        """fit's on_step: note the step, send a frame when one is due, wait while the page has paused."""
        self.run.observe(info)
        now = time.monotonic()
        if now - self._last_frame >= FRAME_INTERVAL:
            self._publish()
        self._wait_while_paused()

    def finish(self):
        """Training has ended: send the last frame and the static player page."""
        self._ended = True
        self._publish()
        with self._changed:
            self._events["player"] = json.dumps({"html": self.run.recording().to_html()})
            self._version += 1
            self._changed.notify_all()
        return self

    def wait_until_closed(self, timeout=None):
        """Block until the page is closed (then stop serving); True if it was closed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._clients > 0 or not self._connected.is_set():
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        self.close()
        return True

    def close(self):
        """Stop serving (the page keeps its last frame)."""
        if not self._closed.is_set():
            self._closed.set()
            with self._changed:
                self._changed.notify_all()
            self._server.shutdown()
            self._server.server_close()

    def _wait_while_paused(self):
        """While the page has paused (or its Step's one step is used), hold the script here."""
        with self._changed:
            if self._steps_allowed is not None:
                self._steps_allowed -= 1
            told = False
            while not self._closed.is_set() and (not self._playing or self._steps_allowed == 0):
                if not told:  # the page learns it has stopped, at this step
                    self._publish_locked()
                    told = True
                self._changed.wait(0.5)

    # --- what the page receives ------------------------------------------------------

    def _publish(self, setup=False):
        with self._changed:
            if setup:
                data = self.run.setup()
                data.update(viewOnly=False, script=True)  # the script trains; the page may pause it
                self._events["setup"] = json.dumps(data, allow_nan=False)
            self._publish_locked()

    def _publish_locked(self):
        frame = self.run.frame()
        frame.update(playing=self._playing and self._steps_allowed != 0 and not self._ended, speed=0,
                     news="training has ended: save the run as the player page, or close this page"
                     if self._ended else None, ended=self._ended, scriptMode=True)
        self._events["frame"] = json.dumps(frame, allow_nan=True)
        self._version += 1
        self._last_frame = time.monotonic()
        self._changed.notify_all()

    def _act(self, content):
        """An action from the page: Pause, Play, Step, a learning rate."""
        with self._changed:
            action = content.get("action")
            if action == "pause":
                self._playing = False
            elif action == "play":
                self._playing, self._steps_allowed = True, None
            elif action == "step":
                self._playing, self._steps_allowed = True, 1
            elif action == "lr":
                self.run.learning_rate = float(content["value"])
            else:
                raise ValueError(f"live: the page of a script cannot {action!r}")
            self._changed.notify_all()

    def _stream(self, write):
        """Send every event as it changes (the newest of each kind) until the page or the server goes."""
        with self._changed:
            self._clients += 1
        self._connected.set()
        sent = {}
        try:
            while not self._closed.is_set():
                with self._changed:
                    pending = [(name, text) for name, text in self._events.items() if sent.get(name) is not text]
                    if not pending:
                        self._changed.wait(HEARTBEAT)
                        pending = [(n, t) for n, t in self._events.items() if sent.get(n) is not t]
                for name, text in sorted(pending, key=lambda item: item[0] != "setup"):
                    write(f"event: {name}\ndata: {text}\n\n")
                    sent[name] = text
                if not pending:
                    write(": still here\n\n")  # finds a closed page
        except OSError:
            pass  # the page went away
        finally:
            with self._changed:
                self._clients -= 1

    def page(self):
        return build_page("live.html", title="tracegrad live", data={}, styles=STYLES, scripts=SCRIPTS,
                          markup={"app": page_markup()})


def _handler(watcher):
    """A request handler bound to watcher: the page, its events and its actions, with the token only."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "tracegrad"

        def _allowed(self):
            parts = urlsplit(self.path)
            token = parse_qs(parts.query).get("token", [""])[0]
            if not secrets.compare_digest(token.encode(), watcher.token.encode()):
                self.send_error(403, "a token is needed")
                return None
            return parts.path

        def do_GET(self):
            path = self._allowed()
            if path == "/":
                body = watcher.page().encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
            elif path == "/events":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

                def write(text):
                    self.wfile.write(text.encode("utf-8"))
                    self.wfile.flush()
                watcher._stream(write)
            elif path is not None:
                self.send_error(404)

        def do_POST(self):
            path = self._allowed()
            if path == "/action":
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    if length > MAX_ACTION_BYTES:
                        raise ValueError("too long")
                    watcher._act(json.loads(self.rfile.read(length) or b"{}"))
                except (ValueError, TypeError, KeyError) as error:
                    self.send_error(400, str(error))
                    return
                self.send_response(204)
                self.end_headers()
            elif path is not None:
                self.send_error(404)

        def log_message(self, format, *args):  # a library prints nothing
            pass

    return Handler
