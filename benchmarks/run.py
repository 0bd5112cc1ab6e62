"""Benchmark entry point: ``python -m benchmarks.run [--quick] [--out DIR]``.

For every lossbook loss with a torch built-in counterpart (and CTC), times forward + backward
against torch, interleaved in one process (warm-up, repeated pairs, medians of the per-pair
ratio), and records the peak memory each allocates; on the CPU always, on CUDA too when a GPU
is present. Writes ``<device>.md`` and ``<device>.csv`` (and ``<device>-scaling.csv``, the
time against problem size) to ``--out``, and prints the Markdown tables.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import torch

from . import cases_classification, cases_ctc, cases_metric, cases_regression, scaling
from .timing import COLUMNS, Case, markdown_table, measure, rows


def all_cases(quick: bool) -> list[Case]:
    return [
        *cases_regression.cases(quick),
        *cases_classification.cases(quick),
        *cases_metric.cases(quick),
        *cases_ctc.cases(quick),
    ]


def machine_description(device: str) -> str:
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


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--repeats", type=int, default=15, help="interleaved pairs per case")
    parser.add_argument("--out", type=Path, default=None, help="write <device>.md/.csv/-scaling.csv here")
    parser.add_argument("--no-scaling", action="store_true", help="skip the time-against-size series")
    parser.add_argument("--device", choices=["all", "cpu", "cuda"], default="all")
    args = parser.parse_args(argv)

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.device != "all":
        devices = [d for d in devices if d == args.device]
    repeats = 3 if args.quick else args.repeats
    reports = []
    for device in devices:
        results = [measure(case, device=device, repeats=repeats) for case in all_cases(args.quick)]
        header = (
            f"Forward + backward, lossbook against torch, median of {repeats} interleaved pairs; "
            f"peak memory allocated beyond the inputs.\n\nMachine: {machine_description(device)}."
        )
        report = f"## {device.upper()}\n\n{header}\n\n{markdown_table(results)}"
        reports.append(report)
        print(report, flush=True)
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{device}.md").write_text(report + "\n", encoding="utf-8")
            with open(args.out / f"{device}.csv", "w", newline="", encoding="utf-8") as f:
                writer = csv.DictWriter(f, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(rows(results))
        if not args.no_scaling:
            points = scaling.run(args.quick, device, repeats)
            if args.out is not None:
                with open(args.out / f"{device}-scaling.csv", "w", newline="", encoding="utf-8") as f:
                    writer = csv.DictWriter(f, fieldnames=list(points[0]))
                    writer.writeheader()
                    writer.writerows(points)
    return "\n\n".join(reports)


if __name__ == "__main__":
    main()
