"""Benchmark entry point: ``python -m benchmarks.run [--quick]``.

Times forward + backward of each lossbook loss against the torch built-in it
re-implements, on the CPU, in one process, and prints a Markdown table of the ratios.
"""

from __future__ import annotations

import argparse
import platform

import torch
import torch.nn.functional as F

import lossbook

from .timing import Case, markdown_table, measure


def regression_cases(numel: int) -> list[Case]:
    def make():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(numel, generator=gen, requires_grad=True)
        y = torch.randn(numel, generator=gen)
        return x, y

    size = f"{numel:,} elements"
    return [
        Case("regression", "mse", size, make, lossbook.mse_loss, F.mse_loss, 1.2),
        Case("regression", "l1", size, make, lossbook.l1_loss, F.l1_loss, 1.2),
        Case("regression", "huber", size, make, lossbook.huber_loss, F.huber_loss, 1.2),
        Case("regression", "smooth_l1", size, make, lossbook.smooth_l1_loss, F.smooth_l1_loss, 1.2),
    ]


def all_cases(quick: bool) -> list[Case]:
    return regression_cases(4096 if quick else 4 * 1024 * 1024)


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
