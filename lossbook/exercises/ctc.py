"""Exercises of the CTC chapter.

>>> from lossbook.exercises import ctc as ex
>>> result = ex.collapse.check(None)  # prints the message
✗ Not yet: ex.collapse(...) returned None. Write its body and run the cell again.
  ex.collapse.hint() gives a hint and ex.collapse.solution() a worked solution.
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

__all__ = ["collapse", "min_frames", "ctc_nll", "ctc_grad", "gradcheck", "all_blank"]


def _extended(target, blank):
    """The extended label l' = (blank, l1, blank, l2, ..., blank) as a list."""
    ext = [blank]
    for k in target:
        ext += [k, blank]
    return ext


def _random_log_probs(g, T, C, dtype=torch.float64, scale=1.0):
    return (scale * torch.randn(T, C, generator=g, dtype=torch.float64)).log_softmax(1).to(dtype)


def _peaky(path, C, dtype=torch.float32, height=1e4):
    """Scores of ±height: the given path has probability (almost exactly) 1."""
    scores = torch.full((len(path), C), -height, dtype=torch.float64)
    scores[torch.arange(len(path)), torch.tensor(path)] = height
    return scores.to(dtype)


# -- Exercise: the collapse map B ----------------------------------------------------------------


def my_collapse(path, blank):
    kept = []
    previous = None
    for symbol in path:
        # a symbol counts when it is no blank and differs from the frame before (blank or not)
        if symbol != blank and symbol != previous:
            kept.append(symbol)
        previous = symbol
    return "".join(kept) if isinstance(path, str) else kept


def _collapse_cases(g):
    S = Text
    cases = [
        Case(([0, 3, 3, 0, 3, 5, 5, 0],), {"blank": 0}, S("a list of ints", "整数列表")),
        Case(
            ("-s-t-aatte",),
            {"blank": "-"},
            S("a path of 'Common Loss Functions in Deep Learning'", "《深度学习常用损失函数介绍》中的路径"),
        ),
        Case(
            ("ss-t-a-t-e",),
            {"blank": "-"},
            S("a path of 'Common Loss Functions in Deep Learning'", "《深度学习常用损失函数介绍》中的路径"),
        ),
        Case(("-s-t-tatte",), {"blank": "-"}, S("a blank between two t's", "两个 t 之间有空白")),
        Case(("to-o",), {"blank": "-"}, S("a blank between two o's", "两个 o 之间有空白")),
        Case(("aa-a",), {"blank": "-"}, S("a repeat, then a blank", "先重复、再空白")),
        Case(("",), {"blank": "-"}, S("the empty path", "空路径")),
        Case(("----",), {"blank": "-"}, S("blanks only", "只有空白")),
        Case(
            ("-hh_ee_l-l_lo",),
            {"blank": "_"},
            S("the blank written '_', '-' an ordinary symbol", "空白写作 '_'，'-' 是普通符号"),
        ),
        Case(([0, 2, 2, 1, 2, 0, 0, 3],), {"blank": 1}, S("a list with blank = 1", "整数列表，blank = 1")),
    ]
    for _ in range(4):
        path = torch.randint(0, 4, (12,), generator=g).tolist()
        cases.append(Case((path,), {"blank": 0}, S("a random list", "随机整数列表")))
    return cases


def _as_path_type(symbols, path):
    return "".join(symbols) if isinstance(path, str) else list(symbols)


def _collapse_drop_then_merge(path, blank):
    without = [c for c in path if c != blank]
    return _as_path_type([c for c, _ in itertools.groupby(without)], path)


def _collapse_keep_blanks(path, blank):
    return _as_path_type([c for c, _ in itertools.groupby(path)], path)


def _collapse_drop_only(path, blank):
    return _as_path_type([c for c in path if c != blank], path)


def _collapse_first_frame_lost(path, blank):
    return _as_path_type(
        [path[i] for i in range(1, len(path)) if path[i] != blank and path[i] != path[i - 1]], path
    )


def _collapse_blank_ignored(path, blank):
    return lossbook.ctc_collapse(path, "-" if isinstance(path, str) else 0)


