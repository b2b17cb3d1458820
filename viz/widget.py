"""viz.live(): the training player's panels in a notebook cell, updated while the model trains.

``live = viz.live(model, X, y, loss="hinge", optimizer=Adam(model.parameters(), lr=0.05))``
shows the data with the decision boundary, the loss and accuracy curves, the
network, the parameter table and (for a small model) one sample's graph, with
Play, Pause, Step, Reset, the speed, the learning rate and the optimizer. The
same controls are methods: ``live.play()``, ``live.pause()``, ``live.step(n)``,
``live.reset(seed=None)``, ``live.learning_rate = 0.01``, ``live.steps_done``.

How training runs beside the notebook (one model, no threads): every tick of
training is a callback on the kernel's event loop, the loop that also receives
the notebook's messages. A tick takes a few steps (about a tenth of a second's
worth), sends one frame, and schedules the next tick; a cell the learner runs
is handled by the same loop between two ticks, never during one. So a cell
never sees half a step; Pause (a button or ``pause()``) takes effect before
the next step; and what a frame shows is what the model's Values hold when it
is sent (the page computes nothing). While a cell runs, training waits.

Made with anywidget (``pip install tracegrad[live]``); its one ES module is
assembled at run time from the same page scripts the static player uses
(viz/pages), and the page lives in a shadow root so its styles stay its own.
Beside the widget, the output holds a static snapshot of the run (the player
page, size-limited), refreshed on Pause, Step and Reset: a notebook saved and
reopened without a kernel, or exported to HTML, still shows the run.
"""

import asyncio
import time

from .live import FRAME_INTERVAL, LiveRun, page_markup
from .page import page_file

__all__ = ["Live", "live"]

# The page's pieces, in order: the shared helpers and panels of the player, then the live controls.
SCRIPTS = ("sized.js", "panzoom.js", "graphview.js", "plotting.js", "dataplot.js", "curves.js", "networkview.js",
           "paramtable.js", "samplegraph.js", "live.js")
STYLES = ("base.css", "player.css", "live.css")
# "As fast as it goes": train this long (seconds) between two frames.
FAST_TICK = 0.05
# At most this many frames are on their way to the page (it says when it has drawn one), so
# frames are skipped rather than queued when the page draws slower than the kernel trains,
# and the next frame is already there when the page has drawn one; a page that has not
# answered within DRAWN_TIMEOUT seconds (none is showing) gets the next one anyway.
IN_FLIGHT = 4
DRAWN_TIMEOUT = 0.5
# The snapshot beside the widget is a player page of at most this many bytes.
SNAPSHOT_BUDGET = 1_500_000
SPEEDS = (1, 5, 20, 100, 0)  # steps a second; 0: as fast as it goes


def live(model, X, y, *, loss=None, optimizer=None, accuracy=None, sample=0):
    """A live view of ``model`` learning (X, y) in this notebook (see this module's docstring).

    ``loss`` (a name from nn.LOSSES or a function) and ``optimizer`` are fit's
    (the optimizer defaults to Adam with lr=0.01). Without either it only
    watches: call its ``update()`` from your own training loop.
    """
    return Live(model, X, y, loss=loss, optimizer=optimizer, accuracy=accuracy, sample=sample)


