"""lossbook's benchmarks: each loss against the torch built-in it re-implements.

- ``cases/``: what is measured, one module per loss family (``cases/<family>.py``), listed in
  the registry ``cases.FAMILIES`` that the runner iterates.
- ``case.py``: a benchmark case (``Case``) and what measuring it found (``Result``).
- ``timing.py``: forward + backward time, interleaved pairs and the median of their ratios.
- ``memory.py``: the peak memory one forward + backward allocates.
- ``measure.py``: both measurements of a case, as one ``Result``.
- ``scaling.py``: time against problem size.
- ``report.py``: the tables (``<device>.md``, ``<device>.csv``, ``<device>-scaling.csv``).
- ``run.py``: the entry point, ``python -m benchmarks.run``.
"""
