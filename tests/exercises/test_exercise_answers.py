"""Every answer exercise's answer, tied back to the book.

The answer of an ``AnswerExercise`` is a number or a choice the chapter's outputs support: a
value the chapter prints, or the result of the change the exercise asks for. Each test below
derives the answer from the stored notebook outputs (book/en and book/zh) or recomputes the
measurement independently, and checks that the exercise accepts what it found, so that a
re-executed chapter or an edited answer that no longer agree fail here.
"""

import contextlib
import importlib
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lossbook
from lossbook import exercises
from lossbook.exercises import (
    AnswerExercise,
    classification,
    concepts,
    ctc,
    distribution_matching,
    history,
    metric_learning,
    regression,
    segmentation,
    transducer,
)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_OF = {
    "metric_learning": "metric-learning",
    "distribution_matching": "distribution-matching",
    "llm_cross_entropy": "llm-cross-entropy",
}
LANGS = ["en", "zh"]
TIED = set()  # the exercises a test below ties to the book


def ties(exercise):
    """Marks a test as the one that ties ``exercise``'s answer to the book."""

    def mark(test):
        TIED.add(exercise)
        return test

    return mark


def assert_is_the_answer(exercise, derived):
    """The exercise accepts the derived answer; a number must also agree with the stored one."""
    feedback = exercise.evaluate(derived)
    assert feedback.passed, f"{exercise.handle}: derived {derived!r}, answer {exercise.answer!r}"
    assert feedback.reason == "correct" and feedback.message.startswith("✓"), feedback.message
    if exercise.choices is None:
        assert math.isclose(
            derived, exercise.answer, rel_tol=max(exercise.rel_tol, 1e-9), abs_tol=exercise.abs_tol
        )


def number(pattern, text):
    """The float that ``pattern``'s group captures in ``text``."""
    match = re.search(pattern, text, re.M)
    assert match, f"{pattern!r} not in the stored output:\n{text}"
    return float(match.group(1))


def chapter_cell(chapter, fragment, lang="en"):
    """The source of the chapter's code cell that contains ``fragment``."""
    path = ROOT / "book" / lang / f"{NOTEBOOK_OF.get(chapter, chapter)}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    (source,) = [
        "".join(c["source"]) for c in cells if c["cell_type"] == "code" and fragment in "".join(c["source"])
    ]
    return source


def run_changed_cell(chapter, fragment, old, new, namespace):
    """Run the chapter's cell with the change an exercise asks for (``old`` -> ``new``); what it printed."""
    source = chapter_cell(chapter, fragment)
    assert source.count(old) == 1, f"{old!r} is not in the chapter's cell once"
    from lossbook.book import training

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(
            source.replace(old, new),
            {"torch": torch, "nn": nn, "lossbook": lossbook, "training": training, **namespace},
        )
    return printed.getvalue()


def test_every_answer_exercise_is_tied_to_the_book():
    answer_exercises = {
        getattr(module, name)
        for module in (importlib.import_module(f"lossbook.exercises.{c}") for c in exercises.CHAPTERS)
        for name in module.__all__
        if isinstance(getattr(module, name), AnswerExercise)
    }
    untied = sorted(e.handle for e in answer_exercises - TIED)
    assert not untied, f"answer exercises with no test tying their answer to the book: {untied}"


# -- concepts -------------------------------------------------------------------------------------------


def concepts_regression_data():
    """The chapter's loss-surface data (the cell with ``eigvalsh(hessian)``), recomputed."""
    gen = torch.Generator().manual_seed(0)
    x = 3 * torch.rand(50, 1, generator=gen)
    return torch.cat([x, torch.ones_like(x)], 1).double()


def condition_number(design):
    eigenvalues = torch.linalg.eigvalsh(2 * design.T @ design / len(design))
    return (eigenvalues[1] / eigenvalues[0]).item(), eigenvalues


