"""Exercises of the chapter "Cross-entropy at LLM scale".

>>> from lossbook.exercises import llm_cross_entropy as ex
>>> result = ex.chunked_logsumexp.check(None)  # prints the message
✗ Not yet: ex.chunked_logsumexp(...) returned None. Write its body and run the cell again.
  ex.chunked_logsumexp.hint() gives a hint and ex.chunked_logsumexp.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

import lossbook

from ._exercise import Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = ["chunked_logsumexp", "weight_grad", "logits_bytes", "z_loss_grad"]


# -- Exercise: the log-sum-exp of a row, one chunk of the vocabulary at a time ---------------------


def my_chunked_logsumexp(hidden, weight, chunk_size):
    lse = hidden.new_full(hidden.shape[:1], -torch.inf)  # the empty sum: log 0
    for start in range(0, weight.shape[0], chunk_size):
        logits = hidden @ weight[start : start + chunk_size].T  # (N, chunk): one slice of the vocabulary
        # log(e^a + e^b) merges the chunks seen so far (a) with this one (b), without overflow
        lse = torch.logaddexp(lse, torch.logsumexp(logits, dim=1))
    return lse


def _logsumexp_reference(hidden, weight, chunk_size):
    return torch.logsumexp(hidden @ weight.T, dim=1)


def _head(g, n, h, v, scale, dtype):
    hidden = torch.randn(n, h, generator=g, dtype=torch.float64)
    weight = torch.randn(v, h, generator=g, dtype=torch.float64) * scale
    return hidden.to(dtype), weight.to(dtype)


def _chunked_logsumexp_cases(g):
    cases = []
    for n, h, v, chunk, dtype, label in (
        (4, 3, 10, 4, torch.float64, Text("float64, V = 10 in chunks of 4", "float64，V = 10，每块 4 列")),
        (3, 5, 12, 3, torch.float64, Text("float64, V = 12 in chunks of 3", "float64，V = 12，每块 3 列")),
        (2, 4, 7, 1, torch.float64, Text("float64, chunks of one column", "float64，每块 1 列")),
        (5, 3, 6, 16, torch.float64, Text("float64, one chunk larger than V", "float64，一块就比 V 大")),
        (6, 8, 50, 16, torch.float32, Text("float32, V = 50 in chunks of 16", "float32，V = 50，每块 16 列")),
    ):
        hidden, weight = _head(g, n, h, v, 1.5, dtype)
        cases.append(Case((hidden, weight, chunk), label=label, grad=(0, 1)))
    hidden = torch.ones(3, 2, dtype=torch.float32)
    for weight, label in (
        (
            torch.linspace(-500.0, 500.0, 18).reshape(9, 2),
            Text("float32, logits between −1000 and 1000", "float32，logit 在 −1000 到 1000 之间"),
        ),
        (
            torch.linspace(-600.0, -300.0, 18).reshape(9, 2),
            Text("float32, logits between −1200 and −600", "float32，logit 在 −1200 到 −600 之间"),
        ),
    ):
        cases.append(Case((hidden, weight, 4), label=label, grad=()))
    return cases


def _lse_chunks(hidden, weight, chunk_size):
    return [
        torch.logsumexp(hidden @ weight[s : s + chunk_size].T, dim=1)
        for s in range(0, weight.shape[0], chunk_size)
    ]


def _lse_sum_of_chunks(hidden, weight, chunk_size):
    return torch.stack(_lse_chunks(hidden, weight, chunk_size)).sum(0)


def _lse_max_of_chunks(hidden, weight, chunk_size):
    return torch.stack(_lse_chunks(hidden, weight, chunk_size)).amax(0)


def _lse_mean_of_chunks(hidden, weight, chunk_size):
    return torch.stack(_lse_chunks(hidden, weight, chunk_size)).mean(0)


def _lse_full_chunks_only(hidden, weight, chunk_size):
    full = weight.shape[0] - weight.shape[0] % chunk_size
    return (
        torch.logsumexp(hidden @ weight[:full].T, dim=1)
        if full
        else hidden.new_full((len(hidden),), -torch.inf)
    )


def _lse_running(hidden, weight, chunk_size, rescale):
    m = hidden.new_full(hidden.shape[:1], -torch.inf)
    s = hidden.new_zeros(hidden.shape[:1])
    for start in range(0, weight.shape[0], chunk_size):
        z = hidden @ weight[start : start + chunk_size].T
        new_m = torch.maximum(m, z.amax(1))
        s = rescale(s, m, new_m) + torch.exp(z - new_m[:, None]).sum(1)
        m = new_m
    return m + torch.log(s)


def _lse_rescaled_the_wrong_way(hidden, weight, chunk_size):
    return _lse_running(hidden, weight, chunk_size, lambda s, m, new_m: s * torch.exp(new_m - m))


def _lse_not_rescaled(hidden, weight, chunk_size):
    return _lse_running(hidden, weight, chunk_size, lambda s, m, new_m: s)


chunked_logsumexp = FunctionExercise(
    "chunked_logsumexp",
    reference=_logsumexp_reference,
    cases=_chunked_logsumexp_cases,
    mistakes=[
        Mistake(
            "sum_of_chunks",
            _lse_sum_of_chunks,
            Text(
                "this adds the chunks' log-sum-exps, which multiplies their sums of exponentials. "
                "The sums must be added: log(e^a + e^b), that is torch.logaddexp(a, b).",
                "这里把各块的 log-sum-exp 相加了，相当于把各块的指数和相乘。应当把指数和相加："
                "log(e^a + e^b)，也就是 torch.logaddexp(a, b)。",
            ),
        ),
        Mistake(
            "max_of_chunks",
            _lse_max_of_chunks,
            Text(
                "the largest chunk's log-sum-exp is only a lower bound: every other chunk adds to the "
                "sum of exponentials too. Merge them with torch.logaddexp.",
                "最大那一块的 log-sum-exp 只是一个下界：其他各块也在指数和里占一份。"
                "请用 torch.logaddexp 合并。",
            ),
        ),
        Mistake(
            "mean_of_chunks",
            _lse_mean_of_chunks,
            Text(
                "averaging the chunks' log-sum-exps is not the log of the total: merge them with "
                "torch.logaddexp, which is log(e^a + e^b).",
                "把各块的 log-sum-exp 取平均得不到总和的对数："
                "请用 torch.logaddexp 合并，它就是 log(e^a + e^b)。",
            ),
        ),
        Mistake(
            "last_chunk_dropped",
            _lse_full_chunks_only,
            Text(
                "the last, shorter chunk is missing: when V is not a multiple of chunk_size, "
                "range(0, V, chunk_size) still reaches it, and slicing past the end is fine.",
                "漏掉了最后那块较短的：V 不是 chunk_size 的整数倍时，range(0, V, chunk_size) 仍会走到它，"
                "切片越过末尾也没有问题。",
            ),
        ),
        Mistake(
            "rescaled_the_wrong_way",
            _lse_rescaled_the_wrong_way,
            Text(
                "when the running maximum grows from m to m', the old sum of e^(z − m) becomes a sum of "
                "e^(z − m'): multiply it by e^(m − m'), not by e^(m' − m).",
                "运行最大值从 m 变为 m' 时，原来的 e^(z − m) 之和要换成 e^(z − m') 之和："
                "应乘以 e^(m − m')，而不是 e^(m' − m)。",
            ),
        ),
        Mistake(
            "not_rescaled",
            _lse_not_rescaled,
            Text(
                "when the running maximum grows from m to m', the sum collected so far was taken relative "
                "to the old m: multiply it by e^(m − m') before adding the new chunk.",
                "运行最大值从 m 变为 m' 时，之前累加的和是相对旧的 m 算的：加入新块之前先乘以 e^(m − m')。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^z overflows (inf) for logits near 1000 and underflows to 0 (log 0 = −inf) near −1000: "
        "take torch.logsumexp of each chunk and merge the results with torch.logaddexp.",
        "logit 在 1000 附近时 e^z 上溢为 inf，在 −1000 附近时下溢为 0（log 0 = −inf）："
        "对每一块用 torch.logsumexp，再用 torch.logaddexp 合并。",
    ),
    hint=Text(
        "start from log 0 = −inf; for each chunk of rows of weight make its logits hidden @ chunk.T, "
        "reduce them with torch.logsumexp(..., dim=1) and merge with the running value: "
        "log(e^a + e^b) = torch.logaddexp(a, b).",
        "从 log 0 = −inf 开始；对 weight 的每一块行，算出 hidden @ chunk.T 这一块 logit，"
        "用 torch.logsumexp(..., dim=1) 归约，再与已有的值合并：log(e^a + e^b) = torch.logaddexp(a, b)。",
    ),
    explanation=Text(
        "The sum of exponentials over the vocabulary is a sum of the chunks' sums, so its log is "
        "the log of a sum of e^(lse of each chunk): torch.logaddexp merges two at a time and "
        "subtracts the larger one first, so nothing overflows. Only one chunk of logits exists at "
        "a time. This is the online normalizer of Milakov and Gimelshein, and it is how a "
        "vocabulary split over processes is merged in the chapter's last section.",
        "整个词表上的指数和等于各块指数和之和，所以它的对数就是各块 e^(lse) 之和的对数："
        "torch.logaddexp 每次合并两个，并先减去较大的那个，所以不会溢出。任何时候只存在一块 logit。"
        "这就是 Milakov 与 Gimelshein 的在线归一化（online normalizer），本章最后一节把分到多个进程上的"
        "词表合并起来，用的也是它。",
    ),
    solution=my_chunked_logsumexp,
    coverage=Text(
        "float32 and float64, chunks of 1 column to more than V, a shorter last chunk, logits of "
        "±1000, the gradients of hidden and weight",
        "float32 与 float64、每块 1 列到超过 V 列、较短的最后一块、±1000 的 logit、"
        "对 hidden 和 weight 的梯度",
    ),
)


# -- Exercise: the gradient of the head, a chunk of rows at a time -----------------------------------


def my_weight_grad(hidden, weight, target, chunk_size):
    n = hidden.shape[0]
    grad = torch.zeros_like(weight)
    for start in range(0, n, chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, dim=1)  # this chunk's logits, made and dropped here
        g[torch.arange(len(y)), y] -= 1  # softmax minus one-hot: the gradient of each row's loss
        grad += g.T @ x / n  # the gradient of W is a sum over chunks; "mean" divides by all N rows
    return grad


def _weight_grad_reference(hidden, weight, target, chunk_size):
    weight = weight.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = F.cross_entropy(hidden @ weight.T, target)
        (grad,) = torch.autograd.grad(loss, weight)
    return grad


def _weight_grad_cases(g):
    cases = []
    for n, h, v, chunk, scale, dtype, label in (
        (7, 3, 5, 3, 1.0, torch.float64, Text("float64, N = 7 in chunks of 3", "float64，N = 7，每块 3 行")),
        (6, 4, 9, 2, 1.0, torch.float64, Text("float64, N = 6 in chunks of 2", "float64，N = 6，每块 2 行")),
        (5, 2, 4, 1, 1.0, torch.float64, Text("float64, chunks of one row", "float64，每块 1 行")),
        (4, 3, 6, 10, 1.0, torch.float64, Text("float64, one chunk larger than N", "float64，一块就比 N 大")),
        (
            12,
            8,
            50,
            5,
            1.0,
            torch.float32,
            Text("float32, V = 50, chunks of 5", "float32，V = 50，每块 5 行"),
        ),
        (
            6,
            3,
            5,
            4,
            400.0,
            torch.float32,
            Text("float32, logits of about ±1000", "float32，logit 约为 ±1000"),
        ),
    ):
        hidden, weight = _head(g, n, h, v, scale, dtype)
        target = torch.randint(v, (n,), generator=g)
        cases.append(Case((hidden, weight, target, chunk), label=label, grad=()))
    return cases


def _weight_grad_by_chunk(hidden, weight, target, chunk_size, combine):
    n = hidden.shape[0]
    grad = torch.zeros_like(weight)
    for start in range(0, n, chunk_size):
        x, y = hidden[start : start + chunk_size], target[start : start + chunk_size]
        g = torch.softmax(x @ weight.T, dim=1) - F.one_hot(y, weight.shape[0]).to(x.dtype)
        grad = combine(grad, g, x, n)
    return grad


def _weight_grad_last_chunk(hidden, weight, target, chunk_size):
    return _weight_grad_by_chunk(hidden, weight, target, chunk_size, lambda grad, g, x, n: g.T @ x / n)


def _weight_grad_chunk_means(hidden, weight, target, chunk_size):
    return _weight_grad_by_chunk(
        hidden, weight, target, chunk_size, lambda grad, g, x, n: grad + g.T @ x / len(x)
    )


def _weight_grad_no_mean(hidden, weight, target, chunk_size):
    return _weight_grad_by_chunk(hidden, weight, target, chunk_size, lambda grad, g, x, n: grad + g.T @ x)


def _weight_grad_no_one_hot(hidden, weight, target, chunk_size):
    return torch.softmax(hidden @ weight.T, dim=1).T @ hidden / hidden.shape[0]


def _weight_grad_sign(hidden, weight, target, chunk_size):
    return -_weight_grad_reference(hidden, weight, target, chunk_size)


def _transposed(case, got, expected):
    return (
        isinstance(got, torch.Tensor) and got.dim() == 2 and tuple(got.shape) == tuple(expected.shape)[::-1]
    )


weight_grad = FunctionExercise(
    "weight_grad",
    reference=_weight_grad_reference,
    cases=_weight_grad_cases,
    mistakes=[
        Mistake(
            "last_chunk_only",
            _weight_grad_last_chunk,
            Text(
                "this is the last chunk's share only: every chunk adds its G_cᵀ X_c to the gradient of W, "
                "so accumulate with +=, do not assign with =.",
                "这只是最后一块的贡献：每一块都要把自己的 G_cᵀ X_c 加到 W 的梯度上，所以要用 += 累加，"
                "不能用 = 赋值。",
            ),
        ),
        Mistake(
            "chunk_means",
            _weight_grad_chunk_means,
            Text(
                "each chunk was divided by its own number of rows; the mean is over all N rows, so divide "
                "every chunk's share by N (the last chunk may be shorter).",
                "每一块都除以了自己的行数；平均是对全部 N 行取的，"
                "所以每块的贡献都要除以 N（最后一块可能较短）。",
            ),
        ),
        Mistake(
            "no_mean",
            _weight_grad_no_mean,
            Text(
                "the loss is the mean over the N rows, so its gradient carries a factor 1/N.",
                "损失是 N 行的平均，所以梯度里有因子 1/N。",
            ),
        ),
        Mistake(
            "no_one_hot",
            _weight_grad_no_one_hot,
            Text(
                "the gradient of a row's loss with respect to its logits is softmax(z) − onehot(y): "
                "subtract 1 at the target's column.",
                "一行损失对其 logit 的梯度是 softmax(z) − onehot(y)：要在目标类别那一列减去 1。",
            ),
        ),
        Mistake(
            "sign",
            _weight_grad_sign,
            Text(
                "check the sign: the gradient with respect to the logits is softmax − one-hot, "
                "not one-hot − softmax.",
                "检查符号：对 logit 的梯度是 softmax − one-hot，而不是 one-hot − softmax。",
            ),
        ),
        Mistake(
            "transposed",
            None,
            Text(
                "W has shape (V, H), and so has its gradient: with G of shape (n, V) and the chunk X of "
                "shape (n, H), that is G.T @ X, not X.T @ G.",
                "W 的形状是 (V, H)，它的梯度也是：G 的形状为 (n, V)，这一块 X 的形状为 (n, H)，"
                "所以是 G.T @ X，而不是 X.T @ G。",
            ),
            matches=_transposed,
        ),
    ],
    unstable_hint=Text(
        "torch.exp overflows for logits near 1000 (inf / inf is nan): torch.softmax subtracts each "
        "row's maximum first.",
        "logit 在 1000 附近时 torch.exp 会溢出（inf / inf 得到 nan）：torch.softmax 会先减去每行的最大值。",
    ),
    hint=Text(
        "for row i, ∂L/∂z_i = (softmax(z_i) − onehot(y_i)) / N and z_i = x_i Wᵀ, so ∂L/∂W = Gᵀ X with "
        "G the (N, V) matrix of those rows. Split the rows into chunks: Gᵀ X = Σ_c G_cᵀ X_c.",
        "对第 i 行，∂L/∂z_i = (softmax(z_i) − onehot(y_i)) / N，且 z_i = x_i Wᵀ，所以 ∂L/∂W = Gᵀ X，"
        "G 是由这些行组成的 (N, V) 矩阵。把行分块：Gᵀ X = Σ_c G_cᵀ X_c。",
    ),
    explanation=Text(
        "A matrix product Gᵀ X sums over its inner dimension, the rows: Gᵀ X = Σ_i g_iᵀ x_i. Any "
        "grouping of the rows into chunks gives the same sum, so each chunk can make its logits, "
        "turn them into G_c and add G_cᵀ X_c to the gradient before the next chunk starts. Only the "
        "factor 1/N needs all rows, and N is known in advance.",
        "矩阵乘积 Gᵀ X 是对内侧维度（行）求和：Gᵀ X = Σ_i g_iᵀ x_i。把行任意分块，和都不变，"
        "所以每一块可以先算出自己的 logit，变成 G_c，把 G_cᵀ X_c 加到梯度上，然后再处理下一块。"
        "只有因子 1/N 要用到全部行数，而 N 事先就知道。",
    ),
    solution=my_weight_grad,
    coverage=Text(
        "float32 and float64, chunks of 1 row to more than N, a shorter last chunk, logits of ±1000",
        "float32 与 float64、每块 1 行到超过 N 行、较短的最后一块、±1000 的 logit",
    ),
)


# -- Exercise: the memory of the logits -------------------------------------------------------------


def my_logits_bytes(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len  # one row of logits per token
    if chunk_size is not None:
        rows = min(rows, chunk_size)  # one chunk of rows at a time, never more than all of them
    bytes_per_number = torch.finfo(dtype).bits // 8
    return 2 * rows * vocab_size * bytes_per_number  # the logits and their gradient


def _logits_bytes_reference(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    """What torch would allocate: a meta tensor has a size and a dtype, and no memory."""
    rows = batch_size * seq_len if chunk_size is None else min(batch_size * seq_len, chunk_size)
    return 2 * torch.empty(rows, vocab_size, dtype=dtype, device="meta").nbytes


def _bytes_no_gradient(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    return _logits_bytes_reference(batch_size, seq_len, vocab_size, dtype, chunk_size) // 2


def _bytes_no_batch(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    return _logits_bytes_reference(1, seq_len, vocab_size, dtype, chunk_size)


def _bytes_in_bits(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    return 8 * _logits_bytes_reference(batch_size, seq_len, vocab_size, dtype, chunk_size)


def _bytes_always_float32(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    return _logits_bytes_reference(batch_size, seq_len, vocab_size, torch.float32, chunk_size)


def _bytes_chunk_not_capped(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else chunk_size
    return 2 * rows * vocab_size * torch.finfo(dtype).bits // 8


def _bytes_chunk_of_sequences(batch_size, seq_len, vocab_size, dtype, chunk_size=None):
    rows = batch_size * seq_len if chunk_size is None else min(batch_size, chunk_size) * seq_len
    return 2 * rows * vocab_size * torch.finfo(dtype).bits // 8


def _logits_bytes_cases(g):
    def case(args, chunk, en, zh):
        return Case(args, {"chunk_size": chunk}, Text(en, zh), grad=())

    return [
        case(
            (8, 1024, 128256, torch.float32), None, "Llama 3's vocabulary, float32", "Llama 3 的词表，float32"
        ),
        case(
            (4, 2048, 32000, torch.bfloat16),
            None,
            "Llama 2's vocabulary, bfloat16",
            "Llama 2 的词表，bfloat16",
        ),
        case((1, 1024, 50257, torch.float16), None, "GPT-2's vocabulary, float16", "GPT-2 的词表，float16"),
        case((2, 100, 1000, torch.float64), None, "float64", "float64"),
        case((16, 512, 256000, torch.float32), 2048, "chunks of 2048 rows", "每块 2048 行"),
        case((8, 1024, 128256, torch.bfloat16), 512, "chunks of 512 rows, bfloat16", "每块 512 行，bfloat16"),
        case((2, 100, 1000, torch.float32), 4096, "a chunk larger than the batch", "一块就比整个批量大"),
    ]


logits_bytes = FunctionExercise(
    "logits_bytes",
    whole_numbers=True,
    reference=_logits_bytes_reference,
    cases=_logits_bytes_cases,
    mistakes=[
        Mistake(
            "no_gradient",
            _bytes_no_gradient,
            Text(
                "this counts the logits only; the backward pass needs their gradient too, a tensor of "
                "the same shape and dtype: twice as many bytes.",
                "这里只算了 logit；反向传播还需要它们的梯度，一个形状和 dtype 都相同的张量：字节数要翻倍。",
            ),
        ),
        Mistake(
            "no_batch",
            _bytes_no_batch,
            Text(
                "there is one row of logits per token of the batch: N = batch_size × seq_len rows.",
                "批量中每个词元都有一行 logit：共 N = batch_size × seq_len 行。",
            ),
        ),
        Mistake(
            "bits",
            _bytes_in_bits,
            Text(
                "this is in bits; a byte has 8 of them (float32 takes 4 bytes).",
                "这是比特数；一个字节有 8 比特（float32 占 4 个字节）。",
            ),
        ),
        Mistake(
            "always_float32",
            _bytes_always_float32,
            Text(
                "the size of a number depends on the dtype: 2 bytes for bfloat16 and float16, 4 for "
                "float32, 8 for float64 (torch.finfo(dtype).bits // 8).",
                "每个数占多少字节取决于 dtype：bfloat16 和 float16 为 2，float32 为 4，float64 为 8"
                "（torch.finfo(dtype).bits // 8）。",
            ),
        ),
        Mistake(
            "chunk_not_capped",
            _bytes_chunk_not_capped,
            Text(
                "a chunk cannot hold more rows than there are: with chunk_size larger than N, the one "
                "chunk has N rows.",
                "一块的行数不会超过总行数：chunk_size 大于 N 时，唯一的那一块只有 N 行。",
            ),
        ),
        Mistake(
            "chunk_of_sequences",
            _bytes_chunk_of_sequences,
            Text(
                "chunk_size counts rows of logits, that is tokens, not sequences: do not multiply it by "
                "seq_len.",
                "chunk_size 数的是 logit 的行数，也就是词元数，而不是序列数：不要再乘以 seq_len。",
            ),
        ),
    ],
    hint=Text(
        "N = batch_size × seq_len rows of V logits each (or min(N, chunk_size) rows for one chunk), "
        "times the bytes of one number, times 2 for the gradient.",
        "N = batch_size × seq_len 行，每行 V 个 logit（分块时一块是 min(N, chunk_size) 行），"
        "乘以每个数的字节数，再乘以 2（梯度）。",
    ),
    explanation=Text(
        "Unchunked, the logits and their gradient take 2·N·V·b bytes: 7.8 GiB for 8 sequences of "
        "1024 tokens with Llama 3's 128,256 tokens in float32. One chunk of 1024 rows takes 2·1024·V·b "
        "whatever the batch: the memory no longer grows with the number of tokens.",
        "不分块时，logit 和它们的梯度共占 2·N·V·b 字节：Llama 3 的 128,256 个词元、8 条 1024 个词元的序列、"
        "float32，就是 7.8 GiB。一块 1024 行只占 2·1024·V·b，与批量大小无关：内存不再随词元数增长。",
    ),
    solution=my_logits_bytes,
    coverage=Text(
        "float16, bfloat16, float32 and float64, real vocabularies, with and without chunks",
        "float16、bfloat16、float32 与 float64，真实的词表大小，分块与不分块",
    ),
)


# -- Exercise: the gradient of the z-loss -----------------------------------------------------------


def my_z_loss_grad(logits):
    n = logits.shape[0]
    lse = torch.logsumexp(logits, dim=1, keepdim=True)  # log Z of each row
    # d(lse²)/dz = 2 lse · d(lse)/dz, and d(lse)/dz is the softmax; "mean" divides by N rows
    return 2 * lse * torch.softmax(logits, dim=1) / n


def _z_loss_grad_reference(logits):
    logits = logits.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(lossbook.z_loss(logits), logits)
    return grad


def _z_loss_grad_cases(g):
    cases = []
    for shape, scale, dtype, label in (
        ((4, 5), 2.0, torch.float64, Text("float64", "float64")),
        ((3, 10), 5.0, torch.float64, Text("float64, larger logits", "float64，较大的 logit")),
        ((1, 7), 1.0, torch.float64, Text("float64, one row", "float64，只有一行")),
        ((6, 9), 3.0, torch.float32, Text("float32", "float32")),
    ):
        logits = (torch.randn(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
        cases.append(Case((logits,), label=label, grad=()))
    cases.append(
        Case(
            (torch.zeros(2, 4, dtype=torch.float64),),
            label=Text("float64, equal logits: lse = log V", "float64，logit 全相等：lse = log V"),
            grad=(),
        )
    )
    cases.append(
        Case(
            (torch.tensor([[1e3, 0.0, -1e3], [-1e3, -1e3 + 1.0, -1e3 + 2.0]], dtype=torch.float32),),
            label=Text("float32, logits of ±1000", "float32，±1000 的 logit"),
            grad=(),
        )
    )
    return cases


def _z_grad_no_two(logits):
    return my_z_loss_grad(logits) / 2


def _z_grad_no_lse(logits):
    return 2 * torch.softmax(logits, dim=1) / logits.shape[0]


def _z_grad_no_mean(logits):
    return my_z_loss_grad(logits) * logits.shape[0]


def _z_grad_lse_squared(logits):
    lse = torch.logsumexp(logits, dim=1, keepdim=True)
    return lse**2 * torch.softmax(logits, dim=1) / logits.shape[0]


def _z_grad_softmax_over_rows(logits):
    lse = torch.logsumexp(logits, dim=1, keepdim=True)
    return 2 * lse * torch.softmax(logits, dim=0) / logits.shape[0]


def _z_grad_plain_lse(logits):
    lse = torch.logsumexp(logits, dim=1, keepdim=True)
    return 2 * lse.expand_as(logits) / logits.shape[0]


z_loss_grad = FunctionExercise(
    "z_loss_grad",
    reference=_z_loss_grad_reference,
    cases=_z_loss_grad_cases,
    mistakes=[
        Mistake(
            "missing_two",
            _z_grad_no_two,
            Text(
                "d(u²)/du = 2u: the factor 2 is missing.",
                "d(u²)/du = 2u：少了因子 2。",
            ),
        ),
        Mistake(
            "missing_lse",
            _z_grad_no_lse,
            Text(
                "the chain rule on lse² gives 2 · lse · ∂lse/∂z: the factor lse itself is missing.",
                "对 lse² 用链式法则得到 2 · lse · ∂lse/∂z：少了 lse 这个因子。",
            ),
        ),
        Mistake(
            "lse_squared",
            _z_grad_lse_squared,
            Text(
                "the derivative of lse² is 2 · lse · ∂lse/∂z, not lse² · ∂lse/∂z.",
                "lse² 的导数是 2 · lse · ∂lse/∂z，而不是 lse² · ∂lse/∂z。",
            ),
        ),
        Mistake(
            "no_mean",
            _z_grad_no_mean,
            Text(
                "lossbook.z_loss averages over the N rows, so the gradient carries a factor 1/N.",
                "lossbook.z_loss 对 N 行取平均，所以梯度里有因子 1/N。",
            ),
        ),
        Mistake(
            "softmax_over_rows",
            _z_grad_softmax_over_rows,
            Text(
                "∂lse_i/∂z_ij is the softmax of row i, taken over the vocabulary (dim=1), not over the rows.",
                "∂lse_i/∂z_ij 是第 i 行的 softmax，要在词表维度（dim=1）上取，而不是在行上取。",
            ),
        ),
        Mistake(
            "no_softmax",
            _z_grad_plain_lse,
            Text(
                "lse depends on each logit through e^(z_j) / Σ e^(z_k): ∂lse/∂z_j is the softmax, not 1.",
                "lse 通过 e^(z_j) / Σ e^(z_k) 依赖每个 logit：∂lse/∂z_j 是 softmax，而不是 1。",
            ),
        ),
    ],
    unstable_hint=Text(
        "e^z overflows for logits near 1000: torch.logsumexp and torch.softmax subtract each row's "
        "maximum first.",
        "logit 在 1000 附近时 e^z 会溢出：torch.logsumexp 和 torch.softmax 都会先减去每行的最大值。",
    ),
    hint=Text(
        "the loss is (1/N) Σ_i lse_i² with lse_i = log Σ_j e^(z_ij); the chain rule gives "
        "2 · lse_i · ∂lse_i/∂z_ij / N, and ∂lse_i/∂z_ij is a familiar function of row i.",
        "损失是 (1/N) Σ_i lse_i²，其中 lse_i = log Σ_j e^(z_ij)；链式法则给出 2 · lse_i · ∂lse_i/∂z_ij / N，"
        "而 ∂lse_i/∂z_ij 是第 i 行的一个熟悉的函数。",
    ),
    explanation=Text(
        "∂lse_i/∂z_ij = e^(z_ij) / Σ_k e^(z_ik) = softmax(z_i)_j, so the gradient is "
        "(2/N) · lse_i · softmax(z_i). Its entries in a row sum to 2·lse_i/N: unlike the "
        "cross-entropy's gradient, whose rows sum to 0, it moves every logit of a row the same way, "
        "down when lse > 0 and up when lse < 0. That is the one direction the cross-entropy "
        "ignores, the overall level of the logits.",
        "∂lse_i/∂z_ij = e^(z_ij) / Σ_k e^(z_ik) = softmax(z_i)_j，所以梯度是 (2/N) · lse_i · softmax(z_i)。"
        "它每一行之和为 2·lse_i/N：交叉熵的梯度每行之和为 0，而它把一行的所有 logit 朝同一个方向推，"
        "lse > 0 时往下，lse < 0 时往上。这正是交叉熵不管的那个方向：logit 的整体高度。",
    ),
    solution=my_z_loss_grad,
    coverage=Text(
        "float32 and float64, one row and several, equal logits, logits of ±1000",
        "float32 与 float64、一行与多行、相等的 logit、±1000 的 logit",
    ),
)
