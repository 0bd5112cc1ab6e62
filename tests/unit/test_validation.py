import pytest
import torch

from lossbook import validation as v


def test_reduction_accepts_the_three_names():
    for name in ("mean", "sum", "none"):
        assert v.check_reduction(name) == name


@pytest.mark.parametrize("bad", ["avg", "MEAN", ""])
def test_reduction_rejects_other_names_and_lists_valid_ones(bad):
    with pytest.raises(ValueError, match="'mean', 'sum', 'none'") as info:
        v.check_reduction(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("bad", [None, 1, True, ["mean"]])
def test_reduction_of_another_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="reduction must be a string, one of 'mean', 'sum', 'none'") as info:
        v.check_reduction(bad)
    assert repr(bad) in str(info.value)


def test_same_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"input \(3, 1\) and target \(3,\)"):
        v.check_same_shape("input", torch.zeros(3, 1), "target", torch.zeros(3))


def test_tensor_dtype_errors_are_type_errors():
    with pytest.raises(TypeError, match="input must have a floating-point dtype.*torch.int64"):
        v.check_tensor("input", torch.arange(3))
    with pytest.raises(TypeError, match="input must be a torch.Tensor; got list"):
        v.check_tensor("input", [1.0])
    with pytest.raises(TypeError, match="labels must have an integer dtype"):
        v.check_integer_tensor("labels", torch.zeros(2))


def test_check_pair_casts_target_to_input_dtype():
    x, y = v.check_pair(torch.zeros(2), torch.zeros(2, dtype=torch.float64))
    assert y.dtype == torch.float32


@pytest.mark.parametrize(
    "kwargs, value, message",
    [
        (dict(low=0.0, low_inclusive=False), 0.0, r"delta must be > 0; got 0.0"),
        (dict(low=0.0), -1, r"delta must be >= 0; got -1.0"),
        (
            dict(low=0.0, high=1.0, low_inclusive=False, high_inclusive=False),
            1.0,
            r"delta must be in \(0, 1\); got 1.0",
        ),
        (dict(), float("nan"), "got nan"),
    ],
)
def test_number_range_messages(kwargs, value, message):
    with pytest.raises(ValueError, match=message):
        v.check_number("delta", value, **kwargs)


def test_number_rejects_non_numbers():
    with pytest.raises(TypeError, match="delta must be a real number; got str"):
        v.check_number("delta", "1")
    with pytest.raises(TypeError):
        v.check_number("delta", True)


def test_values_report_the_offending_element():
    with pytest.raises(ValueError, match=r"input must have every element > -1; got an element equal to -3.0"):
        v.check_values("input", torch.tensor([0.0, -3.0, 2.0]), low=-1.0, low_inclusive=False)
    with pytest.raises(ValueError, match=r"in \[0, 1\]; got an element equal to 1.5"):
        v.check_values("target", torch.tensor([0.5, 1.5]), low=0.0, high=1.0)
    with pytest.raises(ValueError, match="NaN"):
        v.check_values("input", torch.tensor([0.0, float("nan")]), low=-1.0)
    v.check_values("input", torch.zeros(0), low=1.0)  # empty: nothing to check


def test_reduce():
    loss = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    assert v.reduce(loss, "mean").item() == 3.0
    assert v.reduce(loss, "sum").item() == 12.0
    assert v.reduce(loss, "none") is loss
    with pytest.raises(ValueError):
        v.reduce(loss, "max")


def test_compute_dtype_upcasts_half_precision_only():
    assert v.compute_dtype(torch.float16) == torch.float32
    assert v.compute_dtype(torch.bfloat16) == torch.float32
    assert v.compute_dtype(torch.float64) == torch.float64


def test_check_class_indices_returns_the_range_and_names_a_bad_index():
    check_class_indices = v.check_class_indices
    assert check_class_indices("target", torch.tensor([3, 0, 2]), 4) == (0, 3)
    assert check_class_indices("target", torch.tensor([-100, 1]), 4, ignore_index=-100) == (-100, 1)
    assert check_class_indices("target", torch.tensor([], dtype=torch.long), 4) is None
    with pytest.raises(
        ValueError,
        match=r"target must hold class indices in \[0, 4\) or equal ignore_index=-100; "
        r"got a class index equal to 4",
    ):
        check_class_indices("target", torch.tensor([1, 4]), 4, ignore_index=-100)