@pytest.mark.parametrize("lang", LANGS)
@ties(concepts.centred_condition)
def test_centred_condition_from_the_printed_condition_number(lang, stored_output):
    printed = stored_output("concepts", lang, "eigvalsh(hessian)")
    stored = number(r"(?:condition number|条件数) ([\d.]+)", printed)
    design = concepts_regression_data()
    uncentred, eigenvalues = condition_number(design)
    assert round(uncentred, 1) == stored  # the recomputed data are the chapter's
    assert f"{eigenvalues[1]:.4f}" in printed
    centred, _ = condition_number(design - torch.tensor([1.5, 0.0], dtype=torch.float64))
    assert math.isclose(centred, 1.60, abs_tol=0.005)  # the value the explanation quotes
    derived = "lower" if centred < 0.9 * stored else "higher" if centred > 1.1 * stored else "unchanged"
    assert_is_the_answer(concepts.centred_condition, derived)


@pytest.mark.parametrize("lang", LANGS)
@ties(concepts.sum_learning_rate)
def test_sum_learning_rate_from_the_printed_largest_eigenvalue(lang, stored_output):
    printed = stored_output("concepts", lang, "eigvalsh(hessian)")
    largest = number(r"(?:eigenvalues|特征值): [\d.]+, ([\d.]+)", printed)
    threshold_for_the_mean = number(r"2/λ_max = ([\d.]+)", printed)
    n = len(concepts_regression_data())
    assert math.isclose(2 / largest, threshold_for_the_mean, abs_tol=1e-4)
    derived = 2 / (n * largest)  # the sum's Hessian is N times the mean's
    assert_is_the_answer(concepts.sum_learning_rate, derived)
    # and measured: the largest eigenvalue of the sum's Hessian, from the recomputed data
    design = concepts_regression_data()
    measured = 2 / torch.linalg.eigvalsh(2 * design.T @ design)[-1].item()
    assert concepts.sum_learning_rate.evaluate(measured).passed
    wrong = [w for w, _ in concepts.sum_learning_rate.mistakes]
    assert any(math.isclose(w, threshold_for_the_mean) for w in wrong)  # "0.30 is the mean's"


@pytest.mark.slow  # re-runs a cell of the chapter
@ties(concepts.pos_weight)
def test_pos_weight_50_measured_with_the_chapters_experiment(stored_output):
    from sklearn import metrics

    printed = stored_output("concepts", "en", "two_clouds(950, 50, gen)")
    at_19 = number(r"pos_weight = 19 .*balanced accuracy ([\d.]+)", printed)
    changed = run_changed_cell(
        "concepts",
        "two_clouds(950, 50, gen)",
        '("pos_weight = 19", torch.tensor(19.0))',
        '("pos_weight = 50", torch.tensor(50.0))',
        {"metrics": metrics},
    )
    at_50 = number(r"pos_weight = 50 .*balanced accuracy ([\d.]+)", changed)
    recall = r"pos_weight = (?:19|50) .*recall ([\d.]+)"
    assert number(recall, changed) > number(recall, printed)  # a larger weight trades precision for recall
    assert math.isclose(at_50, 0.9195, abs_tol=0.002)  # the value the answer's reason quotes
    derived = "same" if abs(at_50 - at_19) < 0.01 else "higher" if at_50 > at_19 else "lower"
    assert_is_the_answer(concepts.pos_weight, derived)


# -- history --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@ties(history.busiest_decade)
def test_busiest_decade_counted_in_the_printed_timeline(lang, stored_output):
    printed = stored_output("history", lang, "EVENTS = [")
    years = [int(y) for y in re.findall(r"^(\d{4})  ", printed, re.M)]
    assert len(years) == number(r"^(\d+) (?:events|条记录)", printed)
    derived = sum(2010 <= year <= 2019 for year in years)
    assert_is_the_answer(history.busiest_decade, derived)
    wrong = dict(history.busiest_decade.mistakes)
    assert sum(year >= 2010 for year in years) in wrong  # the 2020s counted too
    assert sum(2000 <= year <= 2009 for year in years) in wrong  # the 2000s


