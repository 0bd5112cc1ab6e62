"""How the memory grows: peak memory of an LLM head's loss against tokens N and vocabulary V.

The unfused ``F.cross_entropy(F.linear(x, W), y)`` holds the whole (N, V) logits and their
gradient, so its peak grows with N · V. ``lossbook.linear_cross_entropy`` holds one chunk of
logits at a time plus O(N) per-row statistics, so its peak stays nearly flat. Two series: N
grows at a fixed V, and V grows at a fixed N. Memory only (one forward + backward per point),
so the series runs in seconds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .cases import llm
from .memory import peak_memory_mb
from .timing import on_device

HIDDEN = 256
PATHS = {"lossbook": llm.ours, "unfused": llm.unfused}
if hasattr(F, "linear_cross_entropy"):  # torch >= 2.13
    PATHS["torch chunked"] = llm.torch_chunked

COLUMNS = ["device", "series", "axis", "N", "H", "V", "path", "peak_mib"]


def series(quick: bool) -> dict[str, tuple[str, list[tuple[int, int, int]]]]:
    """Name -> (size axis label, (N, H, V) points in increasing size)."""
    if quick:
        return {
            "tokens": ("tokens N (V = 256)", [(n, 16, 256) for n in (32, 64)]),
            "vocabulary": ("vocabulary V (N = 64)", [(64, 16, v) for v in (128, 256)]),
        }
    return {
        "tokens": ("tokens N (V = 16,384)", [(n, HIDDEN, 16384) for n in (256, 512, 1024, 2048, 4096)]),
        "vocabulary": (
            "vocabulary V (N = 2,048)",
            [(2048, HIDDEN, v) for v in (2048, 4096, 8192, 16384, 32768, 65536)],
        ),
    }


def run(quick: bool, device: str) -> list[dict]:
    """One row per (series, point, path), keyed by ``COLUMNS``."""
    device = torch.device(device)
    out = []
    for name, (axis, points) in series(quick).items():
        for N, H, V in points:
            inputs = on_device(llm.make_inputs(N, H, V)(), device)
            for path, loss_fn in PATHS.items():
                peak = peak_memory_mb(loss_fn, inputs, device)
                out.append(
                    {
                        "device": str(device),
                        "series": name,
                        "axis": axis,
                        "N": N,
                        "H": H,
                        "V": V,
                        "path": path,
                        "peak_mib": f"{peak:.2f}",
                    }
                )
    return out
