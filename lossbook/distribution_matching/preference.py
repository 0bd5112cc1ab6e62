r"""Preference optimization: losses on pairs of answers, one chosen and one rejected.

From RLHF's reward model (Bradley-Terry) to the losses that make the reward implicit in the
policy's log-probabilities (DPO, IPO, SimPO, ORPO). Every loss takes per-sequence
log-probabilities, which :func:`sequence_log_probs` computes from a language model's logits.
Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
"Preference optimization".
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .._base import Loss
from ..validation import check_reduction, compute_dtype, reduce
from ._inputs import (
    check_below_zero,
    check_dpo_options,
    check_flag,
    check_ignore_index,
    check_non_negative,
    check_paired_scores,
    check_positive,
    check_sequence_inputs,
)

__all__ = [
    "sequence_log_probs",
    "bradley_terry_loss",
    "dpo_loss",
    "simpo_loss",
    "orpo_loss",
    "DPOLoss",
    "SimPOLoss",
    "ORPOLoss",
]


def sequence_log_probs(
    logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100, average: bool = False
) -> torch.Tensor:
    r"""The log-probability of each sequence of ``labels`` under ``logits``: a sum over its tokens.

    .. math::
        \log \pi(y \mid x) = \sum_{i:\, y_i \ne \text{ignore}} \log \operatorname{softmax}(z_i)_{y_i}

    or, with ``average=True``, that sum divided by the number of positions not ignored (an
    all-ignored sequence gives 0, not 0 / 0). Positions are aligned: ``logits[b, i]`` scores
    ``labels[b, i]``. A causal language model's logits at position ``i`` predict token
    ``i + 1``, so shift before calling, and mark the prompt (and padding) with
    ``ignore_index`` so that only the answer is scored::

        logps = sequence_log_probs(model(ids)[:, :-1], labels[:, 1:])

    These sums are the inputs of :func:`dpo_loss` (and, averaged, of :func:`simpo_loss` and
    :func:`orpo_loss`); Hugging Face TRL's DPO trainer computes them the same way.

    Args:
        logits: :math:`z`, shape (batch, length, vocabulary).
        labels: token indices, shape (batch, length), each in [0, vocabulary) or equal to
            ``ignore_index``.
        ignore_index: the label of positions that do not count (default -100).
        average: divide each sum by its number of counted positions (default False).

    Returns:
        Shape (batch,), in ``logits``' dtype (float16 and bfloat16 computed in float32).

    Reference:
        R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
        Reward Model", NeurIPS 2023 (the sequence log-probability as the policy's score).

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
    "Preference optimization".

    Example:
        >>> import math, torch, lossbook
        >>> logits = torch.zeros(1, 3, 4)  # a uniform model over 4 tokens
        >>> labels = torch.tensor([[-100, 2, 1]])  # the first position is the prompt
        >>> lossbook.sequence_log_probs(logits, labels) / math.log(1 / 4)  # two tokens
        tensor([2.])
    """
    ignore_index = check_ignore_index(ignore_index)
    check_flag("average", average)
    check_sequence_inputs(logits, labels, ignore_index)
    dtype = logits.dtype
    z = logits.to(compute_dtype(dtype))
    kept = labels != ignore_index
    picked = torch.gather(z, -1, torch.where(kept, labels, 0).unsqueeze(-1)).squeeze(-1)
    # log softmax at the label only: the picked logit minus the log-normalizer, without
    # materializing a (batch, length, vocabulary) tensor of log-probabilities
    token_logps = torch.where(kept, picked - torch.logsumexp(z, dim=-1), 0.0)
    total = token_logps.sum(-1)
    if average:
        total = total / kept.sum(-1).clamp(min=1).to(total.dtype)
    return total.to(dtype)


def bradley_terry_loss(
    chosen_rewards: torch.Tensor, rejected_rewards: torch.Tensor, reduction: str = "mean"
) -> torch.Tensor:
    r"""The Bradley-Terry loss of a reward model: minus the log-probability that the chosen answer wins.

    .. math::
        P(y_c \succ y_r) = \sigma(r_c - r_r), \qquad \ell = -\log \sigma(r_c - r_r)

    computed as ``-logsigmoid``, exact for any reward gap (``log(sigmoid(.))`` underflows to
    ``-inf`` below a gap of about -100 in float32). It is binary cross-entropy on the reward
    difference with target 1; RLHF fits its reward model with it.

    Args:
        chosen_rewards: :math:`r_c`, the rewards of the preferred answers, shape (batch,) (any
            shape, equal to ``rejected_rewards``').
        rejected_rewards: :math:`r_r`, ``chosen_rewards``' shape.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair).

    Returns:
        The loss in ``chosen_rewards``' dtype (float16 and bfloat16 computed in float32).

    Reference:
        R. A. Bradley and M. E. Terry, "Rank Analysis of Incomplete Block Designs: I. The
        Method of Paired Comparisons", Biometrika 39, 1952; L. Ouyang et al., "Training
        language models to follow instructions with human feedback", NeurIPS 2022.

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
    "Preference optimization".

    Example:
        >>> import torch, lossbook
        >>> lossbook.bradley_terry_loss(torch.tensor([0.0, 2.0]), torch.tensor([0.0, 0.0]), "none")
        tensor([0.6931, 0.1269])
        >>> lossbook.bradley_terry_loss(torch.tensor([-1e4]), torch.tensor([0.0]))  # log(sigmoid) gives inf
        tensor(10000.)
    """
    check_reduction(reduction)
    chosen, rejected = check_paired_scores(chosen_rewards=chosen_rewards, rejected_rewards=rejected_rewards)
    dtype = chosen.dtype
    work = compute_dtype(dtype)
    loss = -F.logsigmoid(chosen.to(work) - rejected.to(work))
    return reduce(loss, reduction).to(dtype)


def dpo_loss(
    policy_chosen_logps: torch.Tensor,
    policy_rejected_logps: torch.Tensor,
    reference_chosen_logps: torch.Tensor,
    reference_rejected_logps: torch.Tensor,
    beta: float = 0.1,
    *,
    label_smoothing: float = 0.0,
    loss_type: str = "sigmoid",
    reduction: str = "mean",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    r"""Direct Preference Optimization: the KL-regularized RLHF objective as a loss on pairs.

    With the implicit reward :math:`r = \beta \log (\pi / \pi_{\mathrm{ref}})` of an answer and
    the margin of the log-ratios
    :math:`h = \log\frac{\pi(y_c)}{\pi_{\mathrm{ref}}(y_c)} - \log\frac{\pi(y_r)}{\pi_{\mathrm{ref}}(y_r)}`,

    .. math::
        \ell_{\text{sigmoid}} = -(1 - \varepsilon) \log \sigma(\beta h) - \varepsilon \log \sigma(-\beta h),
        \qquad
        \ell_{\text{hinge}} = \max(0,\ 1 - \beta h),
        \qquad
        \ell_{\text{ipo}} = \Bigl(h - \frac{1}{2\beta}\Bigr)^2

    ``"sigmoid"`` is DPO, the Bradley-Terry loss of the implicit rewards (with
    :math:`\varepsilon` = ``label_smoothing`` > 0: conservative DPO, for labels flipped with
    probability :math:`\varepsilon`); its gradient weighs each pair by
    :math:`\sigma(-\beta h)`, large where the implicit reward orders the pair wrongly.
    ``"hinge"`` is SLiC's hinge on the same margin; ``"ipo"`` (Azar et al.) regresses the
    margin to :math:`1 / (2\beta)` instead of pushing it to infinity, so it does not
    overfit deterministic preferences. The values are those of Hugging Face TRL's
    ``DPOTrainer.dpo_loss`` (TRL <= 0.28, whose trainer divides the log-probabilities by the
    answer's length before the ``"ipo"`` loss: pass ``sequence_log_probs(..., average=True)``
    for that).

    Args:
        policy_chosen_logps: :math:`\log \pi(y_c \mid x)`, the trained policy's sequence
            log-probabilities of the chosen answers (:func:`sequence_log_probs`), shape (batch,).
        policy_rejected_logps: :math:`\log \pi(y_r \mid x)`, shape (batch,).
        reference_chosen_logps: :math:`\log \pi_{\mathrm{ref}}(y_c \mid x)` of the frozen
            reference model, shape (batch,).
        reference_rejected_logps: :math:`\log \pi_{\mathrm{ref}}(y_r \mid x)`, shape (batch,).
        beta: :math:`\beta > 0` (default 0.1), the strength of the KL regularization toward
            the reference (smaller: the policy may move further).
        label_smoothing: :math:`\varepsilon` in [0, 0.5] (default 0), for ``"sigmoid"`` only.
        loss_type: ``"sigmoid"`` (default), ``"hinge"`` or ``"ipo"``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``: the loss per pair, TRL's
            ``losses``.

    Returns:
        ``(loss, chosen_rewards, rejected_rewards)``: the reduced loss, and the implicit
        rewards :math:`\beta (\log \pi - \log \pi_{\mathrm{ref}})` of each chosen and rejected
        answer, shape (batch,), detached (they are for logging, e.g. the reward accuracy
        ``(chosen_rewards > rejected_rewards).float().mean()``), all in
        ``policy_chosen_logps``' dtype (float16 and bfloat16 computed in float32).

    References:
        R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
        Reward Model", NeurIPS 2023; E. Mitchell, "A note on DPO with noisy preferences &
        relationship to IPO", 2023 (conservative DPO); Y. Zhao et al., "SLiC-HF: Sequence
        Likelihood Calibration with Human Feedback", 2023 (hinge); M. G. Azar et al., "A
        General Theoretical Paradigm to Understand Learning from Human Preferences",
        AISTATS 2024, arXiv:2310.12036 (2023) (IPO).

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
    "Preference optimization".

    Example:
        >>> import torch, lossbook
        >>> policy_c, policy_r = torch.tensor([-5.0]), torch.tensor([-9.0])
        >>> reference_c, reference_r = torch.tensor([-6.0]), torch.tensor([-8.0])
        >>> loss, chosen, rejected = lossbook.dpo_loss(policy_c, policy_r, reference_c, reference_r, beta=0.5)
        >>> loss  # -log sigmoid(0.5 * ((-5 + 9) - (-6 + 8)))
        tensor(0.3133)
        >>> chosen, rejected
        (tensor([0.5000]), tensor([-0.5000]))
    """
    check_reduction(reduction)
    beta, label_smoothing, loss_type = check_dpo_options(beta, label_smoothing, loss_type)
    scores = check_paired_scores(
        policy_chosen_logps=policy_chosen_logps,
        policy_rejected_logps=policy_rejected_logps,
        reference_chosen_logps=reference_chosen_logps,
        reference_rejected_logps=reference_rejected_logps,
    )
    dtype = scores[0].dtype
    work = compute_dtype(dtype)
    policy_c, policy_r, reference_c, reference_r = (s.to(work) for s in scores)
    # the reference is frozen: whatever the caller passes, it takes no gradient
    chosen_logratio = policy_c - reference_c.detach()
    rejected_logratio = policy_r - reference_r.detach()
    margin = chosen_logratio - rejected_logratio
    if loss_type == "sigmoid":
        losses = -F.logsigmoid(beta * margin)
        if label_smoothing:
            losses = (1.0 - label_smoothing) * losses - label_smoothing * F.logsigmoid(-beta * margin)
    elif loss_type == "hinge":
        losses = torch.relu(1.0 - beta * margin)
    else:  # "ipo"
        losses = (margin - 1.0 / (2.0 * beta)) ** 2
    chosen_rewards = (beta * chosen_logratio).detach().to(dtype)
    rejected_rewards = (beta * rejected_logratio).detach().to(dtype)
    return reduce(losses, reduction).to(dtype), chosen_rewards, rejected_rewards


def simpo_loss(
    chosen_logps: torch.Tensor,
    rejected_logps: torch.Tensor,
    beta: float = 2.0,
    gamma: float = 0.5,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""SimPO: a reference-free preference loss on length-averaged log-probabilities with a margin.

    .. math::
        \ell = -\log \sigma\Bigl(\frac{\beta}{|y_c|} \log \pi(y_c \mid x)
            - \frac{\beta}{|y_r|} \log \pi(y_r \mid x) - \gamma\Bigr)

    The implicit reward is the policy's own average log-probability per token, scaled by
    :math:`\beta`: no reference model, and no advantage for long answers; the chosen reward
    must beat the rejected one by the margin :math:`\gamma`. The values are those of the
    paper's code and of TRL's ``CPOTrainer`` with ``loss_type="simpo"`` (``simpo_gamma`` =
    :math:`\gamma`).

    Args:
        chosen_logps: :math:`\log \pi(y_c \mid x) / |y_c|`, the chosen answers' log-probabilities
            already averaged over their tokens (``sequence_log_probs(..., average=True)``),
            shape (batch,).
        rejected_logps: the same for the rejected answers, shape (batch,).
        beta: :math:`\beta > 0` (default 2.0, the paper's usual range is 2 to 2.5).
        gamma: the target reward margin :math:`\gamma \ge 0` (default 0.5).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair).

    Returns:
        The loss in ``chosen_logps``' dtype (float16 and bfloat16 computed in float32).

    Reference:
        Y. Meng, M. Xia and D. Chen, "SimPO: Simple Preference Optimization with a
        Reference-Free Reward", NeurIPS 2024, arXiv:2405.14734.

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
    "Preference optimization".

    Example:
        >>> import torch, lossbook
        >>> lossbook.simpo_loss(torch.tensor([-1.0]), torch.tensor([-1.25]))  # -log sigmoid(2 * 0.25 - 0.5)
        tensor(0.6931)
    """
    check_reduction(reduction)
    beta = check_positive("beta", beta)
    gamma = check_non_negative("gamma", gamma)
    chosen, rejected = check_paired_scores(chosen_logps=chosen_logps, rejected_logps=rejected_logps)
    dtype = chosen.dtype
    work = compute_dtype(dtype)
    losses = -F.logsigmoid(beta * (chosen.to(work) - rejected.to(work)) - gamma)
    return reduce(losses, reduction).to(dtype)


def _log1mexp(x: torch.Tensor) -> torch.Tensor:
    r""":math:`\log(1 - e^{x})` for x < 0, accurate everywhere (Mächler's two branches).

    Near 0, :math:`1 - e^{x}` cancels: ``expm1`` keeps its digits; far below, ``log1p`` does.
    """
    near_zero = x > -math.log(2.0)
    return torch.where(
        near_zero,
        torch.log(-torch.expm1(torch.where(near_zero, x, -1.0))),
        torch.log1p(-torch.exp(torch.where(near_zero, -1.0, x))),
    )


def orpo_loss(
    chosen_logps: torch.Tensor,
    rejected_logps: torch.Tensor,
    beta: float = 0.1,
    reduction: str = "mean",
) -> torch.Tensor:
    r"""ORPO: supervised fine-tuning on the chosen answer plus an odds-ratio preference term, no reference.

    .. math::
        \operatorname{odds}(y) = \frac{p(y)}{1 - p(y)}, \qquad
        \ell = -\log p(y_c)
            - \beta \log \sigma\Bigl(\log \frac{\operatorname{odds}(y_c)}{\operatorname{odds}(y_r)}\Bigr)

    with :math:`\log p(y)` the answer's average log-probability per token, so
    :math:`\log \operatorname{odds}(y) = \log p(y) - \log(1 - e^{\log p(y)})`, computed
    without cancellation. The first term is the SFT loss on the chosen answer (the mean
    negative log-likelihood per token); the second pushes the odds of the chosen answer
    above those of the rejected one. :math:`\beta` is the paper's :math:`\lambda` (TRL's
    ``ORPOConfig.beta``). TRL's trainer takes its SFT term over all the chosen tokens of
    the batch at once; here it is the mean of the per-pair averages, the same when the
    answers have equal lengths.

    Args:
        chosen_logps: :math:`\log p(y_c)`, the chosen answers' log-probabilities averaged over
            their tokens (``sequence_log_probs(..., average=True)``), each < 0, shape (batch,).
        rejected_logps: the same for the rejected answers, each < 0, shape (batch,).
        beta: :math:`\lambda \ge 0`, the weight of the odds-ratio term (default 0.1).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (per pair).

    Returns:
        The loss in ``chosen_logps``' dtype (float16 and bfloat16 computed in float32).

    Reference:
        J. Hong, N. Lee and J. Thorne, "ORPO: Monolithic Preference Optimization without
        Reference Model", EMNLP 2024, arXiv:2403.07691.

    Chapter "Matching distributions" (``book/*/distribution-matching.ipynb``), section
    "Preference optimization".

    Example:
        >>> import math, torch, lossbook
        >>> half = torch.tensor([math.log(0.5)])  # p = 1/2: odds 1
        >>> lossbook.orpo_loss(half, half, beta=1.0)  # log 2 + log 2
        tensor(1.3863)
    """
    check_reduction(reduction)
    beta = check_non_negative("beta", beta)
    chosen, rejected = check_paired_scores(chosen_logps=chosen_logps, rejected_logps=rejected_logps)
    check_below_zero("chosen_logps", chosen)
    check_below_zero("rejected_logps", rejected)
    dtype = chosen.dtype
    work = compute_dtype(dtype)
    c, r = chosen.to(work), rejected.to(work)
    log_odds_ratio = (c - _log1mexp(c)) - (r - _log1mexp(r))
    losses = -c - beta * F.logsigmoid(log_odds_ratio)
    return reduce(losses, reduction).to(dtype)


class DPOLoss(Loss):
    r"""Module form of :func:`dpo_loss`: returns ``(loss, chosen_rewards, rejected_rewards)``.

    Args:
        beta: :math:`\beta > 0` (default 0.1).
        label_smoothing: :math:`\varepsilon` in [0, 0.5] (default 0), ``"sigmoid"`` only.
        loss_type: ``"sigmoid"`` (default), ``"hinge"`` or ``"ipo"``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"`` (the loss per pair).

    Shape:
        - policy_chosen_logps, policy_rejected_logps: (N,), sequence log-probabilities.
        - reference_chosen_logps, reference_rejected_logps: (N,).
        - Output: the loss, a scalar or (N,) with ``reduction="none"``, and the rewards, (N,) each.

    Reference:
        R. Rafailov et al., "Direct Preference Optimization: Your Language Model is Secretly a
        Reward Model", NeurIPS 2023.

    Example:
        >>> import torch, lossbook
        >>> dpo = lossbook.DPOLoss(beta=0.5)
        >>> loss, chosen, rejected = dpo(
        ...     torch.tensor([-5.0]), torch.tensor([-9.0]), torch.tensor([-6.0]), torch.tensor([-8.0])
        ... )
        >>> loss
        tensor(0.3133)
    """

    def __init__(
        self,
        beta: float = 0.1,
        label_smoothing: float = 0.0,
        loss_type: str = "sigmoid",
        reduction: str = "mean",
    ) -> None:
        super().__init__(reduction)
        self.beta, self.label_smoothing, self.loss_type = check_dpo_options(beta, label_smoothing, loss_type)

    def forward(
        self,
        policy_chosen_logps: torch.Tensor,
        policy_rejected_logps: torch.Tensor,
        reference_chosen_logps: torch.Tensor,
        reference_rejected_logps: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return dpo_loss(
            policy_chosen_logps,
            policy_rejected_logps,
            reference_chosen_logps,
            reference_rejected_logps,
            self.beta,
            label_smoothing=self.label_smoothing,
            loss_type=self.loss_type,
            reduction=self.reduction,
        )


class SimPOLoss(Loss):
    r"""Module form of :func:`simpo_loss`.

    Args:
        beta: :math:`\beta > 0` (default 2.0).
        gamma: the target reward margin :math:`\gamma \ge 0` (default 0.5).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - chosen_logps, rejected_logps: (N,), length-averaged log-probabilities.
        - Output: a scalar; (N,) with ``reduction="none"``.

    Reference:
        Y. Meng, M. Xia and D. Chen, "SimPO: Simple Preference Optimization with a
        Reference-Free Reward", NeurIPS 2024.

    Example:
        >>> import torch, lossbook
        >>> lossbook.SimPOLoss(beta=2.0, gamma=0.5)(torch.tensor([-1.0]), torch.tensor([-1.25]))
        tensor(0.6931)
    """

    def __init__(self, beta: float = 2.0, gamma: float = 0.5, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.beta = check_positive("beta", beta)
        self.gamma = check_non_negative("gamma", gamma)

    def forward(self, chosen_logps: torch.Tensor, rejected_logps: torch.Tensor) -> torch.Tensor:
        return simpo_loss(chosen_logps, rejected_logps, self.beta, self.gamma, self.reduction)


class ORPOLoss(Loss):
    r"""Module form of :func:`orpo_loss`.

    Args:
        beta: :math:`\lambda \ge 0`, the weight of the odds-ratio term (default 0.1).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Shape:
        - chosen_logps, rejected_logps: (N,), length-averaged log-probabilities, each < 0.
        - Output: a scalar; (N,) with ``reduction="none"``.

    Reference:
        J. Hong, N. Lee and J. Thorne, "ORPO: Monolithic Preference Optimization without
        Reference Model", EMNLP 2024.

    Example:
        >>> import math, torch, lossbook
        >>> half = torch.tensor([math.log(0.5)])
        >>> lossbook.ORPOLoss(beta=1.0)(half, half)
        tensor(1.3863)
    """

    def __init__(self, beta: float = 0.1, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.beta = check_non_negative("beta", beta)

    def forward(self, chosen_logps: torch.Tensor, rejected_logps: torch.Tensor) -> torch.Tensor:
        return orpo_loss(chosen_logps, rejected_logps, self.beta, self.reduction)