@ties(history.pinball_half)
def test_pinball_half_from_the_formula_and_lossbook():
    r = torch.randn(1000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    q = 0.5
    pinball = torch.maximum(q * r, (q - 1) * r)
    ratios = pinball / r.abs()
    assert torch.allclose(ratios, torch.full_like(r, ratios[0].item()))
    derived = ratios[0].item()
    assert_is_the_answer(history.pinball_half, derived)
    y_hat = torch.zeros_like(r)
    assert math.isclose((lossbook.quantile_loss(y_hat, r, q=q) / lossbook.mae_loss(y_hat, r)).item(), derived)


def first_round_below(fraction, seed=0, n=200, tolerance=1e-3, rounds=30):
    """The cross-entropy method of the history chapter, keeping ``fraction`` of the samples:
    the round in which σ first falls below ``tolerance``, and the σ of every round."""

    def f(x):
        return (x - 2.0) ** 2 + 2.0 * torch.sin(5.0 * x)

    gen = torch.Generator().manual_seed(seed)
    mean, std = torch.tensor(-3.0, dtype=torch.float64), torch.tensor(3.0, dtype=torch.float64)
    stds = []
    for _ in range(rounds):
        x = mean + std * torch.randn(n, generator=gen, dtype=torch.float64)
        elite = x[f(x).argsort()[: round(fraction * n)]]
        mean, std = elite.mean(), elite.std()
        stds.append(std.item())
    below = [i for i, s in enumerate(stds, start=1) if s < tolerance]
    return (below[0] if below else rounds + 1), stds


@pytest.mark.parametrize("lang", LANGS)
@ties(history.elite_fraction)
def test_elite_fraction_half_measured_against_the_printed_rounds(lang, stored_output):
    printed = stored_output("history", lang, "elite = x[f(x).argsort()[:20]]")
    sigma = {
        int(r): float(s)
        for r, s in re.findall(
            r"^(?:round|第)\s*(\d+)\s*(?:轮)?[:：] μ = [-\d.]+, σ = ([\d.e+-]+)", printed, re.M
        )
    }
    assert sorted(sigma) == [1, 2, 3, 5, 10]
    ten_percent, stds = first_round_below(0.1)
    for r, s in sigma.items():  # the recomputed run is the chapter's
        assert math.isclose(stds[r - 1], s, rel_tol=5e-3)
    assert sigma[3] >= 1e-3 > sigma[5] and ten_percent in (4, 5)
    half = [first_round_below(0.5, seed)[0] for seed in range(5)]
    tens = [first_round_below(0.1, seed)[0] for seed in range(5)]
    derived = "more" if min(half) > max(tens) else "fewer" if max(half) < min(tens) else "same"
    assert_is_the_answer(history.elite_fraction, derived)


# -- regression -----------------------------------------------------------------------------------------


def log_normal_sample():
    """The regression chapter's right-skewed sample (the cell with ``best_constant``), recomputed."""
    return torch.exp(torch.randn(2001, generator=torch.Generator().manual_seed(0), dtype=torch.float64))


@pytest.mark.parametrize("lang", LANGS)
@ties(regression.quantile_shift)
def test_quantile_shift_from_a_brute_force_minimizer_and_the_printed_median(lang, stored_output):
    printed = stored_output("regression", lang, "def best_constant(")
    median = number(r"^MAE +([\d.]+)", printed)
    sample = log_normal_sample()
    assert math.isclose(sample.median().item(), median, abs_tol=5e-4)  # the chapter's sample

    def best_constant(q):  # the pinball risk's minimizer is one of the samples: try them all
        r = sample[None, :] - sample[:, None]  # row c: the residuals y - c
        risk = torch.maximum(q * r, (q - 1) * r).mean(1)
        return sample[risk.argmin()].item()

    assert math.isclose(best_constant(0.9), number(r"^pinball q=0.9 +([\d.]+)", printed), abs_tol=0.01)
    shifted = best_constant(0.1)
    derived = "lower" if shifted < median - 0.01 else "higher" if shifted > median + 0.01 else "unchanged"
    assert_is_the_answer(regression.quantile_shift, derived)


def line_fit_slopes(printed):
    return {key: float(slope) for key, slope in re.findall(r"^(mse|mae|huber) +([-\d.]+)", printed, re.M)}


@pytest.mark.slow  # re-runs a cell of the chapter
@ties(regression.outliers)
def test_outliers_by_running_the_chapters_fit_with_40_percent(stored_output):
    stored = line_fit_slopes(stored_output("regression", "en", "outlier[torch.randperm(n"))
    changed = line_fit_slopes(
        run_changed_cell("regression", "outlier[torch.randperm(n", "[: n // 10]", "[: 2 * n // 5]", {})
    )
    assert_is_the_answer(regression.outliers, changed["mae"])
    wrong = [w for w, _ in regression.outliers.mistakes]
    for slope in (stored["mae"], changed["mse"], changed["huber"]):  # the slopes the hints name
        assert any(abs(w - slope) < 5e-4 for w in wrong), (slope, wrong)
    # the exact least-absolute-deviations line is near the chapter's gradient-descent fit
    from scipy.optimize import linprog

    generator = torch.Generator().manual_seed(0)
    n = 100
    x = torch.rand(n, 1, generator=generator) * 10
    y = 2 * x + 1 + 0.5 * torch.randn(n, 1, generator=generator)
    outlier = torch.zeros(n, dtype=torch.bool)
    outlier[torch.randperm(n, generator=generator)[: 2 * n // 5]] = True
    y[outlier] = y[outlier] - 25 - 10 * torch.rand(int(outlier.sum()), 1, generator=generator)
    x, y = x.double().flatten().numpy(), y.double().flatten().numpy()
    a = np.c_[x, np.ones(n), np.eye(n), -np.eye(n)]  # w x + b + u - v = y, minimize Σ (u + v)
    bounds = [(None, None)] * 2 + [(0, None)] * (2 * n)
    exact = linprog(np.r_[0, 0, np.ones(2 * n)], A_eq=a, b_eq=y, bounds=bounds, method="highs").x[0]
    assert abs(exact - changed["mae"]) < 0.02 and exact < stored["mae"]


# -- classification -------------------------------------------------------------------------------------


@ties(classification.weight_scale)
def test_weight_scale_measured_with_torch():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(8, 3, dtype=torch.float64, generator=generator, requires_grad=True)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 0])
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    for loss in (F.cross_entropy, lossbook.cross_entropy):
        one, ten = loss(x, y, weight=w), loss(x, y, weight=10 * w)
        grads = [torch.autograd.grad(v, x)[0] for v in (one, ten)]
        ratio = (ten / one).item()
        derived = "unchanged" if math.isclose(ratio, 1.0) else "larger" if ratio > 1 else "smaller"
        assert torch.allclose(*grads)
        assert_is_the_answer(classification.weight_scale, derived)


@pytest.mark.parametrize("lang", LANGS)
@ties(classification.imbalance)
def test_imbalance_read_off_the_printed_table(lang, stored_output):
    printed = stored_output("classification", lang, "minority_scores(fn, seed)")
    rows = re.findall(r"^.+?\s([\d.]+) ± [\d.]+\s+[\d.]+ ± [\d.]+\s+[\d.]+$", printed, re.M)
    ce, weighted, focal, focal_alpha = (float(r) for r in rows)  # the order of the chapter's `losses`
    weights_help = weighted > ce + 0.05
    gamma_helps = focal > ce + 0.05
    derived = "both" if weights_help and gamma_helps else "weights" if weights_help else "gamma"
    assert focal_alpha <= weighted  # adding γ to the weights does not beat the weights alone
    assert_is_the_answer(classification.imbalance, derived)


# -- metric learning ------------------------------------------------------------------------------------


@ties(metric_learning.center_alone)
def test_center_alone_measured_on_separable_clusters():
    generator = torch.Generator().manual_seed(0)
    classes, per_class = 5, 20
    labels = torch.arange(classes).repeat_interleave(per_class)
    inputs = 3 * torch.randn(classes, 8, generator=generator)[labels] + torch.randn(
        len(labels), 8, generator=generator
    )
    torch.manual_seed(0)
    network = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 2))
    centers = nn.Parameter(torch.zeros(classes, 2))
    optimizer = torch.optim.Adam([*network.parameters(), centers], lr=5e-2)

    def between(features):
        means = torch.stack([features[labels == c].mean(0) for c in range(classes)])
        return torch.cdist(means, means).sum().item() / (classes * (classes - 1))

    with torch.no_grad():
        before = between(network(inputs))
    for _ in range(100):  # the center loss alone, ½‖x_i − c_{y_i}‖², no cross-entropy
        optimizer.zero_grad()
        loss = 0.5 * (network(inputs) - centers[labels]).pow(2).sum(1).mean()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        after = between(network(inputs))
    # nothing keeps the classes apart: the class means close in on one point, as the chapter's
    # network trained on the center loss alone shows (0.30 -> 0.019 in 40 epochs)
    derived = "collapse" if after < 0.2 * before else "compact" if after >= before else "unchanged"
    assert_is_the_answer(metric_learning.center_alone, derived)


