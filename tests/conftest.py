import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every test that takes ``device`` runs on the CPU, and again on CUDA when a GPU is present."""
    return torch.device(request.param)


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(1234)


@pytest.fixture(params=["en", "zh"])
def language(request):
    """Runs an exercise-checker test with messages in English and again in Chinese."""
    from lossbook.exercises import set_language

    set_language(request.param)
    yield request.param
    set_language("en")
