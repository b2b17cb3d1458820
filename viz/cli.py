"""The tracegrad command line (placeholder until the viz commands land)."""

import argparse
import sys
from importlib.metadata import version


def main(argv=None):
    parser = argparse.ArgumentParser(prog="tracegrad", description="Watch backpropagation.")
    parser.add_argument("--version", action="version", version=f"tracegrad {version('tracegrad')}")
    parser.parse_args(argv)
    print(f"tracegrad {version('tracegrad')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
