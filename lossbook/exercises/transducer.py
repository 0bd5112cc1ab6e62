"""Exercises of the chapter on transducers and forced alignment.

>>> from lossbook.exercises import transducer as ex
>>> result = ex.lattice_paths.check(None)  # prints the message
✗ Not yet: ex.lattice_paths(...) returned None. Write its body and run the cell again.
  ex.lattice_paths.hint() gives a hint and ex.lattice_paths.solution() a worked solution.
>>> bool(result)  # true once the answer passes
False
"""

from __future__ import annotations

import itertools
import math

import torch

import lossbook

from ._exercise import AnswerExercise, Case, Mistake
from ._function import FunctionExercise
from ._messages import Text

__all__ = ["lattice_paths", "alpha_grid", "viterbi", "blank_only"]


def _random_log_probs(g, T, U, V, dtype=torch.float64, scale=1.0):
    """(T, U+1, V) log-probabilities: one distribution per node of the lattice."""
    scores = scale * torch.randn(T, U + 1, V, generator=g, dtype=torch.float64)
    return scores.log_softmax(-1).to(dtype)


# -- Exercise: the number of alignments ----------------------------------------------------------


def my_lattice_paths(T, U):
    # an alignment has T blanks and U labels; the last step is always the blank that leaves
    # the last frame, so the U labels take U of the other T - 1 + U steps, in order
    return math.comb(T - 1 + U, U)


def _lattice_paths_reference(T, U):
    """Counts the alignments with lossbook's recursion: with log-probabilities 0 every one scores 1."""
    log_probs = torch.zeros(1, T, U + 1, 2, dtype=torch.float64)
    loss = lossbook.rnnt_loss(
        log_probs,
        torch.zeros(1, U, dtype=torch.int64),
        torch.tensor([T]),
        torch.tensor([U]),
        blank=1,
        reduction="sum",
        fused_log_softmax=False,
    )
    return round(math.exp(-loss.item()))


def _lattice_paths_cases(g):
    def case(T, U, en, zh):
        return Case((T, U), label=Text(f"T = {T}, U = {U}: {en}", f"T = {T}，U = {U}：{zh}"), grad=())

    return [
        case(3, 2, "the chapter's small example", "本章的小例子"),
        case(2, 1, "the 2 x 2 lattice", "2 x 2 的网格"),
        case(4, 3, "the lattice drawn in the chapter", "本章画出的网格"),
        case(1, 3, "one frame emits every label", "一帧发出全部标签"),
        case(2, 5, "more labels than frames", "标签比帧多"),
        case(5, 0, "the empty target", "空目标"),
        case(14, 5, "a line of 5 digits in the chapter's 14 frames", "本章 14 帧中的 5 个数字"),
        case(20, 8, "a larger lattice", "更大的网格"),
    ]


