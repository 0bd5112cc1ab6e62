"""Benchmark entry point: ``python -m benchmarks.run [--quick] [--out DIR]``.

For every lossbook loss with a torch built-in counterpart (and CTC), times forward + backward
against torch, interleaved in one process (warm-up, repeated pairs, medians of the per-pair
ratio), and records the peak memory each allocates; on the CPU always, on CUDA too when a GPU
is present. Writes ``<device>.md`` and ``<device>.csv`` (and ``<device>-scaling.csv``, the
time against problem size, and ``<device>-memory-scaling.csv``, an LLM head's peak memory
against tokens and vocabulary) to ``--out``, and prints the Markdown tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from . import memory_scaling, report, scaling
from .cases import all_cases
from .measure import measure

__all__ = ["all_cases", "main"]


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
        text = report.device_report(device, repeats, results)
        reports.append(text)
        print(text, flush=True)
        if args.out is not None:
            report.write_tables(args.out, device, text, results)
        if not args.no_scaling:
            points = scaling.run(args.quick, device, repeats)
            if args.out is not None:
                report.write_scaling(args.out, device, points)
            memory_points = memory_scaling.run(args.quick, device)
            if args.out is not None:
                report.write_memory_scaling(args.out, device, memory_points)
    return "\n\n".join(reports)


if __name__ == "__main__":
    main()
