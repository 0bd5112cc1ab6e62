"""Reference implementations loaded file by file, without their packages' ``__init__``.

segmentation_models_pytorch's ``__init__`` imports timm and its encoders, and torchvision's
loads C++ operators that need a torch build of the same variant (the PyPI wheel of
torchvision 0.28.0 fails on a CPU-only torch 2.13.0 with "operator torchvision::nms does not
exist"). The losses the tests compare against are plain PyTorch files: ``smp/losses/*.py`` and
``torchvision/ops/{_utils,giou_loss,diou_loss,ciou_loss}.py``. They are imported here under
private package names (``_reference_smp``, ``_reference_torchvision``) whose parents are empty
stand-ins, so the real packages are never executed and never shadowed.

Each loader returns None when the package is not installed; tests skip with the reason.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path


def _package_dir(name: str) -> Path | None:
    """The directory of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _stub(name: str, path: Path | None = None, **attributes) -> types.ModuleType:
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name)
        if path is not None:
            module.__path__ = [str(path)]
        sys.modules[name] = module
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


def smp_losses():
    """smp's loss modules as a namespace (``DiceLoss``, ``JaccardLoss``, ``TverskyLoss``,
    ``LovaszLoss``), or None when segmentation_models_pytorch is not installed."""
    root = _package_dir("segmentation_models_pytorch")
    if root is None or not (root / "losses" / "dice.py").exists():
        return None
    _stub("_reference_smp", root)
    _stub("_reference_smp.losses", root / "losses")
    dice = importlib.import_module("_reference_smp.losses.dice")
    jaccard = importlib.import_module("_reference_smp.losses.jaccard")
    tversky = importlib.import_module("_reference_smp.losses.tversky")
    lovasz = importlib.import_module("_reference_smp.losses.lovasz")
    return types.SimpleNamespace(
        DiceLoss=dice.DiceLoss,
        JaccardLoss=jaccard.JaccardLoss,
        TverskyLoss=tversky.TverskyLoss,
        LovaszLoss=lovasz.LovaszLoss,
        version=_version("segmentation_models_pytorch"),
    )


def torchvision_box_losses():
    """torchvision.ops' ``generalized_box_iou_loss``, ``distance_box_iou_loss`` and
    ``complete_box_iou_loss``, or None when torchvision is not installed."""
    root = _package_dir("torchvision")
    if root is None or not (root / "ops" / "giou_loss.py").exists():
        return None
    _stub("_reference_torchvision", root)
    # The loss files import only _log_api_usage_once from torchvision.utils (telemetry).
    _stub("_reference_torchvision.utils", _log_api_usage_once=lambda *args, **kwargs: None)
    _stub("_reference_torchvision.ops", root / "ops")
    giou = importlib.import_module("_reference_torchvision.ops.giou_loss")
    diou = importlib.import_module("_reference_torchvision.ops.diou_loss")
    ciou = importlib.import_module("_reference_torchvision.ops.ciou_loss")
    return types.SimpleNamespace(
        generalized_box_iou_loss=giou.generalized_box_iou_loss,
        distance_box_iou_loss=diou.distance_box_iou_loss,
        complete_box_iou_loss=ciou.complete_box_iou_loss,
        version=_version("torchvision"),
    )


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"