@ties(metric_learning.arcface_jump)
def test_arcface_jump_is_where_lossbook_jumps():
    theta = torch.linspace(0, math.pi, 200001, dtype=torch.float64)
    f = lossbook.arcface_logits(
        theta.cos().unsqueeze(1), torch.zeros(len(theta), dtype=torch.long), scale=1.0, margin=0.5
    )[:, 0]
    step = f.diff()
    assert bool((step <= 1e-12).all())  # monotonically decreasing
    jump = int(step.abs().argmax())
    derived = math.degrees(theta[jump + 1].item())
    assert_is_the_answer(metric_learning.arcface_jump, derived)
    assert math.isclose(derived, 180 - math.degrees(0.5), abs_tol=1e-3)  # θ + m = π
    assert math.isclose(
        f[jump + 1].item() - f[jump].item(), -math.cos(0.5) - 0.5 * math.sin(0.5) + 1, abs_tol=1e-4
    )


# -- CTC ------------------------------------------------------------------------------------------------


@ties(ctc.gradcheck)
def test_gradcheck_answer_is_what_torch_does():
    torch.manual_seed(0)
    log_probs = torch.randn(5, 2, 4, dtype=torch.float64).log_softmax(2).requires_grad_()
    targets, il, tl = torch.tensor([[1, 2], [3, 3]]), torch.tensor([5, 5]), torch.tensor([2, 2])
    ours = torch.autograd.gradcheck(
        lambda lp: lossbook.ctc_loss(lp, targets, il, tl), (log_probs,), raise_exception=False
    )
    theirs = torch.autograd.gradcheck(
        lambda lp: torch.nn.functional.ctc_loss(lp, targets, il, tl), (log_probs,), raise_exception=False
    )
    derived = {(True, True): "both", (True, False): "lossbook only", (False, True): "torch only"}.get(
        (ours, theirs), "neither"
    )
    assert_is_the_answer(ctc.gradcheck, derived)