lattice_paths = FunctionExercise(
    "lattice_paths",
    reference=_lattice_paths_reference,
    cases=_lattice_paths_cases,
    whole_numbers=True,
    mistakes=[
        Mistake(
            "final_blank_free",
            lambda T, U: math.comb(T + U, U),
            Text(
                "the last step is not free: every alignment ends with the blank that leaves the last "
                "frame, so only the other T − 1 + U steps can hold the U labels.",
                "最后一步不能随意选：每条对齐都以离开最后一帧的空白结束，所以 U 个标签只能放在其余 "
                "T − 1 + U 步中。",
            ),
        ),
        Mistake(
            "one_label_per_frame",
            lambda T, U: math.comb(T, U),
            Text(
                "this allows at most one label per frame, as in CTC. A transducer's frame can emit "
                "several labels before its blank: 1 frame holds all 3 labels of T = 1, U = 3.",
                "这样每帧最多只能发出一个标签，和 CTC 一样。转导器的一帧可以在它的空白之前发出多个标签："
                "T = 1、U = 3 时，一帧就放下了全部 3 个标签。",
            ),
        ),
        Mistake(
            "labels_unordered",
            lambda T, U: T**U,
            Text(
                "this lets each label pick its frame on its own, so y_2 could come before y_1. The labels "
                "keep their order: count the ways to interleave U labels with the blanks.",
                "这样每个标签各自挑选帧，y_2 可能排到 y_1 前面。标签的顺序是固定的：要数的是把 U 个标签"
                "和空白交错排列的方式。",
            ),
        ),
        Mistake(
            "ctc_count",
            lambda T, U: math.comb(T + U, 2 * U),
            Text(
                "C(T + U, 2U) counts CTC's paths (the CTC chapter's exercise). The transducer's alignment "
                "is not a path of T frames: it has T + U steps, T blanks and the U labels.",
                "C(T + U, 2U) 数的是 CTC 的路径（CTC 一章的练习）。转导器的对齐不是 T 帧的路径："
                "它有 T + U 步，即 T 个空白和 U 个标签。",
            ),
        ),
        Mistake(
            "two_moves_everywhere",
            lambda T, U: 2 ** (T + U - 1),
            Text(
                "two moves at every step overcounts: an alignment must make exactly U label moves and "
                "T blank moves, and it cannot leave the lattice at its top or right edge.",
                "每一步都有两种走法会多算：一条对齐必须恰好走 U 步标签、T 步空白，而且不能走出网格的"
                "上边或右边。",
            ),
        ),
    ],
    hint=Text(
        "write an alignment as a string of T + U symbols, T blanks and the U labels in order. Which "
        "symbol is always the last one? The rest is a choice of the positions of the U labels.",
        "把一条对齐写成 T + U 个符号的串：T 个空白和按顺序排列的 U 个标签。哪个符号总是在最后？"
        "剩下的就是选出 U 个标签的位置。",
    ),
    explanation=Text(
        "Each alignment is a string of T blanks and the U labels in their order, and it always ends "
        "with the blank that leaves the last frame. The other T − 1 + U symbols are free apart from "
        "which of them are labels, so there are C(T − 1 + U, U) alignments: 6 for T = 3, U = 2, 2 on "
        "the 2 x 2 lattice, 8,568 for a line of 5 digits in 14 frames. The checker counts them with "
        "lossbook.rnnt_loss on log-probabilities 0, where every alignment scores 1.",
        "每条对齐都是由 T 个空白和按顺序排列的 U 个标签组成的串，并且总以离开最后一帧的空白结束。"
        "其余 T − 1 + U 个符号中，只需选定哪些是标签，所以共有 C(T − 1 + U, U) 条对齐：T = 3、U = 2 "
        "时 6 条，2 x 2 网格上 2 条，14 帧里 5 个数字的一行有 8,568 条。检查器用 lossbook.rnnt_loss "
        "在对数概率全为 0 时数出它们，这时每条对齐的概率都是 1。",
    ),
    solution=my_lattice_paths,
    coverage=Text(
        "one frame, more labels than frames, the empty target, lattices up to 20 x 9",
        "只有一帧、标签比帧多、空目标、最大 20 x 9 的网格",
    ),
)


# -- Exercise: alpha on a 2 x 2 lattice, by hand -------------------------------------------------

#: The probabilities of the 2 x 2 lattice (T = 2 frames, U = 1 label "a"): (t, u) -> (blank, a).
#: At u = 1 only the blank matters (a second "a" is not in the target).
ALPHA_GRID = {(0, 0): (0.6, 0.4), (1, 0): (0.3, 0.7), (0, 1): (0.8, 0.2), (1, 1): (0.9, 0.1)}


def _grid_probability():
    blank = {node: p[0] for node, p in ALPHA_GRID.items()}
    label = {node: p[1] for node, p in ALPHA_GRID.items()}
    alpha_11 = label[0, 0] * blank[0, 1] + blank[0, 0] * label[1, 0]
    return alpha_11 * blank[1, 1]


