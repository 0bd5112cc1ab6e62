"""The benchmark reports: the Markdown and CSV tables of the cases, and the scaling CSV.

For each device, ``<device>.md`` holds a header (what was measured, on which machine) and the
table; ``<device>.csv`` the same rows with the columns ``COLUMNS``; ``<device>-scaling.csv``
one row per point of the time-against-size series; ``<device>-memory-scaling.csv`` one row per
point and path of the memory-against-size series. The book's appendix reads these files.
"""

from __future__ import annotations

import csv
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import torch

from .case import Result

COLUMNS = [
    "device",
    "group",
    "loss",
    "size",
    "lossbook_ms",
    "torch_ms",
    "time_ratio",
    "time_target",
    "time_met",
    "lossbook_peak_mib",
    "torch_peak_mib",
    "memory_ratio",
    "memory_target",
    "memory_met",
]

SCALING_COLUMNS = ["device", "series", "axis", "size", "lossbook_ms", "torch_ms"]


def rows(results: list[Result]) -> list[dict]:
    """One row per result, keyed by ``COLUMNS``, every value formatted as it is written."""

    def fmt(value, spec):
        return "" if value is None else format(value, spec)

    out = []
    for r in results:
        out.append(
            {
                "device": r.device,
                "group": r.case.group,
                "loss": r.case.name,
                "size": r.case.size,
                "lossbook_ms": f"{r.ours_ms:.3f}",
                "torch_ms": f"{r.theirs_ms:.3f}",
                "time_ratio": f"{r.ratio:.2f}",
                "time_target": f"{r.case.target_ratio:.1f}",
                "time_met": "yes" if r.meets_target else "NO",
                "lossbook_peak_mib": fmt(r.ours_peak_mb, ".1f"),
                "torch_peak_mib": fmt(r.theirs_peak_mb, ".1f"),
                "memory_ratio": fmt(r.memory_ratio, ".2f"),
                "memory_target": f"{r.case.memory_target:.1f}",
                "memory_met": ""
                if r.meets_memory_target is None
                else ("yes" if r.meets_memory_target else "NO"),
            }
        )
    return out


def markdown_table(table: list[dict]) -> str:
    """The Markdown table of rows keyed by ``COLUMNS`` (as :func:`rows` makes them)."""
    lines = [
        "| device | group | loss | size | lossbook (ms) | torch (ms) | time ratio | target | met "
        "| lossbook peak (MiB) | torch peak (MiB) | memory ratio | met |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for row in table:
        lines.append(
            f"| {row['device']} | {row['group']} | {row['loss']} | {row['size']} | {row['lossbook_ms']} "
            f"| {row['torch_ms']} | {row['time_ratio']}x | {row['time_target']}x | {row['time_met']} "
            f"| {row['lossbook_peak_mib']} | {row['torch_peak_mib']} | {row['memory_ratio']} "
            f"| {row['memory_met']} |"
        )
    return "\n".join(lines)


def machine_description(device: str) -> str:
    """The processor (and GPU), torch, threads, Python and the date: what the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    where = f"CPU {cpu}, {os.cpu_count()} logical cores"
    if device == "cuda":
        where = f"GPU {torch.cuda.get_device_name()} (host: {where})"
    return (
        f"{where}; torch {torch.__version__}; {torch.get_num_threads()} threads; "
        f"Python {platform.python_version()}; {datetime.now(timezone.utc):%Y-%m-%d}"
    )


def device_report(device: str, repeats: int, table: list[dict]) -> str:
    """The Markdown report of one device: its heading, what was measured where, and the table."""
    header = (
        f"Forward + backward, lossbook against torch, median of {repeats} interleaved pairs; "
        f"peak memory allocated beyond the inputs.\n\nMachine: {machine_description(device)}."
    )
    return f"## {device.upper()}\n\n{header}\n\n{markdown_table(table)}"


def merge_rows(out: Path, device: str, table: list[dict], order: list[str]) -> list[dict]:
    """The rows of ``<device>.csv`` in ``out``, those of ``table``'s groups replaced by ``table``,
    sorted by group in the registry's ``order`` (rows within a group keep theirs)."""
    path = out / f"{device}.csv"
    if not path.exists():
        return table
    with open(path, encoding="utf-8", newline="") as f:
        kept = [row for row in csv.DictReader(f) if row["group"] not in set(table_groups(table))]
    merged = kept + table
    rank = {group: i for i, group in enumerate(order)}
    return sorted(merged, key=lambda row: rank.get(row["group"], len(rank)))  # stable


def table_groups(table: list[dict]) -> list[str]:
    return list(dict.fromkeys(row["group"] for row in table))


def write_tables(out: Path, device: str, report: str, table: list[dict]) -> None:
    """Write ``<device>.md`` (the report) and ``<device>.csv`` (its rows) into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{device}.md").write_text(report + "\n", encoding="utf-8")
    _write_csv(out / f"{device}.csv", COLUMNS, table)


def scaling_rows(device: str, points: list[tuple[str, str, Result]]) -> list[dict]:
    """One row per ``(series, axis label, result)`` point, keyed by ``SCALING_COLUMNS``."""
    return [
        {
            "device": device,
            "series": series,
            "axis": axis,
            "size": int(r.case.size),
            "lossbook_ms": f"{r.ours_ms:.4f}",
            "torch_ms": f"{r.theirs_ms:.4f}",
        }
        for series, axis, r in points
    ]


def write_scaling(out: Path, device: str, points: list[tuple[str, str, Result]]) -> None:
    """Write ``<device>-scaling.csv`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / f"{device}-scaling.csv", SCALING_COLUMNS, scaling_rows(device, points))


def write_memory_scaling(out: Path, device: str, points: list[dict]) -> None:
    """Write ``<device>-memory-scaling.csv`` into ``out``."""
    from .memory_scaling import COLUMNS as MEMORY_SCALING_COLUMNS

    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / f"{device}-memory-scaling.csv", MEMORY_SCALING_COLUMNS, points)


def _write_csv(path: Path, columns: list[str], table: list[dict]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(table)