collapse = FunctionExercise(
    "collapse",
    reference=lossbook.ctc_collapse,
    cases=_collapse_cases,
    mistakes=[
        Mistake(
            "drop_then_merge",
            _collapse_drop_then_merge,
            Text(
                "the blanks were removed before the repeats were merged, so two equal symbols with a blank "
                "between them merged into one. Merge first (compare each frame with the frame just before "
                "it, blank or not), then drop the blanks: B('to-o') = 'too'.",
                "先删了空白再合并重复，于是中间隔着空白的两个相同符号被并成了一个。应当先合并（每一帧与紧挨着的前一帧比较，"
                "不论前一帧是不是空白），再删空白：B('to-o') = 'too'。",
            ),
        ),
        Mistake(
            "blanks_kept",
            _collapse_keep_blanks,
            Text(
                "the repeats are merged but the blanks are still there: B drops every blank after merging. "
                "The blank is whatever symbol the argument blank names ('-', '_', 0, ...), not a fixed one.",
                "重复已经合并，但空白还在：合并之后要删掉所有空白。空白是参数 blank 指定的符号"
                "（'-'、'_'、0 等），不是固定的某个符号。",
            ),
        ),
        Mistake(
            "no_merge",
            _collapse_drop_only,
            Text(
                "the blanks are dropped but repeated symbols are not merged: a symbol repeated in "
                "consecutive frames counts once ('aatt' gives 'at').",
                "删了空白，但没有合并重复：连续几帧的同一符号只算一次（'aatt' 得到 'at'）。",
            ),
        ),
        Mistake(
            "first_frame_lost",
            _collapse_first_frame_lost,
            Text(
                "the first frame is missing from the result: it has no frame before it, so it is kept "
                "unless it is the blank (a loop starting at index 1 skips it).",
                "结果丢了第一帧：它前面没有帧，只要不是空白就应保留（从下标 1 开始的循环会漏掉它）。",
            ),
        ),
        Mistake(
            "blank_ignored",
            _collapse_blank_ignored,
            Text(
                "use the blank argument rather than a fixed '-' or 0: here the blank is another symbol, and "
                "'-' or 0 is an ordinary one that must be kept.",
                "请使用参数 blank，不要写死 '-' 或 0：这里的空白是另一个符号，而 '-' 或 0 "
                "是必须保留的普通符号。",
            ),
        ),
    ],
    hint=Text(
        "walk through the path keeping the previous frame's symbol: keep a symbol when it is not the "
        "blank and differs from the previous frame's symbol (which may be the blank). Return a string "
        "for a string path and a list otherwise.",
        "逐帧扫描路径并记住上一帧的符号：当前符号不是空白、且与上一帧的符号（上一帧可能是空白）不同时才保留。"
        "路径是字符串就返回字符串，否则返回列表。",
    ),
    explanation=Text(
        "B merges runs first and drops blanks second. Comparing each frame with the frame just before "
        "it (not with the last kept symbol) does both in one pass: a repeat of the previous frame is "
        "skipped, and a blank between two equal symbols makes the second one differ from its "
        "predecessor, so it is kept.",
        "B 先合并连续重复，再删空白。把每一帧与紧挨着的前一帧（而不是上一个保留下来的符号）比较，"
        "一遍就完成两步：与前一帧相同的符号被跳过；两个相同符号之间若有空白，第二个符号的前一帧是空白，"
        "因此被保留。",
    ),
    solution=my_collapse,
    coverage=Text(
        "strings and lists, blanks '-', '_', 0 and 1, empty paths, random paths",
        "字符串与列表、空白 '-'、'_'、0 和 1、空路径、随机路径",
    ),
)


# -- Exercise: the fewest frames a labelling needs -----------------------------------------------


def my_min_frames(target):
    # one frame per symbol, plus a blank between every two equal neighbours
    repeats = sum(1 for a, b in itertools.pairwise(target) if a == b)
    return len(target) + repeats


def _min_frames_reference(target):
    """The smallest input length for which lossbook.ctc_loss is finite (all lengths in one batch)."""
    symbols = {s: k for k, s in enumerate(dict.fromkeys(target), start=1)}
    ids = [symbols[s] for s in target]
    U = len(ids)
    T = 2 * U + 1
    lengths = torch.arange(T + 1)
    log_probs = torch.zeros(T, T + 1, len(symbols) + 1, dtype=torch.float64)
    targets = torch.tensor([ids] * (T + 1), dtype=torch.int64).reshape(T + 1, U)
    loss = lossbook.ctc_loss(log_probs, targets, lengths, [U] * (T + 1), reduction="none")
    return int(torch.isfinite(loss).nonzero()[0, 0])


def _min_frames_cases(g):
    words = ["state", "hello", "aaa", "a", "", "too", "abba", "mississippi", "bookkeeper"]
    cases = [Case((w,), label=Text(f"the word {w!r}", f"单词 {w!r}"), grad=()) for w in words]
    for target in ([3, 3, 3, 1], [1, 2, 1, 2], [7, 7]):
        cases.append(Case((target,), label=Text("a list of labels", "标签列表"), grad=()))
    return cases