class Live:
    """The live view: a LiveRun (viz.live) trained on the kernel's event loop, drawn by a widget."""

    def __init__(self, model, X, y, *, loss=None, optimizer=None, accuracy=None, sample=0):
        widget_class = anywidget_class("LiveWidget", SCRIPTS + ("widget.js",))
        self.run = LiveRun(model, X, y, loss=loss, optimizer=optimizer, accuracy=accuracy, sample=sample)
        self.model = model
        self.widget = widget_class(view="live", styles="\n".join(page_file(name) for name in STYLES),
                                   markup=page_markup())
        self.widget.on_msg(self._on_message)
        self._playing, self._speed, self._tick_handle, self._loop = False, 100, None, None
        self._last_sent, self._snapshot, self._news = 0.0, None, None
        self._in_flight = 0  # frames sent that the page has not said it has drawn
        self._unsent = False  # steps taken since the last frame sent
        self._publish(setup=True)

    # --- the controls, from Python ------------------------------------------------

    def play(self):
        """Train on the kernel's event loop until pause() (the cell returns at once)."""
        if self.run.view_only:
            raise RuntimeError("live: this view trains nothing (no loss or optimizer was given); "
                               "call update() from your own training loop")
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("live: play() trains on a running event loop, as a notebook kernel has; "
                               "in a script, call step(n), or run `tracegrad train DATASET --live`") from None
        if not self._playing:
            self._playing = True
            self._tick_handle = self._loop.call_soon(self._tick)
        self._publish()

    def pause(self):
        """Stop training before the next step; the page and model.parameters() then agree."""
        self._stop()
        self._publish()
        self._refresh_snapshot()

    def step(self, n=1):
        """Pause, then take n optimizer steps now; returns steps_done."""
        self._stop()
        self.run.step(n)
        self._publish()
        self._refresh_snapshot()
        return self.run.steps_done

    def reset(self, seed=None):
        """Pause and go back to step 0: the initial weights (seed: new ones), a fresh optimizer."""
        self._stop()
        self.run.reset(seed)
        self._publish(setup=True)
        self._refresh_snapshot()

    def update(self, loss=None):
        """Draw the model as your own training loop left it (call after each step); loss: the step's loss."""
        self.run.update(loss)
        now = time.perf_counter()
        if now - self._last_sent >= FRAME_INTERVAL:  # a fast loop would flood the page
            self._publish()
        elif self._tick_handle is None:
            self._publish_later()

    @property
    def playing(self):
        return self._playing

    @property
    def steps_done(self):
        """Optimizer steps taken since the start or the last reset."""
        return self.run.steps_done

    @property
    def learning_rate(self):
        return self.run.learning_rate

    @learning_rate.setter
    def learning_rate(self, lr):
        self.run.learning_rate = lr
        self._publish()

    @property
    def optimizer(self):
        """The optimizer training now; set a name ("SGD", "SGD with momentum", "Adam") or an nn optimizer."""
        return self.run.optimizer

    @optimizer.setter
    def optimizer(self, optimizer):
        self.run.set_optimizer(optimizer)
        self._publish(setup=True)

    @property
    def speed(self):
        """Steps a second while playing (0: as fast as it goes, a frame every tenth of a second)."""
        return self._speed

    @speed.setter
    def speed(self, steps_per_second):
        if steps_per_second not in SPEEDS:
            raise ValueError(f"live: speed must be one of {SPEEDS} steps a second (0: as fast as it goes), "
                             f"got {steps_per_second!r}")
        self._speed = steps_per_second
        self._publish()

    def add_point(self, x, label):
        """Add a training sample (x: its inputs, label: its target); returns its index."""
        index = self.run.add_point(x, label)
        self._publish(setup=True)
        return index

    def remove_point(self, index):
        """Remove training sample ``index``."""
        self.run.remove_point(index)
        self._publish(setup=True)

    def choose_sample(self, index):
        """Draw the computation graph of training sample ``index`` (small models)."""
        self.run.choose_sample(index)
        self._publish(setup=True)

    @property
    def recording(self):
        """The run so far as a Recording: the training player, its frames thinned to the page budget."""
        return self.run.recording()

    def save_html(self, path, *, title=None):
        """Write the run so far as the training player page; returns the path."""
        return self.recording.save_html(path, title=title)

    # --- training on the event loop -----------------------------------------------

    def _tick(self):
        self._tick_handle = None
        if not self._playing:
            return
        started = time.perf_counter()
        if self._speed == 0:
            self.run.step(1)
            while time.perf_counter() - started < FAST_TICK and not self.run.diverged:
                self.run.step(1)
            interval = 0.0
        else:
            interval = max(FRAME_INTERVAL, 1.0 / self._speed)
            self.run.step(max(1, round(self._speed * interval)))
        if self.run.diverged:
            self.pause()
            return
        if time.perf_counter() - self._last_sent > DRAWN_TIMEOUT:
            self._in_flight = 0  # no page is answering: send anyway, now and then
        if self._in_flight < IN_FLIGHT:
            self._publish()
        else:
            self._unsent = True  # sent as soon as the page has drawn the frame before
        delay = max(0.0, interval - (time.perf_counter() - started))
        self._tick_handle = self._loop.call_later(delay, self._tick)

    def _stop(self):
        self._playing = False
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None

    def _publish_later(self):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._tick_handle = loop.call_later(FRAME_INTERVAL, self._publish_pending)

    def _publish_pending(self):
        self._tick_handle = None
        self._publish()

    # --- what the page receives -----------------------------------------------------

    def _publish(self, setup=False):
        """Send the model as it is now (and the setup, when it changed) to the page."""
        if setup:
            self.widget.setup_data = self.run.setup()
        frame = self.run.frame()
        frame.update(playing=self._playing, speed=self._speed, news=self._news)
        self.widget.frame_data = frame
        self._last_sent, self._unsent = time.perf_counter(), False
        self._in_flight += 1

    def _on_message(self, _widget, content, _buffers):
        """An action from the page: the same methods a notebook calls."""
        if content.get("action") == "drawn":  # the page is ready for the next frame
            self._in_flight = max(0, self._in_flight - 1)
            if self._unsent:
                self._publish()
            return
        self._news = None
        try:
            action = content.get("action")
            if action == "play":
                self.play()
            elif action == "pause":
                self.pause()
            elif action == "step":
                self.step(1)
            elif action == "reset":
                self.reset()
            elif action == "lr":
                self.learning_rate = float(content["value"])
            elif action == "optimizer":
                self.optimizer = str(content["value"])
            elif action == "speed":
                self.speed = int(content["value"])
            elif action == "add":
                self.add_point([float(v) for v in content["x"]], _label(content["label"]))
            elif action == "remove":
                self.remove_point(self.run.nearest_sample([float(v) for v in content["x"]]))
            elif action == "sample":
                self.choose_sample(self.run.nearest_sample([float(v) for v in content["x"]]))
        except (ValueError, TypeError, KeyError, RuntimeError) as error:
            self._news = str(error)  # shown on the page; the kernel goes on
            self._publish()

    # --- in the notebook ------------------------------------------------------------

    def _ipython_display_(self):
        from IPython.display import HTML, display

        display(self.widget)
        self._snapshot = display(HTML(self._snapshot_html()), display_id=True)

    def _snapshot_html(self):
        from .page import inline_frame

        recording = self.run.recording(budget=SNAPSHOT_BUDGET)
        page = recording.to_html(title=f"tracegrad live: the run at step {self.run.steps_done} (a snapshot)")
        note = ('<p style="font-size: 0.85em; color: #555;">A snapshot of the live run above, '
                f"as the training player, at step {self.run.steps_done}; refreshed on Pause, "
                "so it stays when the kernel is gone.</p>")
        # where the notebook's scripts do not run (an untrusted notebook: one run by nbclient, or
        # someone else's), a picture of the loss and the model stands in for the player
        return note + inline_frame(page, title="training player (snapshot)", height="760px",
                                   still=recording._still_png(), still_type="image/png",
                                   still_note="The loss and the model at the snapshot's step. Run the cell (or "
                                              "trust the notebook) to replay the run in the training player.")

    def _refresh_snapshot(self):
        if self._snapshot is not None:
            from IPython.display import HTML

            self._snapshot.update(HTML(self._snapshot_html()))

    def _display_(self):
        """marimo shows the widget (wrapped as its mo.ui.anywidget) when a cell ends with this object."""
        import marimo

        return marimo.ui.anywidget(self.widget)

    def __repr__(self):
        state = "playing" if self._playing else "paused"
        return f"<tracegrad live: {self.run._what()}, step {self.run.steps_done}, {state}>"