alpha_grid = AnswerExercise(
    "alpha_grid",
    answer=round(_grid_probability(), 3),
    rel_tol=2e-3,
    mistakes=[
        (
            0.74,
            Text(
                "0.74 is α(1, 1), the probability of reaching the last node. Every alignment still has to "
                "leave the last frame with a blank: multiply by ∅(1, 1) = 0.9.",
                "0.74 是 α(1, 1)，即到达最后一个节点的概率。每条对齐还要用一个空白离开最后一帧："
                "再乘以 ∅(1, 1) = 0.9。",
            ),
        ),
        (
            0.378,
            Text(
                "0.378 is one alignment, 'blank, a, blank' (the most probable one). p(y | x) sums over "
                "both alignments.",
                "0.378 只是一条对齐“空白、a、空白”（最可能的那条）。p(y | x) 要把两条对齐加起来。",
            ),
        ),
        (
            0.288,
            Text(
                "0.288 is one alignment, 'a, blank, blank'. p(y | x) sums over both alignments.",
                "0.288 只是一条对齐“a、空白、空白”。p(y | x) 要把两条对齐加起来。",
            ),
        ),
        (
            0.7,
            Text(
                "a label does not move to the next frame: after 'a' at node (0, 0) the next node is (0, 1), "
                "on the same frame, whose blank is 0.8.",
                "发出标签不会进入下一帧：在节点 (0, 0) 发出 a 之后到达的是同一帧的 (0, 1)，它的空白概率"
                "是 0.8。",
            ),
        ),
    ],
    hint=Text(
        "α(0, 0) = 1. A blank moves right, α(t, u) gets α(t − 1, u) ∅(t − 1, u); a label moves up, "
        "α(t, u) gets α(t, u − 1) y(t, u − 1). Fill α(1, 0), α(0, 1), α(1, 1), then leave the lattice: "
        "p(y | x) = α(1, 1) ∅(1, 1).",
        "α(0, 0) = 1。空白向右走，α(t, u) 得到 α(t − 1, u) ∅(t − 1, u)；标签向上走，α(t, u) 得到 "
        "α(t, u − 1) y(t, u − 1)。依次填出 α(1, 0)、α(0, 1)、α(1, 1)，最后离开网格："
        "p(y | x) = α(1, 1) ∅(1, 1)。",
    ),
    why=Text(
        "α(1, 0) = 0.6, α(0, 1) = 0.4, α(1, 1) = 0.4 · 0.8 + 0.6 · 0.7 = 0.74, and "
        "p(y | x) = 0.74 · 0.9 = 0.666: the two alignments, 0.288 and 0.378, added up.",
        "α(1, 0) = 0.6，α(0, 1) = 0.4，α(1, 1) = 0.4 · 0.8 + 0.6 · 0.7 = 0.74，"
        "p(y | x) = 0.74 · 0.9 = 0.666：正是两条对齐 0.288 与 0.378 之和。",
    ),
    explanation=Text(
        "Answer 0.666. α(0, 0) = 1; α(1, 0) = α(0, 0) ∅(0, 0) = 0.6; α(0, 1) = α(0, 0) y(0, 0) = 0.4; "
        "α(1, 1) = α(0, 1) ∅(0, 1) + α(1, 0) y(1, 0) = 0.32 + 0.42 = 0.74; p(y | x) = α(1, 1) ∅(1, 1) "
        "= 0.666, and the loss is −ln 0.666 = 0.41. The two terms of α(1, 1) are the two alignments: "
        "'a' on frame 0 (0.4 · 0.8 · 0.9 = 0.288) and 'a' on frame 1 (0.6 · 0.7 · 0.9 = 0.378).",
        "答案是 0.666。α(0, 0) = 1；α(1, 0) = α(0, 0) ∅(0, 0) = 0.6；α(0, 1) = α(0, 0) y(0, 0) = 0.4；"
        "α(1, 1) = α(0, 1) ∅(0, 1) + α(1, 0) y(1, 0) = 0.32 + 0.42 = 0.74；p(y | x) = α(1, 1) ∅(1, 1) "
        "= 0.666，损失为 −ln 0.666 = 0.41。α(1, 1) 的两项就是两条对齐：a 在第 0 帧"
        "（0.4 · 0.8 · 0.9 = 0.288）和 a 在第 1 帧（0.6 · 0.7 · 0.9 = 0.378）。",
    ),
    solution="""\
blank = {(0, 0): 0.6, (1, 0): 0.3, (0, 1): 0.8, (1, 1): 0.9}
label = {(0, 0): 0.4, (1, 0): 0.7}
alpha = {(0, 0): 1.0}
alpha[1, 0] = alpha[0, 0] * blank[0, 0]
alpha[0, 1] = alpha[0, 0] * label[0, 0]
alpha[1, 1] = alpha[0, 1] * blank[0, 1] + alpha[1, 0] * label[1, 0]
print(round(alpha[1, 1] * blank[1, 1], 3))  # 0.666""",
)