min_frames = FunctionExercise(
    "min_frames",
    reference=_min_frames_reference,
    cases=_min_frames_cases,
    mistakes=[
        Mistake(
            "repeats_forgotten",
            lambda target: len(target),
            Text(
                "one frame per symbol is not enough when two equal symbols are neighbours: B would merge "
                "them, so a blank must separate them ('hello' needs l-l, 6 frames).",
                "两个相同符号相邻时，每个符号一帧是不够的：B 会把它们合并，所以中间必须隔一个空白（'hello' "
                "需要 l-l，共 6 帧）。",
            ),
        ),
        Mistake(
            "extended_label",
            lambda target: 2 * len(target) + 1,
            Text(
                "this is the length of the extended label l'. A path need not visit every blank of l': it "
                "may start on the first symbol, end on the last one and jump over blanks between different "
                "symbols.",
                "这是扩展标签 l' 的长度。路径不必经过 l' 中的每个空白：它可以从第一个符号开始、"
                "停在最后一个符号，并在两个不同符号之间跳过空白。",
            ),
        ),
        Mistake(
            "blank_everywhere",
            lambda target: max(2 * len(target) - 1, 0),
            Text(
                "a blank is needed only between two equal neighbours; between different symbols the path "
                "can go straight on ('ab' fits in 2 frames).",
                "只有两个相同的相邻符号之间才需要空白；不同符号之间可以直接过渡（'ab' 用 2 帧就够）。",
            ),
        ),
        Mistake(
            "any_repeat",
            lambda target: len(target) + len(target) - len(set(target)),
            Text(
                "only neighbours matter: the two t's of 'state' are not adjacent, so 'state' fits in 5 "
                "frames.",
                "只有相邻的相同符号才需要空白：'state' 的两个 t 不相邻，所以 5 帧就够。",
            ),
        ),
        Mistake(
            "runs_once",
            lambda target: len(target) + sum(1 for _, run in itertools.groupby(target) if len(list(run)) > 1),
            Text(
                "count every pair of equal neighbours, not every run: 'aaa' needs a-a-a, two blanks, 5 "
                "frames.",
                "要数每一对相同的相邻符号，而不是每一段连续重复：'aaa' 需要 a-a-a，两个空白，共 5 帧。",
            ),
        ),
    ],
    hint=Text(
        "each symbol needs at least one frame, and B merges equal symbols in consecutive frames, so a "
        "blank frame must separate every two equal neighbours of the target.",
        "每个符号至少占一帧；B 会合并相邻帧里的相同符号，"
        "所以目标中每两个相同的相邻符号之间必须隔一个空白帧。",
    ),
    explanation=Text(
        "The shortest path spells the target with one frame per symbol and inserts a blank only where "
        "two equal symbols are neighbours, so T_min = |l| + #{i : l_i = l_(i+1)}. With fewer frames no "
        "path collapses to l, p(l|x) = 0 and the CTC loss is inf (0 with zero_infinity=True). For the "
        "chapter's digit lines, 5 digits need at most 5 + 4 = 9 of the 14 frames.",
        "最短的路径每个符号只占一帧，只在两个相同符号相邻的地方插入一个空白，所以 T_min = |l| + #{i : l_i = "
        "l_(i+1)}。帧数更少时没有路径能折叠成 l，p(l|x) = 0，CTC 损失为 inf（zero_infinity=True 时为 0）。"
        "本章的数字行最多 5 个数字，最多需要 5 + 4 = 9 帧，而模型有 14 帧。",
    ),
    solution=my_min_frames,
    coverage=Text(
        "words with and without repeats, the empty target, lists of labels",
        "有无重复的单词、空目标、标签列表",
    ),
)


# -- Exercise: the forward algorithm -------------------------------------------------------------


def my_ctc_nll(log_probs, target, blank=0):
    ext = [blank]
    for k in target:
        ext += [k, blank]  # the extended label l' = (-, l1, -, l2, ..., -)
    L = len(ext)
    emit = log_probs[:, ext]  # (T, L): log y^t_{l'_s}
    # a path may jump from s - 2 to s onto a label that differs from the label two places back
    can_skip = torch.tensor([s >= 2 and ext[s] != blank and ext[s] != ext[s - 2] for s in range(L)])
    minus_inf = torch.full((L,), -math.inf, dtype=log_probs.dtype)
    # t = 0: a path starts on the first blank or on the first label
    log_alpha = torch.where(torch.arange(L) < 2, emit[0], minus_inf)
    for t in range(1, log_probs.shape[0]):
        step = torch.cat([minus_inf[:1], log_alpha])[:L]  # alpha_{t-1}(s - 1)
        jump = torch.where(
            can_skip, torch.cat([minus_inf[:2], log_alpha])[:L], minus_inf
        )  # alpha_{t-1}(s - 2)
        log_alpha = torch.logsumexp(torch.stack([log_alpha, step, jump]), 0) + emit[t]
    # a path ends on the last blank or on the last label
    return -torch.logsumexp(log_alpha[-2:], 0)


def _ctc_nll_reference(log_probs, target, blank=0):
    target = torch.tensor(list(target), dtype=torch.int64)
    return lossbook.ctc_loss(
        log_probs, target, log_probs.shape[0], target.numel(), blank=blank, reduction="sum"
    )


def _alpha_forward(log_probs, target, blank, *, skip="differs", starts=2, ends=2, sign=-1.0):
    """The forward algorithm with a chosen skip rule, start and end: the mistake models."""
    ext = _extended(target, blank)
    L = len(ext)
    rules = {
        "differs": lambda s: s >= 2 and ext[s] != blank and ext[s] != ext[s - 2],
        "never": lambda s: False,
        "labels": lambda s: s >= 2 and ext[s] != blank,
        "always": lambda s: s >= 2,
    }
    can_skip = torch.tensor([rules[skip](s) for s in range(L)])
    emit = log_probs[:, ext]
    minus_inf = torch.full((L,), -math.inf, dtype=log_probs.dtype)
    log_alpha = torch.where(torch.arange(L) < starts, emit[0], minus_inf)
    for t in range(1, log_probs.shape[0]):
        step = torch.cat([minus_inf[:1], log_alpha])[:L]
        jump = torch.where(can_skip, torch.cat([minus_inf[:2], log_alpha])[:L], minus_inf)
        log_alpha = torch.logsumexp(torch.stack([log_alpha, step, jump]), 0) + emit[t]
    return sign * torch.logsumexp(log_alpha[-ends:], 0)