def _label(value):
    number = float(value)
    return int(number) if number.is_integer() else number


_WIDGET_CLASSES = {}


def anywidget_class(name, scripts):
    """An anywidget class whose ES module is these page scripts, in order (made once per name).

    anywidget is imported only here: it is the extra tracegrad[live]. The
    widget's synced state: ``view`` (the page script's name: "live", "explore"),
    ``styles`` and ``markup`` (page files, for the
    page's shadow root), ``setup_data`` and ``frame_data`` (what Python sends).
    """
    if name in _WIDGET_CLASSES:
        return _WIDGET_CLASSES[name]
    try:
        import anywidget
        import traitlets
    except ImportError:
        raise ImportError("viz.live and viz.explore need anywidget: pip install 'tracegrad[live]'") from None
    widget_class = type(name, (anywidget.AnyWidget,), {
        "__doc__": "A tracegrad page in a notebook; its state is what the kernel sends.",
        # what a notebook shows where it cannot draw the widget (its kernel gone, or not trusted)
        "__repr__": lambda self: f"tracegrad {self.view} (its page needs the kernel that made it)",
        "_esm": "\n".join(page_file(script) for script in scripts),
        "view": traitlets.Unicode().tag(sync=True),
        "styles": traitlets.Unicode().tag(sync=True),
        "markup": traitlets.Unicode().tag(sync=True),
        "setup_data": traitlets.Dict().tag(sync=True),
        "frame_data": traitlets.Dict().tag(sync=True),
    })
    _WIDGET_CLASSES[name] = widget_class
    return widget_class
