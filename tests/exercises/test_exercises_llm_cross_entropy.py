"""The LLM chapter's checkers recognise typical wrong answers, written here as a learner would."""

import pytest
import torch

from lossbook.exercises import llm_cross_entropy as ex

# -- the log-sum-exp, one chunk of the vocabulary at a time -----------------------------------------


def lse_adds_the_chunks(hidden, weight, chunk_size):
    total = 0
    for start in range(0, weight.shape[0], chunk_size):
        total = total + torch.logsumexp(hidden @ weight[start : start + chunk_size].T, dim=1)
    return total


def lse_keeps_the_largest_chunk(hidden, weight, chunk_size):
    best = None
    for start in range(0, weight.shape[0], chunk_size):
        chunk = torch.logsumexp(hidden @ weight[start : start + chunk_size].T, dim=1)
        best = chunk if best is None else torch.maximum(best, chunk)
    return best


def lse_full_chunks_only(hidden, weight, chunk_size):
    lse = torch.full((hidden.shape[0],), float("-inf"), dtype=hidden.dtype)
    for k in range(weight.shape[0] // chunk_size):
        chunk = weight[k * chunk_size : (k + 1) * chunk_size]
        lse = torch.logaddexp(lse, torch.logsumexp(hidden @ chunk.T, dim=1))
    return lse


def lse_sums_exponentials(hidden, weight, chunk_size):
    total = torch.zeros(hidden.shape[0], dtype=hidden.dtype)
    for start in range(0, weight.shape[0], chunk_size):
        total = total + torch.exp(hidden @ weight[start : start + chunk_size].T).sum(1)
    return torch.log(total)


def lse_running_max_not_rescaled(hidden, weight, chunk_size):
    m = torch.full((hidden.shape[0],), float("-inf"), dtype=hidden.dtype)
    s = torch.zeros(hidden.shape[0], dtype=hidden.dtype)
    for start in range(0, weight.shape[0], chunk_size):
        z = hidden @ weight[start : start + chunk_size].T
        m = torch.maximum(m, z.max(1).values)
        s = s + torch.exp(z - m[:, None]).sum(1)
    return m + torch.log(s)


def lse_running_max_wrong_way(hidden, weight, chunk_size):
    m = torch.full((hidden.shape[0],), float("-inf"), dtype=hidden.dtype)
    s = torch.zeros(hidden.shape[0], dtype=hidden.dtype)
    for start in range(0, weight.shape[0], chunk_size):
        z = hidden @ weight[start : start + chunk_size].T
        new_m = torch.maximum(m, z.max(1).values)
        s = s * torch.exp(new_m - m) + torch.exp(z - new_m[:, None]).sum(1)
        m = new_m
    return m + torch.log(s)


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (lse_adds_the_chunks, "sum_of_chunks", ("multiplies their sums", "相当于把各块的指数和相乘")),
        (lse_keeps_the_largest_chunk, "max_of_chunks", ("only a lower bound", "只是一个下界")),
        (lse_full_chunks_only, "last_chunk_dropped", ("the last, shorter chunk", "最后那块较短的")),
        (lse_running_max_not_rescaled, "not_rescaled", ("before adding the new chunk", "先乘以")),
        (lse_running_max_wrong_way, "rescaled_the_wrong_way", ("not by e^(m' − m)", "而不是 e^(m' − m)")),
        (lse_sums_exponentials, "not_finite", ("e^z overflows", "上溢为 inf")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_chunked_logsumexp_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.chunked_logsumexp, answer, reason, hint[0] if language == "en" else hint[1])


def test_chunked_logsumexp_accepts_a_running_maximum_and_sum():
    def online(hidden, weight, chunk_size):
        m = torch.full((hidden.shape[0],), float("-inf"), dtype=hidden.dtype)
        s = torch.zeros(hidden.shape[0], dtype=hidden.dtype)
        for start in range(0, weight.shape[0], chunk_size):
            z = hidden @ weight[start : start + chunk_size].T
            new_m = torch.maximum(m, z.max(1).values)
            s = s * torch.exp(m - new_m) + torch.exp(z - new_m[:, None]).sum(1)
            m = new_m
        return m + torch.log(s)

    feedback = ex.chunked_logsumexp.evaluate(online)
    assert feedback.passed, feedback.message


def test_chunked_logsumexp_reports_a_detached_result(assert_fails):
    def through_numpy(hidden, weight, chunk_size):
        return torch.from_numpy((hidden @ weight.T).detach().numpy()).logsumexp(1)

    assert_fails(ex.chunked_logsumexp, through_numpy, "no_gradient", "not connected to hidden's graph")


# -- the gradient of W, a chunk of rows at a time --------------------------------------------------------


def grad_assigned_not_added(hidden, weight, target, chunk_size):
    n = len(hidden)
    for start in range(0, n, chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, 1)
        g[range(len(y)), y] -= 1
        grad = g.T @ x / n
    return grad


def grad_mean_per_chunk(hidden, weight, target, chunk_size):
    grad = torch.zeros_like(weight)
    for start in range(0, len(hidden), chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, 1)
        g[range(len(y)), y] -= 1
        grad += g.T @ x / len(x)
    return grad


def grad_forgets_the_mean(hidden, weight, target, chunk_size):
    grad = torch.zeros_like(weight)
    for start in range(0, len(hidden), chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, 1)
        g[range(len(y)), y] -= 1
        grad += g.T @ x
    return grad


def grad_softmax_only(hidden, weight, target, chunk_size):
    grad = torch.zeros_like(weight)
    for start in range(0, len(hidden), chunk_size):
        x = hidden[start : start + chunk_size]
        grad += torch.softmax(x @ weight.T, 1).T @ x / len(hidden)
    return grad


def grad_transposed(hidden, weight, target, chunk_size):
    grad = torch.zeros(weight.shape[1], weight.shape[0], dtype=weight.dtype)
    for start in range(0, len(hidden), chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, 1)
        g[range(len(y)), y] -= 1
        grad += x.T @ g / len(hidden)
    return grad


def grad_from_exp(hidden, weight, target, chunk_size):
    grad = torch.zeros_like(weight)
    for start in range(0, len(hidden), chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        e = torch.exp(x @ weight.T)
        g = e / e.sum(1, keepdim=True)
        g[range(len(y)), y] -= 1
        grad += g.T @ x / len(hidden)
    return grad


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (grad_assigned_not_added, "last_chunk_only", ("accumulate with +=", "要用 += 累加")),
        (grad_mean_per_chunk, "chunk_means", ("divide every chunk's share by N", "都要除以 N")),
        (grad_forgets_the_mean, "no_mean", ("factor 1/N", "因子 1/N")),
        (grad_softmax_only, "no_one_hot", ("subtract 1 at the target's column", "减去 1")),
        (grad_transposed, "transposed", ("not X.T @ G", "而不是 X.T @ G")),
        (grad_from_exp, "not_finite", ("torch.softmax subtracts", "torch.softmax 会先减去")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_weight_grad_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.weight_grad, answer, reason, hint[0] if language == "en" else hint[1])


def test_weight_grad_accepts_one_hot_and_autograd_per_chunk():
    def with_one_hot(hidden, weight, target, chunk_size):
        grad = torch.zeros_like(weight)
        for start in range(0, len(hidden), chunk_size):
            x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
            g = torch.softmax(x @ weight.T, 1) - torch.nn.functional.one_hot(y, len(weight)).to(x.dtype)
            grad = grad + g.T @ x
        return grad / len(hidden)

    def autograd_per_chunk(hidden, weight, target, chunk_size):
        w = weight.detach().requires_grad_(True)
        for start in range(0, len(hidden), chunk_size):
            x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
            loss = torch.nn.functional.cross_entropy(x @ w.T, y, reduction="sum") / len(hidden)
            loss.backward()  # .grad accumulates over the chunks
        return w.grad

    for answer in (with_one_hot, autograd_per_chunk):
        feedback = ex.weight_grad.evaluate(answer)
        assert feedback.passed, feedback.message


# -- the memory of the logits ------------------------------------------------------------------------


def bytes_logits_only(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else min(chunk_size, batch_size * seq_len)
    return rows * vocab_size * torch.finfo(dtype).bits // 8


def bytes_per_sequence(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = seq_len if chunk_size is None else min(chunk_size, seq_len)
    return 2 * rows * vocab_size * torch.finfo(dtype).bits // 8


def bytes_as_bits(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else min(chunk_size, batch_size * seq_len)
    return 2 * rows * vocab_size * torch.finfo(dtype).bits


def bytes_four_per_number(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else min(chunk_size, batch_size * seq_len)
    return 2 * rows * vocab_size * 4


def bytes_chunk_as_given(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else chunk_size
    return 2 * rows * vocab_size * torch.finfo(dtype).bits // 8


def bytes_in_gib(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else min(chunk_size, batch_size * seq_len)
    return 2 * rows * vocab_size * torch.finfo(dtype).bits // 8 / 2**30


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (bytes_logits_only, "no_gradient", ("twice as many bytes", "字节数要翻倍")),
        (bytes_per_sequence, "no_batch", ("one row of logits per token", "每个词元都有一行")),
        (bytes_as_bits, "bits", ("this is in bits", "这是比特数")),
        (bytes_four_per_number, "always_float32", ("2 bytes for bfloat16", "bfloat16 和 float16 为 2")),
        (bytes_chunk_as_given, "chunk_not_capped", ("the one chunk has N rows", "只有 N 行")),
        (bytes_in_gib, "wrong_type", ("float",)),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_logits_bytes_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.logits_bytes, answer, reason, hint[0] if language == "en" else hint[-1])


def test_logits_bytes_accepts_a_float_count_and_element_size():
    def with_element_size(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
        rows = batch_size * seq_len
        if chunk_size:
            rows = min(rows, chunk_size)
        return 2.0 * rows * vocab_size * torch.tensor([], dtype=dtype).element_size()

    feedback = ex.logits_bytes.evaluate(with_element_size)
    assert feedback.passed, feedback.message


# -- the gradient of the z-loss ------------------------------------------------------------------------


def z_grad_without_two(logits):
    lse = torch.logsumexp(logits, 1, keepdim=True)
    return lse * torch.softmax(logits, 1) / len(logits)


def z_grad_without_lse(logits):
    return 2 * torch.softmax(logits, 1) / len(logits)


def z_grad_squared(logits):
    lse = torch.logsumexp(logits, 1, keepdim=True)
    return lse * lse * torch.softmax(logits, 1) / len(logits)


def z_grad_summed(logits):
    return 2 * torch.logsumexp(logits, 1, keepdim=True) * torch.softmax(logits, 1)


def z_grad_wrong_dim(logits):
    return 2 * torch.logsumexp(logits, 1, keepdim=True) * torch.softmax(logits, 0) / len(logits)


def z_grad_from_exp(logits):
    e = torch.exp(logits)
    z = e.sum(1, keepdim=True)
    return 2 * torch.log(z) * e / z / len(logits)


@pytest.mark.parametrize(
    "answer, reason, hint",
    [
        (z_grad_without_two, "missing_two", ("the factor 2 is missing", "少了因子 2")),
        (z_grad_without_lse, "missing_lse", ("the factor lse itself", "少了 lse 这个因子")),
        (z_grad_squared, "lse_squared", ("not lse² · ∂lse/∂z", "而不是 lse² · ∂lse/∂z")),
        (z_grad_summed, "no_mean", ("averages over the N rows", "对 N 行取平均")),
        (z_grad_wrong_dim, "softmax_over_rows", ("over the vocabulary (dim=1)", "词表维度（dim=1）")),
        (z_grad_from_exp, "not_finite", ("subtract each row's maximum", "先减去每行的最大值")),
    ],
    ids=lambda v: getattr(v, "__name__", None) if callable(v) else None,
)
def test_z_loss_grad_names_the_mistake(answer, reason, hint, language, assert_fails):
    assert_fails(ex.z_loss_grad, answer, reason, hint[0] if language == "en" else hint[1])


def test_z_loss_grad_accepts_autograd_on_its_own_formula():
    def by_autograd(logits):
        z = logits.detach().requires_grad_(True)
        (torch.logsumexp(z, 1) ** 2).mean().backward()
        return z.grad

    feedback = ex.z_loss_grad.evaluate(by_autograd)
    assert feedback.passed, feedback.message
