"""Smoke test of the benchmark entry point at tiny sizes (no timing assertions: timings vary)."""

import csv

from benchmarks import run, scaling
from benchmarks.timing import COLUMNS


def test_benchmark_entry_point_writes_tables_and_scaling(tmp_path, capsys):
    report = run.main(["--quick", "--out", str(tmp_path), "--device", "cpu"])
    cases = run.all_cases(quick=True)
    assert cases, "no benchmark cases registered"
    assert "torch 2" in report and "threads" in report and "Machine:" in report
    for case in cases:
        assert f"| {case.group} | {case.name} |" in report
    assert report in capsys.readouterr().out

    with open(tmp_path / "cpu.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == COLUMNS
    assert len(table) == len(cases)
    for row in table:
        assert float(row["time_ratio"]) > 0
        assert float(row["lossbook_peak_mib"]) >= 0 and float(row["torch_peak_mib"]) >= 0
        assert row["time_met"] in ("yes", "NO")

    with open(tmp_path / "cpu-scaling.csv", encoding="utf-8") as f:
        points = list(csv.DictReader(f))
    expected = sum(len(cases) for _, cases in scaling.series(quick=True).values())
    assert len(points) == expected
    assert {p["series"] for p in points} == {"mse_loss", "cross_entropy", "ctc_loss"}
    assert (tmp_path / "cpu.md").read_text(encoding="utf-8").startswith("## CPU")
