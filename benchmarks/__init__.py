"""Lessor's benchmarks: `scripts/bench projector` and `scripts/bench commands`.

Each one reports rates beside a baseline measured in the same run on the same store, and
the ratio between them: this 2-core machine is too noisy (±30 % run to run) for absolute
numbers to mean much on their own. See docs/benchmarks.md.
"""