# -- Exercise: the Viterbi score against the sum --------------------------------------------------


def my_rnnt_viterbi(log_probs, target, blank=-1):
    T, U = log_probs.shape[0], len(target)
    best = {(0, 0): log_probs.new_zeros(())}  # log of the best partial alignment into each node
    for t in range(T):
        for u in range(U + 1):
            if t == 0 and u == 0:
                continue
            moves = []
            if t > 0:  # a blank from the left
                moves.append(best[t - 1, u] + log_probs[t - 1, u, blank])
            if u > 0:  # the label y_u from below
                moves.append(best[t, u - 1] + log_probs[t, u - 1, target[u - 1]])
            best[t, u] = torch.stack(moves).max()  # the sum's logsumexp becomes a max
    return best[T - 1, U] + log_probs[T - 1, U, blank]  # leave the last frame with a blank


def _viterbi_reference(log_probs, target, blank=-1):
    """The best alignment's log-probability, every alignment enumerated (as rnnt_loss_bruteforce)."""
    T, U = log_probs.shape[0], len(target)
    steps = T - 1 + U  # the final blank is fixed; the labels take U of the other steps
    choices = list(itertools.combinations(range(steps), U))
    slots = torch.tensor(choices, dtype=torch.int64).reshape(len(choices), U)
    is_label = torch.zeros(len(choices), steps + 1, dtype=torch.bool).scatter_(1, slots, True)
    # each symbol is emitted from node (t, u): t blanks and u labels before it
    u = torch.cumsum(is_label, 1) - is_label.long()
    t = torch.cumsum(~is_label, 1) - (~is_label).long()
    labels = torch.tensor(list(target) + [0], dtype=torch.int64)
    symbol = torch.where(is_label, labels[u.clamp(max=max(U - 1, 0))], blank % log_probs.shape[2])
    scores = log_probs.detach().double()[t, u, symbol].sum(1)
    return scores.max().to(log_probs.dtype)


def _viterbi_sum(log_probs, target, blank=-1):
    T, U = log_probs.shape[0], len(target)
    return -lossbook.rnnt_loss(
        log_probs[None],
        torch.tensor([list(target)], dtype=torch.int64).reshape(1, U),
        torch.tensor([T]),
        torch.tensor([U]),
        blank=blank,
        reduction="sum",
        fused_log_softmax=False,
    )


def _viterbi_variant(log_probs, target, blank=-1, *, final=True, sign=1.0, source=True):
    T, U = log_probs.shape[0], len(target)
    lp = log_probs.detach().double()
    best = {(0, 0): 0.0}
    for t in range(T):
        for u in range(U + 1):
            if (t, u) == (0, 0):
                continue
            moves = []
            if t > 0:
                moves.append(best[t - 1, u] + lp[t - 1 if source else t, u, blank].item())
            if u > 0:
                moves.append(best[t, u - 1] + lp[t, u - 1 if source else u, target[u - 1]].item())
            best[t, u] = max(moves)
    score = best[T - 1, U] + (lp[T - 1, U, blank].item() if final else 0.0)
    return torch.tensor(sign * score, dtype=log_probs.dtype)


def _viterbi_cases(g):
    f32 = torch.float32

    def case(log_probs, target, en, zh, **kwargs):
        return Case((log_probs, target), kwargs, label=Text(en, zh), grad=())

    return [
        case(_random_log_probs(g, 3, 2, 4), [0, 2], "float64, T = 3, U = 2", "float64，T = 3，U = 2"),
        case(
            _random_log_probs(g, 4, 3, 3, scale=2.0),
            [1, 1, 0],
            "float64, a repeated label",
            "float64，含重复标签",
        ),
        case(_random_log_probs(g, 1, 3, 4), [2, 0, 1], "float64, one frame", "float64，只有一帧"),
        case(_random_log_probs(g, 5, 0, 3), [], "float64, the empty target", "float64，空目标"),
        case(_random_log_probs(g, 6, 4, 5, f32), [3, 1, 0, 2], "float32", "float32"),
        case(
            _random_log_probs(g, 4, 2, 4),
            [2, 3],
            "float64, blank = 0",
            "float64，blank = 0",
            blank=0,
        ),
        case(
            _random_log_probs(g, 10, 5, 6, scale=3.0),
            [0, 4, 4, 1, 2],
            "float64, a peaky lattice",
            "float64，尖峰分布的网格",
        ),
        case(
            _random_log_probs(g, 150, 2, 8, f32),
            [3, 5],
            "float32, T = 150 frames: probabilities underflow",
            "float32，T = 150 帧：概率会下溢",
        ),
    ]


