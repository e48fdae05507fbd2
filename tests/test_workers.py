"""Grader workers come from a warm fork server, run in their own process group and are stopped on their limits."""
import os
import sys
import time
from pathlib import Path

from course_utils.instructor import workers


def _report(argv):
    Path(argv[0]).write_text(f"{'tensorflow' in sys.modules} {os.getpgid(0) == os.getpid()}")
    return 0


def _sleep(argv):
    time.sleep(60)
    return 0


def _fail(argv):
    return 3


def test_a_worker_starts_warm_in_its_own_group(tmp_path):
    out = tmp_path / "report.txt"
    t0 = time.monotonic()
    assert workers.run(_report, [str(out)], time_limit=120, memory_mb=2000) is None
    assert out.read_text() == "True True"        # TensorFlow already imported; killable as a group
    t1 = time.monotonic()
    assert workers.run(_report, [str(out)], time_limit=120, memory_mb=2000) is None
    assert time.monotonic() - t1 < 3, "a second worker must not import TensorFlow again"
    assert t1 - t0 < 120


def test_limits_and_failures_are_reported():
    t0 = time.monotonic()
    assert workers.run(_sleep, [], time_limit=1, memory_mb=2000) == "notebook time limit (1 s)"
    assert time.monotonic() - t0 < 30
    assert workers.run(_fail, [], time_limit=60, memory_mb=2000) == "grader worker failed (exit 3)"