def levenshtein(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


@pytest.mark.parametrize("lang", LANGS)
@ties(ctc.all_blank)
def test_all_blank_from_the_printed_first_epoch(lang, stored_output):
    printed = stored_output("ctc", lang, "epochs=4, batch_size=64")
    first = re.search(
        r"^(?:epoch|第)\s+1\b.*CER ([\d.]+), (?:line accuracy|整行准确率) ([\d.]+)", printed, re.M
    )
    cer, accuracy = float(first.group(1)), float(first.group(2))
    # what each choice predicts, on lines of 1 to 5 digits as in the chapter
    generator = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 6, (500,), generator=generator).tolist()
    truth = [torch.randint(1, 11, (k,), generator=generator).tolist() for k in lengths]
    predictions = {
        "empty": [[] for _ in truth],
        "random digits": [torch.randint(1, 11, (k,), generator=generator).tolist() for k in lengths],
        "one digit per line": [[1] for _ in truth],
    }

    def rate(predicted):
        return sum(levenshtein(p, t) for p, t in zip(predicted, truth, strict=True)) / sum(lengths)

    rates = {choice: rate(predicted) for choice, predicted in predictions.items()}
    assert math.isclose(rates["empty"], lossbook.character_error_rate(predictions["empty"], truth))
    (derived,) = [choice for choice, r in rates.items() if f"{r:.3f}" == f"{cer:.3f}"]
    assert accuracy == 0.0
    assert_is_the_answer(ctc.all_blank, derived)


