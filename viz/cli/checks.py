"""What every command of the tracegrad command line shares: its one kind of error and the argument checks.

A UsageError is a mistake in how tracegrad was called; main() prints it as one
line on stderr and exits with 2. Each check runs before any work starts.
"""

import argparse
import os
from importlib.metadata import PackageNotFoundError, version

from tracegrad.files import missing_folders

__all__ = ["UsageError", "Parser", "DEFAULT_OUT", "whole_number", "number", "check_writable", "make_folder",
           "tracegrad_version"]

DEFAULT_OUT = "tracegrad-out"  # the folder the walkthrough and train write into unless told


class UsageError(Exception):
    """A mistake in how tracegrad was called; main() prints it as one line and exits with 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but its errors become a UsageError (one line) instead of usage + exit."""

    def error(self, message):
        if message.startswith("argument COMMAND: invalid choice"):
            unknown = message.split("invalid choice:", 1)[1].split("(choose", 1)[0].strip()
            raise UsageError(f"unknown command {unknown}; commands: trace, train, or none for the "
                             f"walkthrough (see {self.prog} --help)")
        hint = ""
        if "unrecognized arguments: -" in message and "unrecognized arguments: --" not in message:
            hint = ("; an expression that starts with '-' goes after '--', "
                    "like: tracegrad trace -- \"-x*y\" x=2 y=3")
        raise UsageError(f"{message}{hint} (see {self.prog} --help)")


def tracegrad_version():
    try:
        return version("tracegrad")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def whole_number(low, high):
    """An argparse type: a whole number from low to high."""

    def parse(text):
        try:
            n = int(text)
        except ValueError:  # not a whole number, or thousands of digits
            n = None
        if n is None and not text.strip().lstrip("+-").isdecimal():
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
        if n is None or not low <= n <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low:,} to {high:,}, got {text!r}")
        return n

    return parse


def number(low, high, low_allowed):
    """An argparse type: a number up to high, and above low (or from low, with low_allowed)."""
    wanted = f"from {low:,g} to {high:,g}" if low_allowed else f"> {low:,g} and at most {high:,g}"

    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not ((low <= x if low_allowed else low < x) and x <= high):  # also refuses nan
            raise argparse.ArgumentTypeError(f"expected a number {wanted}, got {text!r}")
        return x

    return parse


def check_writable(path):
    """Raise UsageError unless a file can be made at path: its folder exists and takes it, and the
    file system takes its name (not too long, no NUL), tried by making it and removing it again."""
    try:
        if os.path.isdir(path):
            raise UsageError(f"cannot write {path}: it is a directory")
        folder = os.path.dirname(path) or "."
        if not os.path.isdir(folder):
            raise UsageError(f"cannot write {path}: the directory {folder} does not exist")
        if not os.access(folder, os.W_OK):
            raise UsageError(f"cannot write {path}: no permission to write in {folder}")
        if not os.path.lexists(path):
            with open(path, "x"):
                pass
            os.remove(path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    except ValueError as error:  # a NUL character in the path
        raise UsageError(f"cannot write {path!r}: {error}") from None


def make_folder(folder):
    """Create folder (and its parents) unless it exists; a UsageError when that is impossible.

    Returns the folders it created, deepest first (see tracegrad.files.remove_empty_folders).
    """
    created = missing_folders(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot create the directory {folder}: {error.strerror or error}") from None
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write in the directory {folder}: permission denied")
    return created
