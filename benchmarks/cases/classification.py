"""Benchmark cases of the classification losses: forward + backward.

Cross-entropy (with and without label smoothing), NLL and KL divergence on 4096 x 1000
(a batch of an ImageNet-sized classifier); BCE and BCE-with-logits on 4M elements (a
multi-label or dense output), and the soft margin loss; the multi-label soft margin loss on
4096 x 1000; the multi-class and multi-label hinge losses on 4096 x 100.
"""

import torch
import torch.nn.functional as F

import lossbook

from ..case import Case

FAMILY = "classification"


def cases(quick: bool) -> list[Case]:
    rows, classes = (64, 10) if quick else (4096, 1000)
    numel = 4096 if quick else 4 * 1024 * 1024

    def make_logits():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(rows, classes, generator=gen, requires_grad=True)
        y = torch.randint(0, classes, (rows,), generator=gen)
        return x, y

    def make_binary():
        gen = torch.Generator().manual_seed(0)
        x = (2.0 * torch.randn(numel, generator=gen)).requires_grad_()
        y = (torch.rand(numel, generator=gen) < 0.3).float()
        return x, y

    def make_log_probs():
        x, y = make_logits()
        return x.detach().log_softmax(1).requires_grad_(), y

    def make_probabilities():
        x, y = make_binary()
        return torch.sigmoid(x.detach()).requires_grad_(), y

    def make_distributions():
        x, _ = make_logits()
        gen = torch.Generator().manual_seed(1)
        target = torch.softmax(torch.randn(rows, classes, generator=gen), 1)
        return x.detach().log_softmax(1).requires_grad_(), target

    margin_rows, margin_classes = (rows, classes) if quick else (4096, 100)

    def make_scores():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(margin_rows, margin_classes, generator=gen, requires_grad=True)
        return x, torch.randint(0, margin_classes, (margin_rows,), generator=gen)

    def make_signs():
        x, y = make_binary()
        return x, y * 2 - 1

    def make_multilabel():
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(rows, classes, generator=gen, requires_grad=True)
        return x, (torch.rand(rows, classes, generator=gen) < 0.1).float()

    def make_label_lists():
        # Up to 5 labels per sample, each list ended by -1, as torch takes them.
        x, _ = make_scores()
        gen = torch.Generator().manual_seed(1)
        lists = torch.full((margin_rows, margin_classes), -1)
        lengths = torch.randint(1, min(5, margin_classes) + 1, (margin_rows,), generator=gen)
        for k in range(int(lengths.max())):
            picks = torch.randint(0, margin_classes, (margin_rows,), generator=gen)
            lists[:, k] = torch.where(lengths > k, picks, -1)
        return x, lists

    ce_size = f"{rows:,} x {classes:,}"
    bce_size = f"{numel:,} elements"
    return [
        Case(
            FAMILY,
            "cross_entropy",
            ce_size,
            make_logits,
            lossbook.cross_entropy,
            F.cross_entropy,
            1.2,
        ),
        Case(
            FAMILY,
            "cross_entropy (label_smoothing=0.1)",
            ce_size,
            make_logits,
            lambda x, y: lossbook.cross_entropy(x, y, label_smoothing=0.1),
            lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
            1.2,
        ),
        Case(
            FAMILY,
            "binary_cross_entropy_with_logits",
            bce_size,
            make_binary,
            lossbook.binary_cross_entropy_with_logits,
            F.binary_cross_entropy_with_logits,
            1.2,
        ),
        Case(FAMILY, "nll_loss", ce_size, make_log_probs, lossbook.nll_loss, F.nll_loss, 1.2),
        Case(
            FAMILY,
            "binary_cross_entropy",
            bce_size,
            make_probabilities,
            lossbook.binary_cross_entropy,
            F.binary_cross_entropy,
            1.2,
        ),
        Case(
            FAMILY,
            "kl_div (batchmean)",
            ce_size,
            make_distributions,
            lambda x, t: lossbook.kl_div(x, t, reduction="batchmean"),
            lambda x, t: F.kl_div(x, t, reduction="batchmean"),
            1.2,
        ),
        Case(
            FAMILY,
            "multi_margin_loss",
            f"{margin_rows:,} x {margin_classes:,}",
            make_scores,
            lossbook.multi_margin_loss,
            F.multi_margin_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "soft_margin_loss",
            bce_size,
            make_signs,
            lossbook.soft_margin_loss,
            F.soft_margin_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "multilabel_soft_margin_loss",
            ce_size,
            make_multilabel,
            lossbook.multilabel_soft_margin_loss,
            F.multilabel_soft_margin_loss,
            1.2,
        ),
        Case(
            FAMILY,
            "multilabel_margin_loss",
            f"{margin_rows:,} x {margin_classes:,}, up to 5 labels",
            make_label_lists,
            lossbook.multilabel_margin_loss,
            F.multilabel_margin_loss,
            1.2,
        ),
    ]