viterbi = FunctionExercise(
    "viterbi",
    reference=_viterbi_reference,
    cases=_viterbi_cases,
    mistakes=[
        Mistake(
            "sum_not_max",
            _viterbi_sum,
            Text(
                "this is log p(y | x), the logsumexp over every alignment. The Viterbi score keeps only "
                "the best one: replace the logsumexp of the two moves by their maximum.",
                "这是 log p(y | x)，即所有对齐的 logsumexp。维特比分数只保留最好的一条：把两种走法的 "
                "logsumexp 换成最大值。",
            ),
        ),
        Mistake(
            "no_final_blank",
            lambda lp, target, blank=-1: _viterbi_variant(lp, target, blank, final=False),
            Text(
                "the alignment must also leave the last frame: add the blank of the last node, ∅(T − 1, U).",
                "对齐还要离开最后一帧：加上最后一个节点的空白 ∅(T − 1, U)。",
            ),
        ),
        Mistake(
            "negated",
            lambda lp, target, blank=-1: _viterbi_variant(lp, target, blank, sign=-1.0),
            Text(
                "return the log-probability of the best alignment (≤ 0), not its negative.",
                "返回最佳对齐的对数概率（≤ 0），而不是它的相反数。",
            ),
        ),
        Mistake(
            "destination_node",
            lambda lp, target, blank=-1: _viterbi_variant(lp, target, blank, source=False),
            Text(
                "a move is scored by the node it leaves: the blank into (t, u) is ∅(t − 1, u), the label "
                "into (t, u) is y(t, u − 1), read from log_probs[t, u − 1, target[u − 1]].",
                "一步的概率取自它离开的那个节点：进入 (t, u) 的空白是 ∅(t − 1, u)，进入 (t, u) 的标签是 "
                "y(t, u − 1)，即 log_probs[t, u − 1, target[u − 1]]。",
            ),
        ),
    ],
    unstable_hint=Text(
        "stay in log space: a product of 150 probabilities underflows to 0 in float32, and log 0 = "
        "−inf. Add log-probabilities instead of multiplying probabilities.",
        "请在对数空间里计算：150 个概率的乘积在 float32 中会下溢为 0，而 log 0 = −inf。"
        "把概率相乘换成对数概率相加。",
    ),
    hint=Text(
        "copy the chapter's double loop for α and change one thing: the best partial alignment into "
        "(t, u) comes either from the left with a blank or from below with the label, so take the "
        "maximum of the two moves instead of their logsumexp. End with the blank of (T − 1, U).",
        "照抄本章 α 的双重循环，只改一处：进入 (t, u) 的最佳部分对齐要么从左边经空白而来，要么从"
        "下面经标签而来，所以对两种走法取最大值，而不是 logsumexp。最后加上 (T − 1, U) 的空白。",
    ),
    explanation=Text(
        "The Viterbi recursion is the forward recursion in the (max, +) semiring: "
        "δ(t, u) = max(δ(t − 1, u) + ∅(t − 1, u), δ(t, u − 1) + y(t, u − 1)), and the best alignment "
        "scores δ(T − 1, U) + ∅(T − 1, U). It never exceeds log p(y | x), the logsumexp of the same "
        "scores; a peaky model puts almost all of p(y | x) on one alignment, and the two meet. Keeping "
        "the argmax of each node and walking back from the end gives the alignment itself, which is "
        "what forced alignment does on CTC's trellis.",
        "维特比递推就是把前向递推放到 (max, +) 半环里：δ(t, u) = max(δ(t − 1, u) + ∅(t − 1, u), "
        "δ(t, u − 1) + y(t, u − 1))，最佳对齐的分数是 δ(T − 1, U) + ∅(T − 1, U)。它永远不超过 "
        "log p(y | x)，即同样这些分数的 logsumexp；模型的输出越尖锐，p(y | x) 越集中在一条对齐上，"
        "两者越接近。在每个节点记下取最大值的走法，再从终点往回走，就得到这条对齐本身，强制对齐在 "
        "CTC 的网格上做的正是这件事。",
    ),
    solution=my_rnnt_viterbi,
    coverage=Text(
        "float32 and float64, one frame, the empty target, repeated labels, blank = 0 and −1, "
        "150 frames, against every alignment enumerated",
        "float32 与 float64、只有一帧、空目标、重复标签、blank = 0 和 −1、150 帧，与枚举全部对齐的结果比较",
    ),
)


