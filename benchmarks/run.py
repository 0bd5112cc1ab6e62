"""Benchmark entry point: ``python -m benchmarks.run [--quick]``.

Times forward + backward of each lossbook loss against the torch built-in it
re-implements, on the CPU, in one process, and prints a Markdown table of the ratios.
"""

from __future__ import annotations

import argparse
import platform

import torch

from . import cases_classification, cases_ctc, cases_regression
from .timing import Case, markdown_table, measure


def all_cases(quick: bool) -> list[Case]:
    return [
        *cases_regression.cases(quick),
        *cases_classification.cases(quick),
        *cases_ctc.cases(quick),
    ]


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    results = [measure(case, repeats=3 if args.quick else args.repeats) for case in all_cases(args.quick)]
    header = (
        f"Machine: {platform.machine()} {platform.processor() or ''}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, forward + backward, median of interleaved pairs."
    )
    report = header + "\n\n" + markdown_table(results)
    print(report)
    return report


if __name__ == "__main__":
    main()
