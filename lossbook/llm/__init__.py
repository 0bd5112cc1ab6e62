r"""Cross-entropy at LLM scale: vocabularies of 32k-256k tokens, where the logits fill the memory.

:func:`~lossbook.llm.linear_cross_entropy.linear_cross_entropy` computes the cross-entropy
of a linear head a chunk of rows at a time, so that the (N, V) logits and their gradient
never exist whole, with PaLM's z-loss in the same loop;
:func:`~lossbook.llm.z_loss.z_loss` is the z-loss on its own;
:func:`~lossbook.llm.vocab_parallel.vocab_parallel_cross_entropy` is Megatron-LM's
cross-entropy when each process of a ``torch.distributed`` group holds the logits of its own
slice of the vocabulary.

The files follow the sections of the chapter “Cross-entropy at LLM scale”:
:mod:`~lossbook.llm.linear_cross_entropy` (the chunked loop),
:mod:`~lossbook.llm.z_loss` (the logit scale), :mod:`~lossbook.llm.vocab_parallel`
(vocabulary parallelism); the argument checks only these losses need live in
``lossbook/llm/_inputs.py``. Every name is also ``lossbook.<name>``.
"""

from .linear_cross_entropy import LinearCrossEntropyLoss, linear_cross_entropy
from .vocab_parallel import VocabParallelCrossEntropyLoss, vocab_parallel_cross_entropy
from .z_loss import ZLoss, z_loss

__all__ = [
    "linear_cross_entropy",
    "z_loss",
    "vocab_parallel_cross_entropy",
    "LinearCrossEntropyLoss",
    "ZLoss",
    "VocabParallelCrossEntropyLoss",
]
