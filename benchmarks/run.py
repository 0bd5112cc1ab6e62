"""Benchmark entry point: ``python -m benchmarks.run [--quick] [--out DIR]``.

For every lossbook loss with a torch built-in counterpart (and CTC), times forward + backward
against torch, interleaved in one process (warm-up, repeated pairs, medians of the per-pair
ratio), and records the peak memory each allocates; on the CPU always, on CUDA too when a GPU
is present. Writes ``<device>.md`` and ``<device>.csv`` (and ``<device>-scaling.csv``, the
time against problem size, and ``<device>-memory-scaling.csv``, an LLM head's peak memory
against tokens and vocabulary) to ``--out``, and prints the Markdown tables.

``--family NAME`` (repeatable) measures only those families and replaces just their rows in
the existing ``<device>.csv``/``.md`` of ``--out``, keeping the other families' rows; the
size series run only with the whole set (the memory series also with ``--family llm``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from . import memory_scaling, report, scaling
from .cases import FAMILIES, all_cases
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
    names = [family.FAMILY for family in FAMILIES]
    parser.add_argument(
        "--family", action="append", choices=names, help="only this family's cases (repeatable)"
    )
    args = parser.parse_args(argv)
    families = [f for f in FAMILIES if args.family is None or f.FAMILY in args.family]

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    if args.device != "all":
        devices = [d for d in devices if d == args.device]
    repeats = 3 if args.quick else args.repeats
    reports = []
    for device in devices:
        cases = [case for family in families for case in family.cases(args.quick)]
        table = report.rows([measure(case, device=device, repeats=repeats) for case in cases])
        if args.out is not None and args.family is not None:
            table = report.merge_rows(args.out, device, table, names)
        text = report.device_report(device, repeats, table)
        reports.append(text)
        print(text, flush=True)
        if args.out is not None:
            report.write_tables(args.out, device, text, table)
        if args.no_scaling:
            continue
        if args.family is None:
            points = scaling.run(args.quick, device, repeats)
            if args.out is not None:
                report.write_scaling(args.out, device, points)
        if args.family is None or "llm" in args.family:
            memory_points = memory_scaling.run(args.quick, device)
            if args.out is not None:
                report.write_memory_scaling(args.out, device, memory_points)
    return "\n\n".join(reports)


if __name__ == "__main__":
    main()
