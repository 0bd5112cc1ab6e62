"""Smoke test of the benchmark entry point at tiny sizes (no timing assertions: timings vary)."""

import csv
import pkgutil

import pytest

from benchmarks import cases, memory_scaling, run, scaling
from benchmarks.report import COLUMNS, SCALING_COLUMNS

pytestmark = pytest.mark.slow


def test_every_cases_module_is_registered_under_its_family_name():
    modules = {info.name for info in pkgutil.iter_modules(cases.__path__) if not info.name.startswith("_")}
    assert {family.__name__.rsplit(".", 1)[1] for family in cases.FAMILIES} == modules
    for family in cases.FAMILIES:
        assert family.FAMILY == family.__name__.rsplit(".", 1)[1]
        assert {case.group for case in family.cases(quick=True)} == {family.FAMILY}


def test_benchmark_entry_point_writes_tables_and_scaling(tmp_path, capsys):
    report = run.main(["--quick", "--out", str(tmp_path), "--device", "cpu"])
    all_cases = run.all_cases(quick=True)
    assert all_cases, "no benchmark cases registered"
    assert "torch 2" in report and "threads" in report and "Machine:" in report
    for case in all_cases:
        assert f"| {case.group} | {case.name} |" in report
    assert report in capsys.readouterr().out

    with open(tmp_path / "cpu.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == COLUMNS
    assert len(table) == len(all_cases)
    for row in table:
        assert float(row["time_ratio"]) > 0
        assert float(row["lossbook_peak_mib"]) >= 0 and float(row["torch_peak_mib"]) >= 0
        assert row["time_met"] in ("yes", "NO")

    with open(tmp_path / "cpu-scaling.csv", encoding="utf-8") as f:
        points = list(csv.DictReader(f))
    expected = sum(len(series_cases) for _, series_cases in scaling.series(quick=True).values())
    assert len(points) == expected
    assert list(points[0]) == SCALING_COLUMNS
    assert {p["series"] for p in points} == {"mse_loss", "cross_entropy", "ctc_loss"}
    assert (tmp_path / "cpu.md").read_text(encoding="utf-8").startswith("## CPU")

    with open(tmp_path / "cpu-memory-scaling.csv", encoding="utf-8") as f:
        memory = list(csv.DictReader(f))
    assert list(memory[0]) == memory_scaling.COLUMNS
    quick_series = memory_scaling.series(quick=True)
    assert len(memory) == sum(len(p) for _, p in quick_series.values()) * len(memory_scaling.PATHS)
    for name in quick_series:
        # The unfused path holds the whole (N, V) logits: its peak grows along either axis.
        unfused = [float(r["peak_mib"]) for r in memory if r["series"] == name and r["path"] == "unfused"]
        assert unfused == sorted(unfused) and unfused[0] < unfused[-1]


def test_one_family_replaces_only_its_rows(tmp_path):
    run.main(["--quick", "--out", str(tmp_path), "--device", "cpu", "--no-scaling"])
    before = (tmp_path / "cpu.csv").read_text(encoding="utf-8").splitlines()
    run.main(["--quick", "--out", str(tmp_path), "--device", "cpu", "--no-scaling", "--family", "regression"])
    after = (tmp_path / "cpu.csv").read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    assert [line.split(",")[1] for line in after] == [line.split(",")[1] for line in before]  # group order
    # Other families' rows are kept as they were; the regression rows were measured again.
    assert [line for line in after if ",regression," not in line] == [
        line for line in before if ",regression," not in line
    ]
    assert [line for line in after if ",regression," in line] != [
        line for line in before if ",regression," in line
    ]
    assert "| regression |" in (tmp_path / "cpu.md").read_text(encoding="utf-8")
