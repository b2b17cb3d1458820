"""What a training run of the command line ends with, as the player's last step shows it:
shared by ``tracegrad train`` and ``tracegrad train --live``."""

__all__ = ["after_training", "result_line"]


def after_training(model, X, y, loss, is_classification):
    """The loss and accuracy (None for a regression) over all samples for the model as it is now."""
    from tracegrad import Value, nn, no_grad

    predictions = nn.predict(model, X)
    with no_grad():
        wrapped = [[Value(v) for v in p] if isinstance(p, list) else Value(p) for p in predictions]
        value = nn.LOSSES[loss](wrapped, y).data
    return value, (nn.accuracy(model, X, y) if is_classification else None)


def result_line(final_loss, final_accuracy, steps):
    """The run's result as the player's last step shows it: the model after the last update."""
    result = f"final loss {final_loss:.4g}"
    if final_accuracy is not None:
        result += f", accuracy {final_accuracy:.1%} on the training samples"
    return f"{result} (after the last update, step {steps}: the player's last step)"