# -- distribution matching ----------------------------------------------------------------------------


@ties(distribution_matching.implicit_preference)
def test_implicit_preference_from_the_rewards_dpo_loss_returns():
    _, chosen, rejected = lossbook.dpo_loss(
        torch.tensor([-12.0]), torch.tensor([-14.0]), torch.tensor([-15.0]), torch.tensor([-13.0]), beta=0.5
    )
    derived = torch.sigmoid(chosen - rejected).item()
    assert math.isclose(derived, 1 / (1 + math.exp(-2.0)), rel_tol=1e-6)  # β h = 0.5 · (3 + 1)
    assert_is_the_answer(distribution_matching.implicit_preference, derived)


def stored_markdown(chapter, lang, fragment):
    """The Markdown table the chapter's code cell containing ``fragment`` displayed."""
    path = ROOT / "book" / lang / f"{NOTEBOOK_OF.get(chapter, chapter)}.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    (cell,) = [c for c in cells if c["cell_type"] == "code" and fragment in "".join(c["source"])]
    return "".join(
        "".join(o["data"]["text/markdown"]) for o in cell["outputs"] if "text/markdown" in o.get("data", {})
    )


@ties(distribution_matching.threes_at_t1)
def test_threes_at_t1_by_running_the_chapters_students_at_t1():
    from lossbook.book import datasets, training

    rows = []
    namespace = {"torch": torch, "nn": nn, "F": F, "np": np, "lossbook": lossbook, "datasets": datasets}
    namespace.update(training=training, show_table=lambda header, body: rows.extend(body))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the chapter, so that the students train exactly as there
    try:
        for fragment in ("TEXT = {", "class MyCNN", "def train_student", "def uniform_rest"):
            exec(chapter_cell("distribution_matching", fragment), namespace)
        # The chapter's seeds, from the first line of the cell that trains every student.
        exec(chapter_cell("distribution_matching", "seeds = range(").splitlines()[0], namespace)
        source = chapter_cell("distribution_matching", "no_three = few_y != 3")
        assert source.count('("hard", "T4", "T8")') == 1
        exec(source.replace('("hard", "T4", "T8")', '("T1",)'), namespace)
    finally:
        torch.set_num_threads(threads)
    ((_, recognized, _),) = rows
    derived = float(recognized.split(" ± ")[0])
    stored = stored_markdown("distribution_matching", "en", "no_three = few_y != 3")
    at_4, at_8 = (
        float(v) for v in re.findall(r"\| ([\d.]+) ± [\d.]+ \| [\d.]+ ± [\d.]+ \|$", stored, re.M)[1:]
    )
    assert derived < at_4 < at_8  # the hints name the rows for T = 4 and T = 8
    assert {0.735, 0.865} <= {w for w, _ in distribution_matching.threes_at_t1.mistakes}
    assert (round(at_4, 3), round(at_8, 3)) == (0.735, 0.865)
    assert_is_the_answer(distribution_matching.threes_at_t1, derived)


