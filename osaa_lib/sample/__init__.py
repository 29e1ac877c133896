"""Sample data: deterministic files in exactly the publishers' formats, with known defects.

`generate` writes them (small for the committed sample, full for benchmarks); `specs` says what
they contain, `defects` what was planted, with exact keys, so tests can count what checks find.
"""

from osaa_lib.sample.generator import SampleResult, generate

__all__ = ["SampleResult", "generate"]
