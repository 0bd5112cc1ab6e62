r"""Oracles for one unbatched example: the brute-force sum over paths and the textbook trellis.

Written for reading and for the tests, not for speed: :func:`ctc_loss_bruteforce` is the
definition itself (every path enumerated), :func:`ctc_log_alpha_beta` the paper's recursions
as plain loops. :func:`~lossbook.ctc.loss.ctc_loss` is the fast one.
"""

from __future__ import annotations

import math

import torch

from ._inputs import check_bruteforce_size, check_unbatched_example

__all__ = ["ctc_loss_bruteforce", "ctc_log_alpha_beta"]

#: ctc_loss_bruteforce refuses inputs with more than this many paths (C ** T).
MAX_BRUTEFORCE_PATHS = 2**20


def ctc_loss_bruteforce(log_probs: torch.Tensor, target, blank: int = 0) -> torch.Tensor:
    r""":math:`-\log p(l \mid x)` by enumerating all :math:`C^T` paths of one example.

    Every path's log-probability :math:`\sum_t \log y^t_{\pi_t}` is computed, the paths that
    collapse to ``target`` are kept and their probabilities summed (a ``logsumexp``). The
    definition itself, without the forward algorithm: the oracle of the tests and the chapter.

    Book: *Connectionist temporal classification (CTC)*, section "p(l | x): a sum over paths".

    Args:
        log_probs: (T, C) log-probabilities of one example.
        target: the labelling (a list of ints or a 1-D integer tensor), without blanks.
        blank: index of the blank. Default: 0.

    Returns:
        The loss as a 0-d tensor, ``inf`` when no path collapses to ``target``.

    Raises:
        ValueError: above ``MAX_BRUTEFORCE_PATHS`` = 2**20 (about a million) paths.

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006 (the definition, Eq. 3).

    Example:
        >>> import torch, lossbook
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> loss = lossbook.ctc_loss_bruteforce(log_probs, [1])
        >>> round(loss.neg().exp().item(), 4)  # p("a") = 0.4 * 0.4 + 0.4 * 0.6 + 0.6 * 0.4
        0.64
    """
    T, C, target = check_unbatched_example(log_probs, target, blank)
    check_bruteforce_size(T, C, MAX_BRUTEFORCE_PATHS)
    device = log_probs.device
    # All paths as rows of base-C digits.
    codes = torch.arange(C**T, device=device)
    powers = C ** torch.arange(T - 1, -1, -1, device=device)
    paths = torch.div(codes.unsqueeze(1), powers, rounding_mode="floor") % C  # (C**T, T)
    path_log_p = (
        log_probs.gather(1, paths.T).sum(0) if T > 0 else torch.zeros(1, dtype=log_probs.dtype, device=device)
    )
    # Collapse all paths at once: keep a symbol when it is no blank and differs from the one before.
    keep = paths != blank
    keep[:, 1:] &= paths[:, 1:] != paths[:, :-1]
    n_kept = keep.sum(1)
    wanted = torch.tensor(target + [blank], dtype=torch.int64, device=device)
    slot = (keep.cumsum(1) - 1).clamp(min=0, max=len(target))
    agrees = torch.where(keep, paths == wanted[slot], True).all(1) & (n_kept == len(target))
    return -torch.logsumexp(torch.where(agrees, path_log_p, -math.inf), 0)


