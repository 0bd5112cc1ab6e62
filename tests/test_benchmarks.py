"""Smoke test of the benchmark entry point at tiny sizes (no timing assertions: timings vary)."""

from benchmarks import run


def test_benchmark_entry_point_runs_and_reports_every_case(capsys):
    report = run.main(["--quick"])
    cases = run.all_cases(quick=True)
    assert cases, "no benchmark cases registered"
    assert "torch 2" in report and "threads" in report
    for case in cases:
        assert f"| {case.group} | {case.name} |" in report
    assert report in capsys.readouterr().out
