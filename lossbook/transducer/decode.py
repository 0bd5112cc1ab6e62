r"""Greedy decoding of a transducer from its three networks: encoder output, predictor, joiner.

A transducer reads frame :math:`t` and, given the labels emitted so far, either emits a label
(and stays on the frame, its predictor now one label further) or emits the blank (and moves to
the next frame). Greedy decoding takes the most probable symbol at every step. Unlike CTC's,
it cannot be read off a fixed (T, C) matrix: each label emitted changes the predictor's output,
so the networks are called step by step.
"""

from __future__ import annotations

import torch

from ._inputs import check_int_blank, check_joiner_output, prepare_greedy_inputs, resolve_blank

__all__ = ["rnnt_greedy_decode"]


def rnnt_greedy_decode(
    encoder_out: torch.Tensor,
    predictor,
    joiner,
    encoder_lengths: torch.Tensor | None = None,
    blank: int = -1,
    max_symbols_per_frame: int = 10,
):
    r"""The labels a transducer emits when it takes the most probable symbol at every step.

    On frame :math:`t` with :math:`u` labels emitted, the joiner scores
    :math:`z = \text{joiner}(f_t, g_u)`; if :math:`\arg\max_k z_k` is the blank the decoder moves
    to frame :math:`t + 1`, otherwise it emits the label, :math:`u \leftarrow u + 1`, and asks the
    predictor for :math:`g_{u+1}`:

    .. math::

        k^* = \arg\max_k\ \text{joiner}(f_t, g_u)_k,\qquad
        (t, u) \leftarrow \begin{cases} (t + 1, u) & k^* = \varnothing \\
                                        (t, u + 1),\ \text{emit } k^* & \text{otherwise.}\end{cases}

    The whole batch steps together (a sample that has finished its frames, or moved on, waits).

    Book: *Transducers and forced alignment*, section "Greedy decoding".

    Args:
        encoder_out: the encoder's output :math:`f`, (N, T, H) or one example (T, H).
        predictor: the prediction network as in training: called with the blank-prepended
            label histories, an int64 tensor (N, S+1) (row n: the blank, then the labels
            emitted so far, then blanks as padding), it returns (N, S+1, H') where position
            :math:`u` depends only on the first :math:`u + 1` entries (a recurrent or causal
            network). So the predictor that made the training lattice's rows from
            ``F.pad(targets, (1, 0), value=blank)`` decodes unchanged.
        joiner: the joint network: called with one frame per sample (N, H) and the
            predictor's output at each sample's position (N, H'), it returns logits (N, V)
            (a joiner written for the lattice with broadcasting, such as
            ``linear(tanh(f.unsqueeze(2) + g.unsqueeze(1)))``, maps (N, H), (N, H') to (N, V)
            once its inputs are added without the ``unsqueeze``; pass a lambda that does).
        encoder_lengths: (N,) frames per sample, each in [0, T]; None uses all T.
        blank: index of the blank in [-V, V); -1, the default (as in
            :func:`~lossbook.transducer.loss.rnnt_loss`), is the last class. The predictor
            receives it as the start symbol.
        max_symbols_per_frame: the most labels emitted on one frame before the decoder moves on
            (a guard against a model that never emits the blank). Default: 10.

    Returns:
        One list of label ids per sample (a single list for a (T, H) input).

    Reference:
        A. Graves, "Sequence Transduction with Recurrent Neural Networks", ICML 2012
        Workshop on Representation Learning (arXiv:1211.3711).

    Example:
        A toy transducer over V = 3 classes (labels 0 and 1, the blank 2 = -1). Each frame holds
        the scores of its label and how many labels should have been emitted by its end; the
        predictor counts the labels emitted so far, and the joiner says blank once they suffice:

        >>> import torch, lossbook
        >>> frames = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [0.0, 1.0, 2.0]])  # (T, H)
        >>> def predictor(history):  # (N, S+1) -> (N, S+1, 1): labels so far
        ...     return (history != 2).cumsum(1).unsqueeze(2).float()
        >>> def joiner(f, g):  # (N, 3), (N, 1) -> (N, 3): the frame's label, then the blank
        ...     return torch.cat([f[:, :2], 2.0 * (g >= f[:, 2:])], 1)
        >>> lossbook.rnnt_greedy_decode(frames, predictor, joiner)
        [0, 1]
    """
    encoder_out, lengths, unbatched = prepare_greedy_inputs(
        encoder_out, predictor, joiner, encoder_lengths, max_symbols_per_frame
    )
    blank = check_int_blank(blank)
    N, T, _ = encoder_out.shape
    device = encoder_out.device
    rows = torch.arange(N, device=device)
    if T == 0:
        return [] if unbatched else [[] for _ in range(N)]
    with torch.no_grad():
        # The number of classes V comes from the joiner, before the blank is fed to the predictor.
        start = predictor(torch.zeros(N, 1, dtype=torch.int64, device=device))[:, 0]
        blank = resolve_blank(blank, check_joiner_output(joiner(encoder_out[:, 0], start), N))
        history = torch.full((N, 2), blank, dtype=torch.int64, device=device)
        emitted = torch.zeros(N, dtype=torch.int64, device=device)
        state = predictor(history[:, :1])[:, 0]
        for t in range(T):
            frame = encoder_out[:, t]
            active = lengths > t
            for _ in range(max_symbols_per_frame):
                if not bool(active.any()):
                    break
                logits = joiner(frame, state)
                best = logits.argmax(-1)
                emit = active & (best != blank)
                if not bool(emit.any()):
                    break
                if int(emitted.max()) + 2 > history.shape[1]:
                    history = torch.cat([history, torch.full_like(history, blank)], 1)
                emitted_rows = rows[emit]
                emitted += emit
                history[emitted_rows, emitted[emitted_rows]] = best[emitted_rows]
                out = predictor(history[:, : int(emitted.max()) + 1])
                state = torch.where(emit.unsqueeze(1), out[rows, emitted], state)
                active = emit  # a sample that emitted the blank has moved on to the next frame
        decoded = [history[n, 1 : int(emitted[n]) + 1].tolist() for n in range(N)]
    return decoded[0] if unbatched else decoded