def _ctc_nll_cases(g):
    f32 = torch.float32
    cases = [
        Case((_random_log_probs(g, 5, 3), [1]), label=Text("float64, target [1]", "float64，目标 [1]")),
        Case(
            (_random_log_probs(g, 6, 4), [1, 2]),
            label=Text("float64, target [1, 2]", "float64，目标 [1, 2]"),
            grad=(),
        ),
        Case(
            (_random_log_probs(g, 8, 5), [1, 3, 3, 2]),
            label=Text("float64, a repeated label", "float64，含重复标签"),
            grad=(),
        ),
        Case(
            (_random_log_probs(g, 10, 5), [1, 2, 3, 2, 4]),
            label=Text("float64, 'state' in 10 frames", "float64，10 帧里的 'state'"),
            grad=(),
        ),
        Case((_random_log_probs(g, 4, 3), []), label=Text("float64, the empty target", "float64，空目标")),
        Case(
            (_random_log_probs(g, 3, 3), [2, 2]),
            label=Text("float64, one single path (2, -, 2)", "float64，只有一条路径 (2, -, 2)"),
            grad=(),
        ),
        Case(
            (_random_log_probs(g, 2, 3), [1, 1]),
            label=Text("float64, no path fits: the loss is inf", "float64，没有路径放得下：损失为 inf"),
            grad=(),
        ),
        Case((_random_log_probs(g, 7, 4, f32), [3, 1]), label=Text("float32", "float32"), grad=()),
        Case(
            (_random_log_probs(g, 6, 4), [0, 1, 1]),
            {"blank": 3},
            label=Text("float64, blank = 3", "float64，blank = 3"),
            grad=(),
        ),
        Case(
            (_peaky([0, 1, 1, 0, 2, 2], 3).log_softmax(1), [1, 2]),
            label=Text("float32, probabilities of exactly 0 and 1", "float32，概率恰为 0 和 1"),
            grad=(),
        ),
        Case(
            (_random_log_probs(g, 200, 5, f32), [1, 2, 3]),
            label=Text("float32, T = 200 frames", "float32，T = 200 帧"),
            grad=(),
        ),
        Case(
            (_random_log_probs(g, 400, 8), [1, 2, 3, 4]),
            label=Text("float64, T = 400 frames", "float64，T = 400 帧"),
            grad=(),
        ),
    ]
    return cases