def ctc_log_alpha_beta(log_probs: torch.Tensor, target, blank: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The forward and backward variables of one example, in log space, as in the paper.

    With the extended label :math:`l'` (length :math:`L = 2|l| + 1`):

    .. math::

        \alpha_1(0) = y^1_{b},\ \alpha_1(1) = y^1_{l_1},\quad
        \alpha_t(s) = y^t_{l'_s} \sum_{j \in \text{pred}(s)} \alpha_{t-1}(j),\qquad
        \beta_T(L-1) = y^T_b,\ \beta_T(L-2) = y^T_{l_{|l|}},\quad
        \beta_t(s) = y^t_{l'_s} \sum_{j \in \text{succ}(s)} \beta_{t+1}(j),

    where pred(s) is s, s - 1, and s - 2 when :math:`l'_s` is a label different from
    :math:`l'_{s-2}`. Then :math:`\sum_s \alpha_t(s) \beta_t(s) / y^t_{l'_s} = p(l \mid x)` at
    every t. A plain loop over t and s, written for reading; :func:`~lossbook.ctc.loss.ctc_loss`
    is the fast one.

    Book: *Connectionist temporal classification (CTC)*, sections "The forward algorithm" and
    "The backward pass and the gradient".

    Args:
        log_probs: (T, C) log-probabilities of one example (T >= 1).
        target: the labelling (list of ints or 1-D integer tensor).
        blank: index of the blank. Default: 0.

    Returns:
        ``(log_alpha, log_beta)``, each of shape (T, 2 S + 1) for a target of S labels.

    Reference: A. Graves, S. Fernández, F. Gomez, J. Schmidhuber, "Connectionist Temporal Classification:
    Labelling Unsegmented Sequence Data with Recurrent Neural Networks", ICML 2006 (Eqs. 6-11);
    A. Graves, *Supervised Sequence Labelling with Recurrent Neural Networks*, Springer 2012,
    Chapter 7.

    Example:
        Two frames, blank 0.6 and "a" 0.4 in each; the extended label of "a" is (blank, a, blank):

        >>> import torch, lossbook
        >>> log_probs = torch.tensor([[0.6, 0.4], [0.6, 0.4]]).log()
        >>> log_alpha, log_beta = lossbook.ctc_log_alpha_beta(log_probs, [1])
        >>> log_alpha.exp()  # alpha_2 = (0.6 * 0.6, (0.6 + 0.4) * 0.4, 0.4 * 0.6)
        tensor([[0.6000, 0.4000, 0.0000],
                [0.3600, 0.4000, 0.2400]])
        >>> (log_alpha + log_beta - log_probs[:, [0, 1, 0]]).exp().sum(1)  # p("a") at every t
        tensor([0.6400, 0.6400])
    """
    T, C, target = check_unbatched_example(log_probs, target, blank, min_frames=1)
    ext = [blank]
    for k in target:
        ext += [k, blank]
    L = len(ext)
    lp = log_probs
    alpha = torch.full((T, L), -math.inf, dtype=lp.dtype, device=lp.device)
    beta = torch.full((T, L), -math.inf, dtype=lp.dtype, device=lp.device)

    def skip(s):  # may a path jump from s - 2 to s?
        return s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]

    alpha[0, 0] = lp[0, ext[0]]
    if L > 1:
        alpha[0, 1] = lp[0, ext[1]]
    for t in range(1, T):
        for s in range(L):
            terms = [alpha[t - 1, s]]  # stay
            if s >= 1:
                terms.append(alpha[t - 1, s - 1])  # step from s - 1
            if skip(s):
                terms.append(alpha[t - 1, s - 2])  # jump over a blank
            alpha[t, s] = torch.logsumexp(torch.stack(terms), 0) + lp[t, ext[s]]
    beta[T - 1, L - 1] = lp[T - 1, ext[L - 1]]
    if L > 1:
        beta[T - 1, L - 2] = lp[T - 1, ext[L - 2]]
    for t in range(T - 2, -1, -1):
        for s in range(L):
            terms = [beta[t + 1, s]]  # stay
            if s + 1 < L:
                terms.append(beta[t + 1, s + 1])  # step to s + 1
            if s + 2 < L and skip(s + 2):
                terms.append(beta[t + 1, s + 2])  # jump over a blank
            beta[t, s] = torch.logsumexp(torch.stack(terms), 0) + lp[t, ext[s]]
    return alpha, beta
