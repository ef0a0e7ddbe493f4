"""Measure a case against its baseline in the same run, alternating, and report the ratio.

This machine's absolute speed drifts by 2-3x between days (and within minutes, with other people's
work on its two cores), so a time means little on its own. Each benchmark therefore times a
baseline that does the same kind of work with the bare library (a minimal WeasyPrint table, a
minimal pyHanko signature, XlsxWriter, /healthz) in the same process, round by round in
alternation (baseline, case, case, baseline, ...) so drift hits both alike, and reports the ratio of
the medians first, the seconds as context.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Comparison:
    name: str
    baseline: str
    case_wall: list[float]
    base_wall: list[float]
    case_cpu: list[float]
    base_cpu: list[float]

    @property
    def ratio(self) -> float:
        return statistics.median(self.case_wall) / statistics.median(self.base_wall)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.case_cpu) / statistics.median(self.base_cpu)

    def line(self) -> str:
        return (f"{self.name}: {self.ratio:.2f}x {self.baseline} (CPU {self.cpu_ratio:.2f}x); "
                f"median {statistics.median(self.case_wall):.4f} s vs {statistics.median(self.base_wall):.4f} s, "
                f"min {min(self.case_wall):.4f} s vs {min(self.base_wall):.4f} s, {len(self.case_wall)} rounds")


def _timed(function: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(name: str, case: Callable[[], object], baseline_name: str, baseline: Callable[[], object],
            rounds: int, warmup: int = 1) -> Comparison:
    """Time `case` and `baseline` `rounds` times each, alternating which goes first."""
    for _ in range(warmup):
        case()
        baseline()
    result = Comparison(name, baseline_name, [], [], [], [])
    for index in range(rounds):
        order = ((case, result.case_wall, result.case_cpu), (baseline, result.base_wall, result.base_cpu))
        for function, walls, cpus in (order if index % 2 else order[::-1]):
            wall, cpu = _timed(function)
            walls.append(wall)
            cpus.append(cpu)
    print(result.line(), flush=True)
    return result


def machine() -> str:
    with open("/proc/loadavg") as loadavg:
        load = " ".join(loadavg.read().split()[:3])
    return f"machine: {os.cpu_count()} cores, load average {load}"