ctc_nll = FunctionExercise(
    "ctc_nll",
    reference=_ctc_nll_reference,
    cases=_ctc_nll_cases,
    mistakes=[
        Mistake(
            "no_skip",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, skip="never"),
            Text(
                "the jump from s − 2 to s is missing: between two different labels a path may go straight "
                "from one label to the next without a blank ('ab' in 2 frames).",
                "缺少从 s − 2 到 s 的跳转：两个不同标签之间，路径可以不经过空白直接从一个标签走到下一个（2 "
                "帧的 'ab'）。",
            ),
        ),
        Mistake(
            "skip_between_equal",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, skip="labels"),
            Text(
                "the jump over a blank is allowed only when l'_s differs from l'_(s−2): between two equal "
                "labels the blank is compulsory, otherwise B would merge them.",
                "只有 l'_s 与 l'_(s−2) 不同时才能跳过空白：两个相同标签之间的空白不可省略，否则 B "
                "会把它们合并。",
            ),
        ),
        Mistake(
            "skip_onto_blank",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, skip="always"),
            Text(
                "a path may not jump onto a blank (from one blank to the next it would skip a label): allow "
                "the jump s − 2 → s only when l'_s is a label different from l'_(s−2).",
                "路径不能跳到空白上（从一个空白跳到下一个空白会漏掉一个标签）：只有当 l'_s 是与 l'_(s−2) "
                "不同的标签时才允许 s − 2 → s。",
            ),
        ),
        Mistake(
            "start_blank_only",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, starts=1),
            Text(
                "a path may start on the first label as well as on the blank: α_1(1) = y^1_(l_1), not 0.",
                "路径既可以从空白开始，也可以从第一个标签开始：α_1(1) = y^1_(l_1)，而不是 0。",
            ),
        ),
        Mistake(
            "end_blank_only",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, ends=1),
            Text(
                "a path may end on the last label as well as on the final blank: "
                "p(l|x) = α_T(|l'|−1) + α_T(|l'|−2).",
                "路径既可以停在最后的空白上，也可以停在最后一个标签上：p(l|x) = α_T(|l'|−1) + α_T(|l'|−2)。",
            ),
        ),
        Mistake(
            "sign",
            lambda lp, target, blank=0: _alpha_forward(lp, target, blank, sign=1.0),
            Text(
                "this is log p(l|x); the loss is its negative, −log p(l|x) ≥ 0.",
                "这是 log p(l|x)；损失是它的相反数 −log p(l|x) ≥ 0。",
            ),
        ),
    ],
    unstable_hint=Text(
        "run the recursion in log space: with hundreds of frames p(l|x) underflows to 0 (float32 "
        "below about 1e-45, float64 below 1e-324), and −log 0 = inf. Keep log α, replace the sums by "
        "torch.logsumexp (or torch.logaddexp) and the products by additions; these handle −inf, "
        "while max + log(1 + exp(−|a − b|)) gives −inf − (−inf) = nan.",
        "在对数空间里递推：帧数到几百时 p(l|x) 会下溢为 0（float32 低于约 1e-45，float64 低于 1e-324），"
        "而 −log 0 = inf。保存 log α，把求和换成 torch.logsumexp（或 torch.logaddexp），把乘积换成加法；"
        "它们能正确处理 −inf，而 max + log(1 + exp(−|a − b|)) 会算出 −inf − (−inf) = nan。",
    ),
    hint=Text(
        "build l' = (blank, l_1, blank, ..., l_U, blank) and keep the vector log α_t over its positions. "
        "Start with log α_1 = log y^1 at positions 0 and 1 and −inf elsewhere; at each frame "
        "log α_t(s) = logsumexp(log α_(t−1)(s), log α_(t−1)(s−1), log α_(t−1)(s−2) where the jump is "
        "allowed) + log y^t_(l'_s); return −logsumexp of the last two positions.",
        "构造 l' = (blank, l_1, blank, ..., l_U, blank)，在它的各个位置上保存向量 log α_t。起始 log α_1 "
        "在位置 0 和 1 上等于 log y^1，其余为 −inf；每一帧 log α_t(s) = logsumexp(log α_(t−1)(s), log "
        "α_(t−1)(s−1), 允许跳转时的 log α_(t−1)(s−2)) + log y^t_(l'_s)；最后返回最后两个位置的 logsumexp "
        "的相反数。",
    ),
    explanation=Text(
        "The recursion α_t(s) = y^t_(l'_s)(α_(t−1)(s) + α_(t−1)(s−1) + [l'_s ≠ blank, l'_s ≠ l'_(s−2)] "
        "α_(t−1)(s−2)), written in log space and vectorized over s: the previous column shifted by one "
        "and by two gives the 'step' and 'jump' terms, −inf pads the shifted-in positions, and "
        "torch.logsumexp adds the three. The same code with log_probs = 0 counts paths: 3003 paths of "
        "10 frames collapse to 'state', C(T + U, 2U) for a target without equal neighbours.",
        "递推式 α_t(s) = y^t_(l'_s)(α_(t−1)(s) + α_(t−1)(s−1) + [l'_s ≠ blank, l'_s ≠ l'_(s−2)] "
        "α_(t−1)(s−2))，在对数空间里写出并对 s 向量化：把上一列平移一位和两位就得到“前进”和“跳转”两项，"
        "移入的位置用 −inf 填充，再用 torch.logsumexp 把三项相加。同一段代码在 log_probs = 0 "
        "时就是在数路径：10 帧中有 3003 条路径折叠成 'state'；对没有相同相邻符号的目标，这个数是 C(T + U, "
        "2U)。",
    ),
    solution=my_ctc_nll,
    coverage=Text(
        "float32 and float64, repeated labels, the empty target, an infeasible target, another blank, "
        "probabilities of 0 and 1, T up to 400, the gradient",
        "float32 与 float64、重复标签、空目标、放不下的目标、其他 blank、概率 0 和 1、T 最大到 400、梯度",
    ),
)


# -- Exercise: the gradient with respect to the logits -------------------------------------------


def my_ctc_grad(scores, target, log_alpha, log_beta, blank=0):
    log_y = scores.log_softmax(1)
    ext = [blank]
    for k in target:
        ext += [k, blank]  # the extended label l'
    ext = torch.tensor(ext)
    log_p = torch.logsumexp(log_alpha[-1, -2:], 0)  # p(l|x) = alpha_T(L - 1) + alpha_T(L - 2)
    # gamma_t(s) = alpha_t(s) beta_t(s) / (y^t_{l'_s} p), in log space
    gamma = (log_alpha + log_beta - log_y[:, ext] - log_p).exp()
    # add gamma up over the positions s of each symbol k (the blank sits at many positions)
    expected = torch.zeros_like(log_y).index_add_(1, ext, gamma)
    return log_y.exp() - expected


def _ctc_grad_reference(scores, target, log_alpha, log_beta, blank=0):
    u = scores.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss = lossbook.ctc_loss(
            u.log_softmax(1),
            torch.tensor(list(target), dtype=torch.int64),
            u.shape[0],
            len(target),
            blank=blank,
            reduction="sum",
        )
        (grad,) = torch.autograd.grad(loss, u)
    return grad


def _gamma_parts(scores, target, log_alpha, log_beta, blank):
    log_y = scores.log_softmax(1)
    ext = torch.tensor(_extended(target, blank))
    log_p = torch.logsumexp(log_alpha[-1, -2:], 0)
    return log_y, log_alpha, log_beta, ext, log_p


def _scatter(log_y, ext, gamma):
    return torch.zeros_like(log_y).index_add_(1, ext, gamma)


