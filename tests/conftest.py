"""Hypothesis settings for the whole suite."""

import os

from hypothesis import settings

# No deadlines: these machines are shared and noisy, and a slow example says
# nothing about correctness (speed is measured in tests/benchmarks/).
settings.register_profile("dev", deadline=None)
# CI replays the same examples on every run, so a red CI is always reproducible;
# local runs keep exploring new examples.
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