# -- Predict, then measure: the blank-only alignment ---------------------------------------------

#: The chapter's lattice: T frames per line and V classes (10 digits and the blank).
FRAMES, CLASSES = 14, 11

blank_only = AnswerExercise(
    "blank_only",
    answer=round(FRAMES * math.log(CLASSES), 2),
    rel_tol=2e-3,
    mistakes=[
        (
            0.0,
            Text(
                "an empty target still has one alignment, and it is not free: 14 blanks, one to leave "
                "each frame, each of probability 1/11.",
                "空目标仍然有一条对齐，而且它并非没有代价：14 个空白，每帧一个，每个的概率都是 1/11。",
            ),
        ),
        (
            round(math.log(CLASSES), 2),
            Text(
                "one blank leaves one frame; the alignment needs a blank for each of the 14 frames.",
                "一个空白只离开一帧；这条对齐需要为 14 帧中的每一帧各发出一个空白。",
            ),
        ),
        (
            round((FRAMES + 1) * math.log(CLASSES), 2),
            Text(
                "an alignment has T + U steps; with U = 0 that is 14 blanks, not 15.",
                "一条对齐有 T + U 步；U = 0 时是 14 个空白，不是 15 个。",
            ),
        ),
        (
            round(FRAMES * math.log(CLASSES - 1), 2),
            Text(
                "the blank is one of the 11 classes the joiner scores, so each has probability 1/11.",
                "空白也是联合网络打分的 11 个类别之一，所以每个类别的概率都是 1/11。",
            ),
        ),
    ],
    hint=Text(
        "how many alignments does the empty target have on 14 frames, and which symbols make it up? "
        "Each symbol has probability 1/11.",
        "空目标在 14 帧上有几条对齐，它由哪些符号组成？每个符号的概率都是 1/11。",
    ),
    why=Text(
        "With U = 0 the only alignment is 14 blanks, so −log p = 14 ln 11 ≈ 33.57: an untrained "
        "transducer pays this even for saying nothing, and lowering it is one of the first things "
        "training does.",
        "U = 0 时唯一的对齐是 14 个空白，所以 −log p = 14 ln 11 ≈ 33.57：未训练的转导器即使什么都不说"
        "也要付出这个代价，而降低它正是训练最先做的事情之一。",
    ),
    explanation=Text(
        "Answer 14 ln 11 ≈ 33.57. With no label the lattice has one row, u = 0, and C(14 − 1 + 0, 0) = 1 "
        "alignment: the blank on each of the 14 frames. Each blank has probability 1/11, so "
        "p = 11^(−14) and the loss is 14 ln 11. The same model pays (14 + U) ln 11 − ln C(13 + U, U) "
        "on a line of U digits, fewer nats per symbol, because more alignments share the "
        "probability.",
        "答案是 14 ln 11 ≈ 33.57。没有标签时网格只有一行 u = 0，对齐只有 C(14 − 1 + 0, 0) = 1 条："
        "14 帧上各一个空白。每个空白的概率是 1/11，所以 p = 11^(−14)，损失为 14 ln 11。同一个模型在 "
        "U 个数字的一行上付出 (14 + U) ln 11 − ln C(13 + U, U)，平均到每个符号更少，因为有更多的对齐"
        "分享概率。",
    ),
    solution="""\
T, V = 14, 11
logits = torch.zeros(1, T, 1, V)  # (N, T, U + 1, V) with U = 0: every class 1/11
loss = lossbook.rnnt_loss(logits, torch.zeros(1, 0, dtype=torch.int64), torch.tensor([T]), torch.tensor([0]))
print(round(loss.item(), 2), round(T * math.log(V), 2))  # 33.57 33.57""",
)
