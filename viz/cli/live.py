"""tracegrad train DATASET --live: the run served to the browser as it trains (viz.serve)."""

from .checks import UsageError

__all__ = ["train_live"]


def train_live(model, X, y, options):
    """Serve the live page on 127.0.0.1, train once it has connected, stop serving when it is closed."""
    from tracegrad import nn

    from ..serve import watch

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
        result = f"final loss {history['loss'][-1]:.4g}"
        if "accuracy" in history:
            result += f", accuracy {history['accuracy'][-1]:.1%} on the training samples"
        print(result)
        print("training has ended; close the page (or press Ctrl-C) to stop serving", flush=True)
        watcher.wait_until_closed()
    finally:
        watcher.close()
    return 0