# -- transducer -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@ties(transducer.alpha_grid)
def test_alpha_grid_from_the_table_the_exercise_prints(lang):
    path = ROOT / "book" / lang / "transducer.ipynb"
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    (text,) = [
        "".join(c["source"])
        for c in cells
        if c["cell_type"] == "markdown" and f":label: {lang}-transducer-alpha-grid" in "".join(c["source"])
    ]
    header, _, blank_row, label_row = [line for line in text.splitlines() if line.startswith("|")]
    nodes = [tuple(map(int, n)) for n in re.findall(r"\((\d),\s*(\d)\)", header.split("|", 2)[2])]
    blank = [float(v) for v in blank_row.split("|")[2:-1]]
    label = [float(v) for v in label_row.split("|")[2:-1]]
    probs = torch.zeros(2, 2, 2, dtype=torch.float64)  # (T, U + 1, V): class 0 the label "a", 1 the blank
    for (t, u), b, a in zip(nodes, blank, label, strict=True):
        probs[t, u] = torch.tensor([a, b], dtype=torch.float64)
    p = lossbook.rnnt_loss_bruteforce(probs.log(), [0], blank=1).neg().exp().item()
    assert_is_the_answer(transducer.alpha_grid, round(p, 3))


@pytest.mark.parametrize("lang", LANGS)
@ties(transducer.blank_only)
def test_blank_only_from_the_printed_frames_and_classes(lang, stored_output):
    printed = stored_output("transducer", lang, "torch.zeros(1, 14, 1, V)")
    T, V = int(number(r"T = (\d+)", printed)), int(number(r"V = (\d+)", printed))
    logits = torch.zeros(1, T, 1, V, dtype=torch.float64)  # every class equally likely, no label
    loss = lossbook.rnnt_loss(
        logits, torch.zeros(1, 0, dtype=torch.int64), torch.tensor([T]), torch.tensor([0])
    )
    derived = round(loss.item(), 2)
    assert derived == number(r"14 ln 11 = ([\d.]+)", printed)
    assert_is_the_answer(transducer.blank_only, derived)


# -- segmentation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@ties(segmentation.giou_disjoint)
def test_giou_disjoint_from_the_loss_the_chapter_printed(lang, stored_output):
    printed = stored_output("segmentation", lang, '"apart": (')
    derived = number(r"^\s*GIoU\s+\S+\s+([\d.]+)", printed)  # the first GIoU line: the boxes apart
    boxes1, boxes2 = (torch.tensor(b, dtype=torch.float64) for b in segmentation.GIOU_BOXES)
    assert derived == round(lossbook.generalized_box_iou_loss(boxes1, boxes2).item(), 4)
    assert_is_the_answer(segmentation.giou_disjoint, derived)


@ties(segmentation.lovasz_gradient)
def test_lovasz_gradient_from_lossbooks_lovasz_hinge():
    # the hinge errors are 1 - x (2 y - 1); a background pixel's error has derivative 1 in its logit
    truth = torch.tensor(segmentation.LOVASZ_TRUTH, dtype=torch.float64)
    errors = torch.tensor(segmentation.LOVASZ_ERRORS, dtype=torch.float64)
    logits = ((1 - errors) * (2 * truth - 1)).requires_grad_()
    loss = lossbook.lovasz_loss(logits[None], truth[None], mode="binary")
    (grad,) = torch.autograd.grad(loss, logits)
    assert_is_the_answer(segmentation.lovasz_gradient, round(grad[2].item(), 3))