def _ctc_grad_log_probs(scores, target, log_alpha, log_beta, blank=0):
    log_y, a, b, ext, log_p = _gamma_parts(scores, target, log_alpha, log_beta, blank)
    return -_scatter(log_y, ext, (a + b - log_y[:, ext] - log_p).exp())


def _ctc_grad_sign(scores, target, log_alpha, log_beta, blank=0):
    return -my_ctc_grad(scores, target, log_alpha, log_beta, blank)


def _ctc_grad_no_division(scores, target, log_alpha, log_beta, blank=0):
    log_y, a, b, ext, log_p = _gamma_parts(scores, target, log_alpha, log_beta, blank)
    return log_y.exp() - _scatter(log_y, ext, (a + b - log_p).exp())


def _ctc_grad_unnormalized(scores, target, log_alpha, log_beta, blank=0):
    log_y, a, b, ext, log_p = _gamma_parts(scores, target, log_alpha, log_beta, blank)
    return log_y.exp() - _scatter(log_y, ext, (a + b - log_y[:, ext]).exp())


def _ctc_grad_overwrite(scores, target, log_alpha, log_beta, blank=0):
    log_y, a, b, ext, log_p = _gamma_parts(scores, target, log_alpha, log_beta, blank)
    expected = torch.zeros_like(log_y)
    expected[:, ext] = (a + b - log_y[:, ext] - log_p).exp()
    return log_y.exp() - expected


def _ctc_grad_cases(g):
    f32 = torch.float32

    def case(scores, target, label, blank=0):
        log_alpha, log_beta = lossbook.ctc_log_alpha_beta(scores.log_softmax(1), target, blank)
        kwargs = {"blank": blank} if blank else {}
        return Case((scores, target, log_alpha, log_beta), kwargs, label=label, grad=())

    def scores(T, C, dtype=torch.float64):
        return torch.randn(T, C, generator=g, dtype=torch.float64).to(dtype)

    return [
        case(scores(5, 3), [1, 2], Text("float64, target [1, 2]", "float64，目标 [1, 2]")),
        case(scores(8, 4), [2, 2, 3], Text("float64, a repeated label", "float64，含重复标签")),
        case(scores(6, 4), [0, 2], Text("float64, blank = 3", "float64，blank = 3"), blank=3),
        case(scores(4, 3), [], Text("float64, the empty target", "float64，空目标")),
        case(
            scores(10, 5),
            [1, 2, 3, 2, 4],
            Text("float64, 'state' in 10 frames", "float64，10 帧里的 'state'"),
        ),
        case(scores(6, 4, f32), [1, 3], Text("float32", "float32")),
        case(_peaky([0, 1, 1, 0, 2, 2], 3), [1, 2], Text("float32, scores of ±1e4", "float32，±1e4 的分数")),
    ]


