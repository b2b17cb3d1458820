"""tracegrad train DATASET --live: the run served to the browser as it trains (viz.serve)."""

from .checks import UsageError

__all__ = ["train_live"]


def train_live(model, X, y, options):
    """Serve the live page on 127.0.0.1, train once it has connected, stop serving when it is closed."""
    from tracegrad import nn

    from ..serve import watch
    from .results import after_training, result_line

    watcher = watch(model, X, y, loss=options["loss"], optimizer=options["optimizer"], accuracy=options["accuracy"])
    try:
        print(f"live page: {watcher.url}", flush=True)
        print("waiting for the page to connect (Ctrl-C stops)", flush=True)
        watcher.start()
        try:
            history = nn.fit(model, X, y, on_step=watcher, **options)
        except OverflowError as error:
            raise UsageError(f"training stopped: {error}") from None
        watcher.finish()
        # as `tracegrad train` says it: the model after the last update (fit's history holds each
        # epoch's loss as it was met, before that epoch's last update)
        final_loss, final_accuracy = after_training(model, X, y, options["loss"], options["accuracy"])
        print(result_line(final_loss, final_accuracy, options["optimizer"].t))
        print("training has ended; close the page (or press Ctrl-C) to stop serving", flush=True)
        watcher.wait_until_closed()
    finally:
        watcher.close()
    return 0