ctc_grad = FunctionExercise(
    "ctc_grad",
    reference=_ctc_grad_reference,
    cases=_ctc_grad_cases,
    mistakes=[
        Mistake(
            "log_probs_gradient",
            _ctc_grad_log_probs,
            Text(
                "this is the gradient with respect to log y, −Σ_(s: l'_s = k) γ_t(s). The scores go through "
                "log_softmax first; its chain rule adds y^t_k (each row of −γ sums to −1).",
                "这是对 log y 的梯度 −Σ_(s: l'_s = k) γ_t(s)。分数先经过 log_softmax；按链式法则还要加上 "
                "y^t_k（−γ 每一行的和为 −1）。",
            ),
        ),
        Mistake(
            "sign",
            _ctc_grad_sign,
            Text(
                "check the sign: the gradient of the loss is the current distribution minus the one CTC "
                "expects, y^t_k − Σ γ_t(s); gradient descent then moves y towards γ.",
                "检查符号：损失的梯度是当前分布减去 CTC 期望的分布，y^t_k − Σ γ_t(s)；梯度下降才会把 y 推向 "
                "γ。",
            ),
        ),
        Mistake(
            "no_division_by_y",
            _ctc_grad_no_division,
            Text(
                "α_t(s) and β_t(s) both include the factor y^t_(l'_s) of frame t: divide it out once, "
                "γ_t(s) = α_t(s) β_t(s) / (y^t_(l'_s) p(l|x)).",
                "α_t(s) 和 β_t(s) 都包含第 t 帧的因子 y^t_(l'_s)：要除掉一次，γ_t(s) = α_t(s) β_t(s) / "
                "(y^t_(l'_s) p(l|x))。",
            ),
        ),
        Mistake(
            "not_normalized",
            _ctc_grad_unnormalized,
            Text(
                "divide by p(l|x) = α_T(|l'|−1) + α_T(|l'|−2): γ is a posterior and sums to 1 over s at "
                "each frame.",
                "要除以 p(l|x) = α_T(|l'|−1) + α_T(|l'|−2)：γ 是后验概率，每一帧对 s 求和为 1。",
            ),
        ),
        Mistake(
            "overwritten",
            _ctc_grad_overwrite,
            Text(
                "a symbol can sit at several positions of l' (the blank always does): add their γ up with "
                "index_add_ instead of assigning with g[:, ext] = γ, which keeps only one of them.",
                "同一个符号可能出现在 l' 的多个位置（空白总是如此）：要用 index_add_ 把它们的 γ 加起来，"
                "而不是 g[:, ext] = γ 赋值，那样只留下其中一个。",
            ),
        ),
    ],
    unstable_hint=Text(
        "stay in log space: compute γ as exp(log α + log β − log y − log p). With probabilities of "
        "exactly 0, α β / (y p) is 0/0 = nan.",
        "请在对数空间里计算：γ = exp(log α + log β − log y − log p)。概率恰为 0 时，α β / (y p) 是 0/0 = "
        "nan。",
    ),
    hint=Text(
        "with log_y = scores.log_softmax(1), p(l|x) = α_T(|l'|−1) + α_T(|l'|−2) and the given "
        "log_alpha, log_beta, form γ_t(s) = α_t(s) β_t(s) / (y^t_(l'_s) p(l|x)) in log space, add γ up "
        "per symbol of l', and return y − that sum.",
        "令 log_y = scores.log_softmax(1)，p(l|x) = α_T(|l'|−1) + α_T(|l'|−2)，用给定的 log_alpha、log_beta "
        "在对数空间里算出 γ_t(s) = α_t(s) β_t(s) / (y^t_(l'_s) p(l|x))，按 l' 中的符号把 γ 加起来，"
        "返回 y 减去这个和。",
    ),
    explanation=Text(
        "With respect to the log-probabilities the derivative is −Γ^t_k = −Σ_(s: l'_s = k) γ_t(s). "
        "With y^t = softmax(u^t), ∂log y^t_j/∂u^t_k = δ_jk − y^t_k, so ∂(−log p)/∂u^t_k = "
        "y^t_k Σ_j Γ^t_j − Γ^t_k = y^t_k − Γ^t_k, because γ_t sums to 1 over s: the network's "
        "distribution minus the soft alignment CTC infers. index_add_ adds γ up over the positions "
        "of each symbol (the blank occupies |l| + 1 of them); the checker compares the result with "
        "autograd through lossbook.ctc_loss(scores.log_softmax(1), ...).",
        "对对数概率的导数是 −Γ^t_k = −Σ_(s: l'_s = k) γ_t(s)。当 y^t = softmax(u^t) 时，∂log y^t_j/∂u^t_k = "
        "δ_jk − y^t_k，所以 ∂(−log p)/∂u^t_k = y^t_k Σ_j Γ^t_j − Γ^t_k = y^t_k − Γ^t_k，因为 γ_t 对 s "
        "求和为 1：网络的分布减去 CTC 推断出的软对齐。index_add_ 把每个符号在各个位置上的 γ "
        "相加（空白占了其中 |l| + 1 个位置）；检查器把结果与 lossbook.ctc_loss(scores.log_softmax(1), ...) "
        "经自动求导得到的梯度比较。",
    ),
    solution=my_ctc_grad,
    coverage=Text(
        "float32 and float64, repeated labels, another blank, the empty target, scores of ±1e4",
        "float32 与 float64、重复标签、其他 blank、空目标、±1e4 的分数",
    ),
)


# -- Predict, then measure: gradcheck ------------------------------------------------------------

gradcheck = AnswerExercise(
    "gradcheck",
    answer="lossbook only",
    choices=("both", "lossbook only", "torch only", "neither"),
    mistakes=[
        (
            "both",
            Text(
                "gradcheck moves one entry of log_probs at a time, so the rows no longer sum to 1 in "
                "probability. torch's backward returns exp(log_probs) − γ, which is right only after a "
                "log_softmax: try it.",
                "gradcheck 每次只改动 log_probs 的一个元素，各行的概率之和就不再是 1。torch 的反向传播返回 "
                "exp(log_probs) − γ，只有在 log_softmax 之后才对：运行一下看看。",
            ),
        ),
        (
            "torch only",
            Text(
                "lossbook's backward is −Σ γ, the true derivative of −log p with respect to log_probs, "
                "whatever the input; which of the two folds the softmax's derivative into its gradient?",
                "lossbook 的反向传播是 −Σ γ，对任何输入都是 −log p 关于 log_probs 的真实导数；"
                "两者之中哪一个把 softmax 的导数并进了梯度？",
            ),
        ),
        (
            "neither",
            Text(
                "the chapter compares lossbook's gradient with the formula to 1e-15; one of the two is "
                "the true derivative.",
                "本章把 lossbook 的梯度与公式比较，误差为 1e-15；两者中有一个是真实导数。",
            ),
        ),
    ],
    hint=Text(
        "gradcheck compares the backward pass with finite differences of the loss in each entry of "
        "log_probs. lossbook's backward returns −Σ_(s: l'_s = k) γ_t(s); torch's returns "
        "exp(log_probs) − Σ γ, the gradient with respect to the logits under a log_softmax.",
        "gradcheck 把反向传播与损失对 log_probs 每个元素的有限差分比较。lossbook 的反向传播返回 "
        "−Σ_(s: l'_s = k) γ_t(s)；torch 的返回 exp(log_probs) − Σ γ，即经过 log_softmax 时对 logits 的梯度。",
    ),
    why=Text(
        "torch's native backward returns exp(log_probs) − γ, the gradient with respect to the logits "
        "that log_softmax would turn into the right one, so it fails gradcheck on log_probs itself; "
        "lossbook's −γ is the true derivative. Through log_softmax both are right: the extra "
        "exp(log_probs) is removed by the softmax's Jacobian.",
        "torch 原生实现的反向传播返回 exp(log_probs) − γ，这是经过 log_softmax 才会变正确的“对 logits "
        "的梯度”，所以它对 log_probs 本身通不过 gradcheck；lossbook 的 −γ 才是真实导数。经过 log_softmax "
        "时两者都对：多出来的 exp(log_probs) 被 softmax 的雅可比矩阵消掉了。",
    ),
    explanation=Text(
        "Answer 'lossbook only'. gradcheck perturbs the entries of log_probs one at a time, and "
        "compares the change of the loss with the backward pass. lossbook's backward is "
        "∂(−log p)/∂log y^t_k = −Σ_(s: l'_s = k) γ_t(s), which passes. torch's adds exp(log_probs), "
        "which assumes that a log_softmax comes next in the backward pass; on the logits, "
        "F.ctc_loss(scores.log_softmax(2), ...) passes too.",
        "答案是 'lossbook only'。gradcheck 每次扰动 log_probs 的一个元素，把损失的变化与反向传播比较。"
        "lossbook 的反向传播是 ∂(−log p)/∂log y^t_k = −Σ_(s: l'_s = k) γ_t(s)，能通过检查。torch 的多了 "
        "exp(log_probs)，它假定反向传播的下一步是 log_softmax；对 logits 做检查时，"
        "F.ctc_loss(scores.log_softmax(2), ...) 也能通过。",
    ),
    solution="""\
scores = torch.randn(6, 2, 4, dtype=torch.float64)
log_probs = scores.log_softmax(2).requires_grad_()
targets, il, tl = torch.tensor([[1, 2], [3, 3]]), torch.tensor([6, 6]), torch.tensor([2, 2])
print(torch.autograd.gradcheck(lambda lp: lossbook.ctc_loss(lp, targets, il, tl), (log_probs,)))
print(
    torch.autograd.gradcheck(lambda lp: F.ctc_loss(lp, targets, il, tl), (log_probs,), raise_exception=False)
)""",
)


# -- Read a printed result: the all-blank phase --------------------------------------------------

all_blank = AnswerExercise(
    "all_blank",
    answer="empty",
    choices=("empty", "random digits", "one digit per line"),
    mistakes=[
        (
            "random digits",
            Text(
                "random digits would be right now and then, and surplus ones count as insertions: the CER "
                "would drift away from 1.000 rather than sit on it.",
                "随机数字偶尔会猜对，多出来的数字又算作插入：CER 会偏离 1.000，而不会恰好停在 1.000。",
            ),
        ),
        (
            "one digit per line",
            Text(
                "a line holds up to 5 digits, so a single guessed digit is often among them, and each such "
                "hit makes that line's edit distance smaller than its length: the CER would fall below 1.",
                "一行最多有 5 个数字，猜一个数字常常能猜中其中之一；每猜中一次，"
                "这一行的编辑距离就小于它的长度：CER 会低于 1。",
            ),
        ),
    ],
    hint=Text(
        "CER = Σ edit distance / Σ reference length. Which prediction has an edit distance equal to "
        "the reference length on every line? And in the 14-frame paths that collapse to a line of "
        "1 to 5 digits, which symbol fills most frames?",
        "CER = 编辑距离之和 / 参考长度之和。什么样的预测在每一行的编辑距离都恰好等于参考长度？"
        "在折叠成 1 到 5 个数字的 14 帧路径里，哪个符号占了大部分帧？",
    ),
    why=Text(
        "Early in training the network outputs the blank at every frame (the most frequent symbol "
        "of every alignment), greedy decoding returns empty strings, and each line's edit distance is "
        "its length (every character is missing): CER 1, line accuracy 0.",
        "训练初期网络在每一帧都输出空白（它是每条对齐中最常见的符号），贪心解码得到空串，"
        "每一行的编辑距离恰好等于它的长度（每个字符都缺失）：CER 为 1，行准确率为 0。",
    ),
    explanation=Text(
        "Answer 'empty'. An empty prediction misses every character of its reference, so its "
        "edit distance is the reference's length and the CER is exactly 1. Re-running the first "
        "epoch confirms it: all 500 held-out lines decode to the empty string, and the blank is the "
        "argmax of every frame. The all-blank phase is typical of CTC: the blank fills most frames "
        "of every alignment, so outputting it everywhere is the first thing the network learns; "
        "only then do the characters 'light up'.",
        "答案是 'empty'。空预测缺失了参考中的每个字符，编辑距离等于参考的长度，CER 恰好为 1。"
        "重新运行第一轮训练可以证实：500 行留出数据全部解码为空串，每一帧的 argmax 都是空白。"
        "“全空白”阶段是 CTC 训练的典型现象：空白占据每条对齐的大部分帧，处处输出空白是网络最先学会的事；"
        "之后字符才逐渐“亮起来”。",
    ),
    solution="""\
print(lossbook.character_error_rate([[] for _ in truth], truth))  # empty predictions: CER exactly 1""",
)
