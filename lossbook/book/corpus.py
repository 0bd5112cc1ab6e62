"""A snapshot of this book's English prose: the text that the LLM chapter's tiny language model reads.

554 sentences (77,077 characters, 83 distinct ones) from the markdown cells of the English
chapters on concepts, history, regression, classification, metric learning and CTC, as of
commit 3b5ad2c. Code blocks, display math and markup are removed; inline math and code are
kept where they are plain ASCII, and sentences with anything else are left out.

The text is frozen here rather than read from the chapters, for two reasons: editing a
chapter must not change the numbers printed by the chapter that trains on it, and the text
must ship in the wheel (Colab installs the package, not the book's files).
"""

from __future__ import annotations

__all__ = ["book_sentences"]


def book_sentences() -> list[str]:
    """The sentences of the snapshot, in the book's order, one string each.

    Example:
        >>> from lossbook.book import corpus
        >>> sentences = corpus.book_sentences()
        >>> len(sentences), sum(len(s) for s in sentences)
        (554, 77077)
        >>> sentences[0][:44]
        'Training a model repeats three steps: comput'
    """
    return [" ".join(paragraph.split("\n")) for paragraph in _TEXT.strip().split("\n\n")]


# One sentence per paragraph, wrapped at 100 columns.
_TEXT = """\
Training a model repeats three steps: compute a prediction with the model, measure with a loss
function how far the prediction is from the truth, and move the parameters in the direction that
lowers the loss.

The loss is the one part of these steps that we choose ourselves and that directly defines what
"good" means.

This chapter answers four questions: what a loss function is; what it does during training; how it
decides what the model learns; and how to design, test and choose one.

Every idea comes with running code, and every loss comes from the companion package lossbook.

The chapter covers the conceptual parts of three of the articles the book grew out of (the overview
Loss Functions, Loss Functions in Deep Learning, Explained and the encyclopedia entry Loss Function;
see the preface) and goes beyond them: loss surfaces, learning rates, class imbalance,
regularization and how to test a custom loss.

The symbols follow the notation page.

Loss Functions in Deep Learning, Explained separates three terms that are often used
interchangeably:

In practice "loss" and "cost" are used interchangeably (the encyclopedia entry Loss Function says so
too); PyTorch expresses the difference with the reduction argument: "none" returns each sample's
loss, "mean" the cost, "sum" the total.

The tensors of the MSE example in the overview Loss Functions show it.

The overview Loss Functions lists five roles of a loss function.

The table maps each to the place in this book that demonstrates it.

The overview's fifth role merges two different things: robustness to outliers is a property of the
loss's shape (a squared penalty magnifies outliers, an absolute one does not), while curbing
overfitting is usually done by adding a regularization term to the objective.

This chapter treats them separately.

With MSE the output hardly moves for the first 50 steps (0.98 -> 0.96) and drops only after about
100: the more wrong the neuron is, the more its sigmoid saturates and the smaller its gradient.

With the cross-entropy the start, where the error is largest, is where learning is fastest: the
output is down to 0.1 after 50 steps.

This is the "slow learning of MSE with a sigmoid" that the encyclopedia entry mentions, and the main
reason classifiers are trained with the cross-entropy instead.

For a model with two parameters we can draw the whole surface.

The MSE surface is a quadratic bowl whose shape is set by the Hessian.

Its two eigenvalues differ by a factor of about 16: the bowl is steep in one direction and flat in
the other, and the contours are long thin ellipses.

That is what makes gradient descent hard: a step size that suits the steep direction crawls along
the flat one.

From one starting point (w,b)=(3,3) we compare three ways down (Loss Functions in Deep Learning,
Explained names SGD and Adam): full-batch gradient descent, mini-batch SGD with 10 samples per
batch, and Adam. lossbook.book.training.fit calls evaluate after each epoch; we use it to record the
path of the parameters.

The squares mark the starts and the stars the ends.

Gradient descent first drops quickly down the steep direction to the valley floor, then creeps along
the flat valley: its path is almost perpendicular to the contours, which is the direction of the
gradient.

Mini-batch SGD sees only 10 samples per step, so its gradient is noisy, but it takes 5 steps per
epoch, 100 steps in its 20 epochs (the figure shows one point per epoch).

Adam divides each parameter's gradient by the running scale of its past gradients, so its first
steps have about the size of the learning rate in both coordinates: it heads along the diagonal,
ignoring the shape of the bowl, overshoots the valley floor and zigzags along it; after 100 steps
its cost (0.32) is higher than gradient descent's (0.108).

Adaptive methods pay off when gradient scales differ widely between parameters (sparse features,
deep networks), not necessarily on a small, well-conditioned quadratic: no optimizer is best
everywhere.

The threshold computed above is about 0.30.

The figure compares the cost against the number of steps for three learning rates.

Too small a learning rate (0.02) lowers the cost steadily but is far from the minimum after 60
steps; a moderate one (0.2) converges quickly; one just above the threshold (0.32) makes the cost
grow exponentially.

The best learning rate depends on the curvature of the surface, and so on the loss and the data:
switch MSE to a sum (reduction="sum") and the curvature grows N-fold, so the same learning rate
diverges.

Adam stands for adaptive moment estimation: it estimates the first moment (mean) and second moment
(uncentred variance) of the gradient and scales each parameter's step with them.

On the same data, different losses make the model learn different things.

The simplest case "predicts" a set of samples with one constant c:

the minimizer of the quantile (pinball) loss is the q-quantile.

On a symmetric distribution the first two nearly coincide; on a skewed one they differ a lot.

We draw 2000 log-normal samples (right-skewed, like incomes or waiting times), compute the three
risks with lossbook on a fine grid of c, find each minimizer, and compare with the sample mean,
median and 0.9-quantile.

The grid minimizers agree with the sample statistics to the grid's resolution (0.001): MSE learns
the mean, MAE the median, the pinball loss the 0.9-quantile.

On right-skewed data the long tail pulls the mean well above the median.

So before "predicting a number" one has to decide which number is wanted: average demand calls for
MSE, a typical value for MAE, and a stock level that suffices "90% of the time" for the quantile
loss with q=0.9.

The same holds for models conditioned on x: a regression trained with MSE estimates the conditional
mean, one trained with MAE the conditional median (the regression chapter shows it on data with
outliers).

When one class far outnumbers the other, a model that minimizes the average loss leans towards the
majority: the minority's share of the average is too small.

The overview Loss Functions suggests a weighted loss to balance the importance of the classes.

The unweighted model has the highest accuracy but finds only about six in ten minority samples, and
its accuracy beats the "always predict the majority" baseline by less than three points.

With the weight, minority recall rises above nine in ten and the balanced accuracy climbs clearly,
at the cost of precision: more majority samples are labelled minority, because the decision boundary
has moved towards the majority.

This is a trade-off, not a free improvement, and should follow the costs of the task (missing a
patient costs something different from one more test).

Under imbalance, accuracy is a misleading metric; report recall, precision or balanced accuracy as
well.

Another approach besides a class-weighted cross-entropy is the focal loss, which down-weights easy
samples rather than a whole class: see the classification chapter.

The fifth role in the overview Loss Functions mentions "limiting the model's tendency to overfit".

That is usually done not by changing the loss but by adding a penalty on the parameters to the
objective:

For a quadratic J the minimizer has a closed form (ridge regression), which we compute by least
squares; autograd then checks that the gradient of J (written as lossbook.mse_loss plus the penalty)
vanishes there, and we measure the error on 201 noise-free test points.

Second, the regularizer belongs to the training objective only; a model is still reported with the
unpenalized loss or an evaluation metric.

When no standard loss fits, one can write one.

which is MSE in disguise: the code checks on the overview's tensors that it equals
lossbook.mse_loss.

As long as a custom loss is built from differentiable tensor operations, autograd computes its
gradient.

Loss Functions in Deep Learning, Explained notes that the losses of a generative adversarial network
(GAN) "combine the different goals of the generator and the discriminator".

The original GAN objective is a minimax game:

Both networks' losses can be written with the binary cross-entropy.

The two losses soon hover around their equilibrium values 1.386 and 0.693, and the mean of the
generated samples moves from 0.4 to about 3 within a few hundred steps, then oscillates around it
(between 2.85 and 3.57 in this run); the standard deviation swings from 0.16 to 0.96 and does not
settle at 0.5.

GAN training is a game between two networks, not a descent on one fixed surface: with both losses
near equilibrium the generated distribution can still be moving, so a GAN cannot be judged by its
loss curves alone; look at the samples.

Once a loss is written, check at least three things:

the gradient: torch.autograd.gradcheck compares autograd's gradient with finite differences in
float64.

Every loss in lossbook is tested along the same lines, more systematically: against an independent
reference (PyTorch, scikit-learn or an elementwise loop) for every option, every reduction, float32
and float64; gradients with gradcheck; and a clear error for every kind of bad input.

Putting a reusable loss into a package with tests is far more reliable than scattering versions of
it across notebooks.

Loss Functions in Deep Learning, Explained gives three principles: the type of the data
(classification or regression), the goal of the model (how sensitive to outliers it should be), and
the loss's effect on training.

The table makes them concrete and points to the chapter of this book that covers each loss.

One correction: the article says MSE "suits cases where outliers should be penalized".

More precisely, MSE penalizes large errors most and is therefore the most easily pulled off by
outliers; if the outliers are data errors, choose a robust loss such as MAE or Huber; MSE is the
right choice when large errors really cost more.

Once chosen, a loss still has to be checked: compare a few losses (and their hyper-parameters) on a
validation set, report the metric the task cares about, and fix the seeds so that the comparison can
be reproduced.

History's lesson is that many "better losses" shrink under a fair comparison (see A short history of
loss functions).

Each exercise comes with a checker: fill in the template (a function or an answer), run the cell,
and ex.<name>.check(...) compares your work with a reference on random and extreme inputs (float32
and float64, every reduction, the gradient).

It tells you that you passed, or shows the first failing case with the expected and the actual
values and a hint aimed at the usual mistake; for a prediction it checks your answer and, if it is
wrong, points at the likely slip in the reasoning. ex.<name>.hint gives a hint and
ex.<name>.solution a worked solution.

The stored outputs below show the templates still empty.

Square the error elementwise to get each sample's loss (the chapter's "loss"), then reduce: the mean
is the cost (the empirical risk), the sum is N times larger.

Predict first, then measure with the chapter's code.

The contours are nearly circles and gradient descent heads almost straight for the minimum: this is
why standardizing the inputs speeds up training.

If the cost used reduction="sum" instead, what is the largest learning rate that does not diverge?

The learning rate of 0.2 that works well in the chapter diverges with "sum".

Changing the reduction changes the effective learning rate, as the end of the chapter's "learning
rate" section says.

If it is raised further, to 50, will the balanced accuracy on the test set be clearly "higher" (by
more than a point), clearly "lower", or about the "same"?

Predict first, then measure by changing 19.0 to 50.0 in the chapter's loop.

The answer is "same": 0.9214 at 19, 0.9195 at 50.

Recall keeps rising (0.908 -> 0.954) and precision keeps falling (0.423 -> 0.304), while the
balanced accuracy (the mean of the two classes' recalls) hardly moves.

Beyond the class ratio a larger weight mostly trades precision for recall, and how much of that
trade to make depends on what the two kinds of error cost in the task.

The chapter's asymmetric squared loss has a piecewise weight (under where d<0, 1 elsewhere), so its
second derivative jumps at d=0.

The larger k, the closer to the piecewise loss; under=1 gives MSE.

It is infinitely differentiable, and under=1 gives MSE, the "special case" among the chapter's three
checks.

The line loss = criterion(output, target) that starts every training step rests on more than two
centuries of ideas: astronomers fitting planetary orbits invented least squares; communication
engineers defined entropy to measure information; statisticians designed robust losses to resist
outliers; and deep-learning researchers added a new family of losses for face recognition, speech
recognition and object detection.

This chapter follows that timeline: where each loss came from and which problem it solved, and it
re-runs a few of the key ideas in code.

It is also a corrected edition of the "history" section of the encyclopedia entry Loss Function (see
the preface).

Its timeline misattributes a few things (the origin of cross-entropy, a paper title, the 2005 and
2006 contrastive-loss papers); we check every row against the original papers, fix it, and bring its
"bottlenecks and future directions" up to date.

Every work cited in the book is listed in the bibliography.

The table below is the chapter's single source of data: the timeline figure is drawn from it, and
the text cites the original paper of every row.

Besides the works the entry lists, it adds the other milestones the chapters of this book rely on
(least squares, information theory, robust statistics, backpropagation, CTC, label smoothing, focal
loss,...).

The left part of the figure compresses 1795-2000 and the right part expands the years after 2000:
the first 190 years produced a handful of general ideas (squared error, entropy and divergence,
robust losses, the hinge), while in the twenty years after 2005 losses multiplied with the tasks of
deep learning, metric learning (green) above all.

The sections below follow themes rather than strict chronology.

The first loss used systematically was the squared error.

In 1805 Legendre published the "method of least squares" in an appendix to a book on the orbits of
comets: when there are more observation equations than unknowns, choose the solution that minimizes
the sum of squared residuals.

In 1809 Gauss, in his Theoria motus, gave it a probabilistic justification: if the observation
errors are normally distributed, the maximum-likelihood estimate is exactly the least-squares
solution; he also claimed to have used the method since 1795.

The encyclopedia entry says that "MSE should be a concept introduced by Gauss".

More precisely: Legendre published it first (1805); Gauss gave it its probabilistic grounds (1809).

The code checks both identities term by term with lossbook's MSE and MAE.

The two columns agree digit for digit: minimizing MSE is maximum likelihood under normal noise, and
minimizing MAE is maximum likelihood under Laplace noise.

This correspondence runs through the whole book: choosing a loss is choosing an assumption about the
noise (see the chapter on regression losses).

The weakness of the squared error was known early: the square of one outlier can outweigh all the
other data.

In 1964 Huber proposed a loss that is quadratic for small errors and linear for large ones, and
proved it minimax-optimal when a normal distribution is contaminated by a small fraction of
arbitrary errors.

The Smooth L1 loss that Fast R-CNN used for box regression in 2015 is a rescaled Huber loss.

The regression chapter implements and compares all three.

The classification losses descend not from statistics but from communication theory.

The two are tied together by the cross-entropy:

Since H(p) does not depend on the model, minimizing the cross-entropy, minimizing the KL divergence
and maximizing the likelihood are the same thing.

The encyclopedia entry says that "cross-entropy was proposed by Reuven Y.

This mixes up two different things.

Cross-entropy as a quantity comes from the information theory of the previous section (1948, 1951),
almost half a century before Rubinstein.

What Rubinstein introduced is the cross-entropy method: a Monte Carlo algorithm, first (1997) for
estimating the probabilities of rare events, then (1999) extended by him to combinatorial and
continuous optimization.

Its name comes from one step of the algorithm: refitting the sampling distribution to the best
("elite") samples, which amounts to minimizing the cross-entropy between the elites' empirical
distribution and the sampling distribution.

It is an optimization algorithm, not a loss function for neural networks.

The code below runs the cross-entropy method in a dozen lines to find the minimum of a multimodal
function: each round it samples 200 points from a normal distribution, keeps the best 10%, and
refits the mean and standard deviation to them.

Within a few rounds the sampling distribution shrinks onto the global minimum found by the grid
search: a gradient-free stochastic optimizer, which shares only its name with the cross-entropy loss
that classification networks minimize.

Two algorithms put the loss function at the centre of neural networks.

In 1951 Robbins and Monro introduced stochastic approximation, reaching the root of an equation from
noisy observations step by step: the ancestor of stochastic gradient descent (SGD).

In 1986 Rumelhart, Hinton and Williams showed how the chain rule carries the gradient of the error
back through a multilayer network, layer by layer; what they minimized was the sum of squared errors
between the outputs and the desired outputs.

From then on, any loss that is differentiable (almost everywhere suffices) can train a network of
any depth; the "two assumptions backpropagation makes about the cost", which the entry paraphrases,
are demonstrated with code in the chapter on the concepts of a loss.

Adaptive optimizers such as Adam (2015) changed how the step is chosen, not what is minimized.

The idea of a margin came back twenty years later in another form: L-Softmax, SphereFace, CosFace
and ArcFace in face recognition all put a margin into the softmax cross-entropy (see below).

When there are very many classes with few samples each (face verification, say), plain
classification no longer works, and one learns an embedding space instead, in which samples of a
class are close and samples of different classes far apart.

2005: Chopra, Hadsell and LeCun trained a Siamese convolutional network (two branches sharing
weights) to measure the similarity of faces, with a discriminative, energy-based loss that makes the
L_1 distance small for two faces of the same person and large for different people.

2014: Wang et al. learned fine-grained image similarity with a hinge loss on triplets (anchor,
positive, negative): deep ranking.

2015: FaceNet applied the triplet loss to L_2-normalized 128-dimensional face embeddings, with
online mining of "semi-hard" triplets; in 2017 Hermans et al. argued for the hardest positive and
negative within each batch (batch-hard).

2017: SphereFace (A-Softmax) normalized the weights and dropped the bias, so that the decision
depends on the angle only.

These "softmax losses with a margin" differ only in the target-class logit.

All four curves decrease with the angle; the larger the margin, the lower the curve.

The metric-learning chapter implements and compares these losses.

CTC (2006): in speech recognition the label sequence is much shorter than the input frames, and its
alignment is unknown.

GAN (2014): the objective of a generative adversarial network is a minimax game between a generator
and a discriminator, and both of their losses are built from the binary cross-entropy.

The chapter on the concepts of a loss writes both with lossbook's BCE.

Label smoothing (2016): Szegedy et al. mixed the one-hot target with a uniform distribution, which
keeps the network from pushing its logits towards infinity and becoming over-confident.

This is the "loss for class imbalance" that the entry names as a future direction.

See the chapter on classification losses.

The table also leaves out several milestones this book relies on: robust losses (Huber 1964,
quantile regression 1978), the hinge loss (1995), CTC (2006), label smoothing (2016), focal loss
(2017) and ArcFace (2019); all are in the timeline at the top of this chapter.

The encyclopedia entry, written around 2018, saw the bottlenecks in "softmax is not enough to
maximize discriminative power in classification" and "no loss is universal across tasks", and
predicted losses for class imbalance (focal loss) and for fine-grained tasks (triplet loss).

The years since can be summarized in five points.

Discriminative power was largely solved by softmax losses with a margin, but the progress was
overstated.

CosFace and ArcFace became standard practice in face recognition.

Yet when Musgrave et al. re-ran many metric-learning losses under identical conditions (the same
network, augmentation, hyper-parameter search and validation), the gains of the new losses over the
classic contrastive and triplet losses were far smaller than the papers reported.

The lesson: comparisons of losses need fair baselines and careful validation.

Every experiment in this book ships with its code and its seeds so that comparisons can be
reproduced.

A "universal loss" arrived in an unexpected form: nearly everything became a cross-entropy.

Large language models are trained with the cross-entropy of the next token; the InfoNCE loss of
contrastive learning is a softmax cross-entropy that picks the positive out of a batch of
candidates; CLIP applies a cross-entropy to the rows and to the columns of the image-text similarity
matrix; the DPO loss that aligns language models with human preferences is a logistic (binary
cross-entropy) loss on the difference of two answers' log-probability ratios.

The information-theoretic quantity of 1948 became the most general training objective.

The loss decides confidence as well as accuracy.

Guo et al. found modern deep networks trained with cross-entropy to be systematically
over-confident; label smoothing and the focal loss change calibration as well as accuracy.

Choosing a loss means checking calibration too (reliability diagrams, ECE).

Class imbalance remains an everyday problem.

The focal loss is a standard component of dense object detection, used alongside class-weighted
cross-entropy and resampling (the concepts chapter measures what a weighted loss does).

The gap between the training objective and the evaluation metric remains.

We minimize differentiable surrogates (cross-entropy, CTC) and report accuracy, mAP or word error
rate.

Bringing the two closer is still an active research direction.

Each exercise comes with a checker: fill in the template (a function or an answer), run the cell,
and ex.<name>.check(...) compares your work with a reference (torch.linalg.lstsq, PyTorch's
gaussian_nll_loss or a direct brute-force computation) on random and extreme inputs.

It tells you that you passed, or shows the first failing case with the expected and the actual
values and a hint aimed at the usual mistake; for a prediction or a reading it checks your answer.
ex.<name>.hint gives a hint and ex.<name>.solution a worked solution.

The stored outputs below show the templates still empty.

How many rows of the chapter's EVENTS table fall in the 2010s (2010 to 2019)?

Count them with code rather than on the figure.

14: two in 2014, three each in 2015, 2016 and 2017, two in 2018 and one in 2019, the most of any
decade; 9 of them are metric-learning losses.

The whole 19th century has two (Legendre and Gauss).

A common miscount is 16, which includes 2021 and 2023.

Set its partial derivatives with respect to w and b to zero, solve in closed form, and write
my_least_squares_line(x, y) returning torch.stack([w, b]) (slope first).

Do not call torch.linalg.lstsq: the checker uses it as the reference and compares the values and the
gradients with respect to x and y, including a float32 case with x near 10^4.

the solution of Legendre's "normal equations" for two unknowns.

Centring before multiplying avoids the cancellation.

Averaged over the samples this is the chapter's identity.

For any data, lossbook.quantile_loss(y_hat, y, q=0.5) is how many times lossbook.mae_loss(y_hat, y)?

Derive it from the formula, then confirm it with lossbook.

Write one round of the body of the chapter's cross-entropy-method loop as my_cem_step(x, fx,
elite_fraction=0.1): x holds the round's samples and fx their values f(x) (to be minimized); keep
the round(elite_fraction len(x)) elites with the smallest f and return their mean and standard
deviation (mean, std), the parameters of the next round's sampling distribution (the standard
deviation as the chapter computes it, elite.std).

The checker compares on 10 to 200 samples, elite fractions from 2 % to 50 %, float32 and float64.

Sort by f in ascending order, keep the first k samples as the elites, and fit the normal
distribution to them by maximum likelihood: their mean and standard deviation (the chapter's
elite.std, with denominator k-1).

This step, fitting the sampling distribution to the elites, is the one that minimizes the
cross-entropy between the elites' empirical distribution and the sampling distribution, and gives
the method its name.

The usual mistakes: the samples with the largest f (that maximizes), the elites' values f instead of
their positions x, a fit to all the samples, the variance instead of the standard deviation, or a
standard deviation with denominator k.

Predict first, then measure over a few seeds with your my_cem_step from the previous exercise (or
the chapter's code).

The global minimum x=2.1915 is found in 20 of 20 runs with 10 %, 19 with 2 % and only 17 with 50 %:
a larger elite fraction is slower here and not even more reliable, because the wide, slowly
shrinking distribution can still settle in a neighbouring valley.

The conclusion depends on the seed; a single run can easily mislead.

A regression model predicts a real number: a price, a temperature, the coordinates of a box.

This chapter covers eight regression losses: MSE, MAE, Huber, Smooth L1, MSLE, MAPE, log-cosh and
the quantile (pinball) loss.

For each we give the formula and its derivative, compute it with lossbook, plot the loss and its
gradient against the error, and discuss when it fits.

On the way we meet the central fact of the chapter: choosing a loss chooses what the model
estimates: the mean, the median or a quantile.

All code calls lossbook: each loss is written from its formula in plain PyTorch, its derivative
written by hand in a torch.autograd.Function, and checked in the test suite against PyTorch and
scikit-learn.

Every function takes reduction="mean" (the default), "sum" or "none", and has an nn.Module of the
same name (e.g. lossbook.HuberLoss(delta=1.0)).

The figure below draws the six losses that depend on the error d alone, and their gradients.

Look at the shape of the gradients: MSE's grows linearly with the error, MAE's has constant size 1,
and Huber, Smooth L1 and log-cosh behave like MSE for small errors and like MAE for large ones.

MSE, also called the quadratic or L2 loss, is the objective of least squares.

It is differentiable everywhere and its gradient is proportional to the error: the larger the error,
the harder the correction.

That is also its weakness: an outlier with error 100 produces 100 times the gradient of a point with
error 1, and 10,000 times the loss.

The overview Loss Functions demonstrates MSE with nn.MSELoss on the tensors below.

We recompute it with lossbook and print PyTorch's result beside it:

The four errors are -0.5, 0.5, 0, 1; squared, 0.25, 0.25, 0, 1; their mean is 0.375.

lossbook writes the derivative 2d in the code instead of letting autograd chain three nodes (sub,
pow, mean).

Common Loss Functions in Deep Learning plots MSE for a target of 100 and predictions from -10000 to
10000.

The code below computes both on the same data; they are not equal.

The size of MAE's gradient does not depend on the error: an outlier pulls on the parameters no
harder than an ordinary point, so MAE is robust to outliers.

The price: it is not differentiable at d=0 (lossbook, like PyTorch, takes the subgradient 0 there),
and its gradient does not shrink near the optimum, so gradient descent with a fixed learning rate
keeps oscillating around it.

The MAE example of the overview Loss Functions:

On the data above MAE is 0.5 and MSE is 0.375: different quantities.

MSLE compares logarithms, that is ratios: predicting 20 for 10 costs about as much as predicting
2000 for 1000.

It suits positive targets that span orders of magnitude (sales, populations, counts), and it
penalizes under-prediction slightly more than over-prediction.

Inputs and targets must exceed -1, where the logarithm is defined; lossbook says which argument and
which value are wrong.

MAPE measures the error on the scale of the target and returns a fraction (lossbook, like
scikit-learn, returns 0.1 for 10 %).

The two computations side by side in float32:

In the red regions the direct computation gives inf and its curve breaks off; the stable formula
runs to the end.

The quantile loss charges q per unit of under-prediction and 1-q per unit of over-prediction.

With q=0.9 under-predicting costs nine times as much, so the model raises its prediction until only
10 % of the samples lie above it: it estimates the 0.9-quantile.

With q=0.5 it is half the MAE.

Training one model with several values of q gives prediction intervals.

Suppose the model can only output a constant c.

On a right-skewed sample (log-normal, like incomes or house prices) these three numbers differ a
lot.

Below, gradient descent minimizes each lossbook loss, next to the statistic NumPy computes directly:

The constants gradient descent finds match NumPy's mean, median and 0.9-quantile (the gradients of
MAE and of the quantile loss do not shrink, and Adam's steps leave the result within about 0.01 of
the optimum).

Huber's minimizer lies between the mean and the median: it treats small errors like MSE and large
ones like MAE.

The true relation is y = 2x + 1 plus small noise, but 10 % of the points are replaced by outliers
far from the line.

We train one linear model with one optimizer, with MSE, MAE and Huber as the loss
(lossbook.book.training.fit, full-batch gradient descent), and compare the fitted lines.

MSE's line is dragged down by the outliers (it estimates the conditional mean, and the outliers pull
the mean down); MAE and Huber are barely affected and recover a slope and intercept close to 2 and
1.

That is the point of a robust loss: an outlier's contribution to the gradient is bounded.

Each exercise comes with a checker: fill in the template (a function or an answer), run the cell,
and ex.<name>.check(...) compares your work with lossbook's reference on random and extreme inputs
(float32 and float64, every reduction, the gradient).

It tells you that you passed, or shows the first failing case with the expected and the actual
values and a hint aimed at the usual mistake. ex.<name>.hint gives a hint and ex.<name>.solution a
worked solution.

The stored outputs below show the templates still empty.

with reduction="mean", "sum" and "none".

Compute both pieces for every element and let torch.where choose.

The checker compares it with the gradient autograd computes through lossbook.log_cosh_loss,
including large errors such as |d|=10^4.

On the sample of "The loss decides what the model estimates", change the quantile loss's q from 0.9
to 0.1.

Will the best constant land above the sample's median ("higher"), below it ("lower"), or stay
("unchanged")?

Write down your prediction and check it, then measure with best_constant and compare with
np.quantile(sample, 0.1).

With q=0.1 an under-prediction costs 0.1 per unit and an over-prediction 0.9, so the prediction is
pushed down.

Both numbers are about 0.28, while the median is about 1.

In the line fit with outliers, raise the share of outliers from 10 % to 40 % (change n // 10 to 2 n
// 5 in the data cell) and run the data and fitting cells again.

What slope does MAE find (three decimals)?

Does MAE still recover the true line?

About 1.825 (Huber about 1.807, while MSE collapses to 1.063).

MAE estimates the conditional median, which ignores outliers only while they are a minority that
does not move it.

All the outliers here lie below the line, so each one pushes the median of the residuals down a
little; at 40 % the fit is visibly off the true slope of 2, though far better than MSE's.

A classifier answers "which class?": is this e-mail spam, which digit is written in this 8x8 image,
is there a person, a car in this photo.

The model outputs a real score (logit) per class, which a sigmoid or a softmax turns into
probabilities; the loss compares these scores with the true labels and returns a differentiable
number, and training makes its average over the training set as small as possible.

This chapter covers every classification loss of the sources and more: the 0-1 loss, binary
cross-entropy (BCE) and BCE-with-logits, cross-entropy (from information theory, with the KL
divergence, the softmax gradient p-y, NLL and label smoothing), the hinge loss (binary and
multi-class) and the focal loss.

Then it runs experiments on real data (the handwritten digits that ship with scikit-learn): three
losses on an imbalanced problem, the "slow learning" of MSE behind a sigmoid, and a corrected
convolutional classifier.

Every formula is computed by lossbook and checked against PyTorch and scikit-learn.

A multi-label problem is C binary problems side by side, so it takes BCE, not softmax cross-entropy:
a softmax makes the class probabilities sum to 1 and the classes compete, while multi-label classes
do not exclude each other.

To predict, binary and multi-label models threshold each sigmoid probability at 0.5 (a logit above
0); a multi-class model takes the class of largest softmax probability (largest logit).

One computation per task type:

The most direct classification loss only asks "right or wrong?":

Its mean is the error rate (one minus accuracy), its "sum" the number of mistakes.

The table in Losses for Classification Tasks: true label 1 predicted as 1, loss 0; true label 2
predicted as 1, loss 1. lossbook.zero_one_loss takes predicted labels or a matrix of scores (reduced
by argmax) and agrees with scikit-learn's zero_one_loss:

A Python identifier cannot start with a digit: 0_1_loss is a SyntaxError (0_1 on its own is the
integer literal 01).

Any valid name fixes it; here is the corrected code, run on the data above:

The 0-1 loss is exactly what we care about in the end, and it cannot be trained by gradient descent.

It is a piecewise-constant function of the scores: a small change of a score does not change the
argmax, so the loss does not change and its derivative is 0; at the point where the argmax does
change it jumps, and has no derivative.

The gradient is 0 or undefined everywhere, and the optimizer learns nothing about which way to go.

The result of lossbook.zero_one_loss therefore never requires a gradient.

Below we raise the score of class 2 of the second sample little by little: the loss does not move
until that score passes class 1's score (1.5), where it drops at once from 0.25 to 0.

As a function of the margin the 0-1 loss is a step:

So in practice we train a surrogate of the 0-1 loss: cross-entropy, the hinge loss and the like,
continuous and differentiable (or almost everywhere differentiable) upper bounds; we train those and
report the 0-1 loss (the accuracy).

The rest of the chapter is about these surrogates.

The table in Losses for Classification Tasks says BCELoss takes probabilities, needs a sigmoid of
your own and is "less stable", while BCEWithLogitsLoss takes logits and is "more stable".

Side by side (every target is 0):

The lesson: do not put a sigmoid in the model's last layer; hand the logits to
binary_cross_entropy_with_logits, and compute torch.sigmoid separately when a probability is wanted
(to report it or to threshold it).

Its pos_weight multiplies the positive term by a weight q; q>1 raises recall, which helps
multi-label problems with rare positives.

and the excess is the relative entropy of Kullback and Leibler (the KL divergence):

In classification p is the distribution of the true label (one-hot) and q the model's softmax
output.

H(p) does not depend on the model, so minimizing the cross-entropy minimizes the KL divergence, and
maximizes the likelihood of the true class.

With a "soft" target distribution t=(0.7,0.2,0.1) the three quantities differ:

The article says cross-entropy "describes the distance between two probability distributions" and
that "the smaller the cross-entropy, the closer the distributions".

For a fixed p it is indeed smallest at q=p, which is what makes it a loss; "how far apart" is
measured by the KL divergence H(p,q)-H(p), non-negative and zero only at p=q, but also asymmetric
and without the triangle inequality: a divergence, not a distance.

The entry says cross-entropy "was proposed by Reuven Y.

Rubinstein in 1999" and names his paper "The simulated entropy method...".

Cross-entropy as a quantity comes from information theory: Shannon's entropy of 1948 and Kullback
and Leibler's relative entropy of 1951.

What Rubinstein introduced is the cross-entropy method, a Monte Carlo algorithm first for rare-event
simulation, then for combinatorial and continuous optimization; the 1999 paper is "The Cross-Entropy
Method for Combinatorial and Continuous Optimization".

It uses cross-entropy; it is not where the classification loss comes from.

The same loss can be computed from a probability target (the one-hot vector) or straight from the
class index; a single sample is an input of shape (C,) with a 0-D index:

Checked with autograd on lossbook:

That is why it is faster than PyTorch's built-in in the 4096x1000 benchmark.

With label smoothing and class weights the gradient is a_i p - b_i e_y_i - c_i w, with the
coefficients of its documentation:

PyTorch's CrossEntropyLoss takes logits and computes log(softmax(.)) itself, so no softmax is
needed, or wanted, before it.

The negative log-likelihood (NLL) loss only "picks the true class's entry and negates it":
L_i=-w_y_ix_i,y_i, with an input that should already hold log-probabilities.

So log_softmax followed by NLL is exactly cross-entropy.

The cross-entropy and NLL snippets of the overview Loss Functions use the same outputs and targets:

A model whose last layer is already a softmax, followed by CrossEntropyLoss, computes a "double
softmax": no error is raised, but the loss is flattened, the gradients shrink and training slows
down.

The same logits fed directly, and after a softmax:

It often helps generalization and calibration (whether the predicted confidence matches the actual
accuracy,).

The same small network trained on the digits, with and without smoothing; test accuracy and mean
confidence (the largest softmax probability):

Note, though, that the smoothed model's mean confidence (0.84) is now below its accuracy (0.98):
label smoothing does not calibrate by itself, and can make a model under-confident; in practice it
is combined with a calibration step such as temperature scaling.

Unlike cross-entropy it does not care how confident a correct prediction is, and it gives no
probabilities. lossbook.hinge_loss agrees with scikit-learn's hinge_loss:

The multi-class hinge loss (the Weston-Watkins form, PyTorch's multi_margin_loss) wants every wrong
class to score at least margin below the right one:

Note that PyTorch divides by C even for "sum", and lossbook does the same.

The example of PyTorch's documentation:

The three surrogates are convex upper bounds of the 0-1 loss that grow linearly (or quadratically)
for m<0, so they always have a gradient toward a larger margin; the logistic loss keeps a small
positive gradient for large m, the hinge loss is exactly 0 beyond m=1.

In object detection an image has tens of thousands of candidate boxes, nearly all of them easy
background.

Each easy sample has a small cross-entropy, but there are so many that together they dominate the
loss and its gradient.

The focal loss of Lin et al. multiplies cross-entropy by a modulating factor:

p_t is the probability the model gives the true class.

The multi-class version uses the softmax probability of the true class, p_y, for p_t.

Computed with softmax_focal_loss (logits are the logarithms of the probabilities, so the softmax
gives those probabilities back):

The article says that with the focal loss "the easy sample's loss shrinks nearly 100 times".

The article's focal-loss code has four errors:

A constant for all samples only rescales the loss; it no longer balances positives against
negatives.

Clamping probabilities before the logarithm also loses precision for large logits; compute from
logits, as lossbook.sigmoid_focal_loss does (like torchvision's implementation).

Below, with only the two typos fixed, the source's code against the correct focal loss on four
samples:

The correct focal loss pushes both easy samples close to 0 and leaves the hard ones a large loss;
the article's code pushes the hard negative (BCE 3.0) down to 0.0019, while the easy negative keeps
a modulating factor of (1-0.05)^2=0.90 and a loss more than a hundred times the correct one.

The focal loss was proposed for class imbalance.

We build an imbalanced problem from scikit-learn's digits: the training set keeps only 8 images each
of the digits 3, 5 and 8, against about 135 of every other digit (the minority classes are about 2 %
each), and the test set stays as it is (balanced).

One small network (an MLP 64-32-10, Adam, 150 full-batch epochs) is trained with four losses, five
random seeds each:

The metrics are the mean recall over the minority classes (3, 5, 8: the share of those test digits
recognized) and their mean average precision (AP: the class's softmax probability as a one-vs-rest
score, the area under the precision-recall curve over all thresholds, so independent of any
threshold).

The results deserve a close look.

The focal loss targets "too many easy samples", not "skewed class priors": the minority samples here
are soon fitted well (their p_t on the training set is close to 1), and the modulating factor
down-weights them just like the majority; what moves the decision boundary is the per-class weight.

AP, which does not depend on a threshold, differs less between the methods than recall: weighting
mostly moves the decision threshold toward the minority classes rather than learning a better
ranking.

The lesson: handle skewed priors with class weights (or resampling) first, then see whether the
focal loss adds anything, and measure with a threshold-free metric (AP).

The encyclopedia entry Loss Function says MSE combined with a sigmoid can learn slowly.

In cross-entropy's gradient the factor is cancelled exactly by the derivative of the logarithm.

MSE's curve starts almost flat: in 100 epochs its output only falls from 0.98 to 0.80, and it speeds
up only once it leaves the saturated region; cross-entropy falls fastest at the start and brings the
output below 0.2 in about thirty epochs.

The same holds for many classes: MSE on a softmax output carries the factors of the softmax
Jacobian, while softmax with cross-entropy has the clean gradient p-y.

Losses for Classification Tasks ends with a convolutional network trained with cross-entropy on
MNIST.

Its code has several errors, and it needs a download.

We correct the errors and use scikit-learn's 8x8 digits instead (installed with the package, no
download).

The errors of the article's MNIST code, and their corrections:

While training, the cell shows a one-line progress display (epoch and loss), erased when training
ends so that nothing of it stays in the stored notebook.

The test loop as the article writes it, with the argmax unpacking and the format string corrected:

Row i, column j of the confusion matrix counts the test samples of true digit i predicted as j; the
diagonal holds the correct ones:

A small network with a single convolution, trained for 15 epochs, reaches about 98 % accuracy on the
450 test images; its dozen or so remaining mistakes are spread over a few pairs of similar-looking
digits (an 8 read as a 1, for instance).

It tells you that you passed, or shows the first failing case with the expected and the actual
values and a hint aimed at the usual mistake. ex.<name>.hint gives a hint and ex.<name>.solution a
worked solution.

The stored outputs below show the templates still empty.

with reduction="mean", "sum" and "none".

Find a form that never takes the log of a number rounded to 0 and never exponentiates a large one.

The usual mistakes: a sigmoid followed by BCE on probabilities (torch and lossbook clamp each log at
-100, so a confident mistake at a logit of 10^4 costs only 100 and gets no gradient, as the table
earlier in this chapter shows), the two terms swapped, the minus sign dropped.

Do not call cross_entropy, nll_loss or log_softmax (torch.logsumexp is fine).

Index with (torch.arange(N), target) so that each row picks its own true class.

The code of Losses for Classification Tasks makes two mistakes here (see this chapter's erratum),
and the checker knows them.

lossbook.cross_entropy(x, y, weight=w) weights each sample's loss by its class, with the default
reduction="mean".

If every class weight is multiplied by 10 (weight=10 w), does the loss get larger ("larger"),
smaller ("smaller") or stay the same ("unchanged")?

Write down your prediction and check it, then measure on a small batch.

With class weights, "mean" does not divide by the number of samples N but by the sum of the weights
it used:

a weighted average, in which a common factor cancels between numerator and denominator: neither the
loss nor its gradient changes, and only the ratios between the class weights matter.

Multiplying one class's weight by 10 does change the loss: the average moves toward that class's
mean loss.

With reduction="sum" the loss would be 10 times larger. lossbook follows torch's convention.

Go back to the table of this chapter's imbalanced-digits experiment.

The class weights ("weights").

The focal loss targets "too many easy samples", not "skewed class priors".

The column, printed from the experiment's results:

A classifier trained with softmax cross-entropy answers one question: which of the C classes seen in
training is this?

Many real tasks ask a different one: are these two images the same person? (face verification),
which images in the database look like this one? (retrieval), is this someone we have never seen?
(open-set recognition).

The classes at test time are not the classes of training: new people enrol every day.

Metric learning trains f directly for that.

Its losses all pursue one aim, stated in two numbers: small intra-class distances and large
inter-class distances.

This chapter follows that thread from the first pair loss to the margin-softmax family used by
today's face recognition systems:

Every loss here is implemented in lossbook.metric_learning (re-exported as lossbook.), checked in
the test suite against PyTorch's triplet_margin_loss, brute-force loops, the papers' formulas and
pytorch-metric-learning, and trained below on real images: scikit-learn's handwritten digits.

Every loss in this chapter compares embeddings through a distance. lossbook computes them in one
place, lossbook.pairwise_distances (all pairs of rows) and lossbook.paired_distances (row i with row
i):

One detail matters more than it seems.

In a batch, a distance of exactly zero is common: every sample has distance 0 to itself on the
diagonal of the distance matrix, and two identical images (or an embedding that has collapsed) give
duplicates.

One NaN in a gradient poisons every weight at the next step. lossbook takes the square root through
a double torch.where that gives the subgradient 0 where s=0:

The zero vector has no direction, so its cosine distance to anything is set to 1 (cosine 0), as
torch.nn.functional.normalize would give.

The test suite checks every distance against a loop and with gradcheck, and checks that duplicate
embeddings give finite gradients in every loss of the chapter.

The contrastive loss acts on pairs (x_1,x_2) with a label y: 1 if the two belong together, 0 if not.

A similar pair is pulled together by a spring whose force grows with the distance.

A dissimilar pair is pushed apart only while it is closer than m: beyond the margin it costs
nothing, so the loss does not spend effort pushing apart pairs that are already well separated (the
paper's spring analogy: attract-only and repel-only springs).

Without the margin, the loss would be minimized by sending dissimilar pairs to infinity.

Note the convention: the paper writes Y=0 for a similar pair; lossbook, like most libraries, uses
target = 1 for "similar". pytorch-metric-learning's ContrastiveLoss is another variant (unsquared
distances, a positive and a negative margin, an average over the non-zero terms only): numbers from
it are not comparable with this one.

Source 002 writes that in 2005 "Yann LeCun et al. proposed the contrastive loss... first applied to
dimensionality reduction", citing Chopra, Hadsell and LeCun, Learning a similarity metric
discriminatively, with application to face verification (CVPR 2005).

So contrastive learning of a similarity was first applied to face verification (2005); its
application to dimensionality reduction, with today's formula, is the 2006 paper.

The formula running, for a similar pair at distance 0.5 and dissimilar pairs at distances 0.5 and
1.5 (margin 1):

The contrastive loss asks for absolute distances: similar pairs near 0, dissimilar ones beyond m.

The triplet loss asks only for an order.

A triplet is an anchor a, a positive p of the same class and a negative n of another class; the
positive must be closer to the anchor than the negative, by a margin m:

Wang et al. used triplets to learn fine-grained image similarity with a deep ranking network (2014);
FaceNet trained a face embedding with it (2015) and made it famous.

A relative constraint is easier to satisfy for classes of very different spreads, and it is what
retrieval needs: the right answer ranked before the wrong ones.

Source 000 gives a PyTorch module for the triplet loss.

Here it is, verbatim, on its own example (16 random embeddings of dimension 128), next to lossbook
and PyTorch:

The two are different losses, and on the source's own example they differ by two orders of magnitude
(above).

Neither is wrong: FaceNet uses squared distances on L2-normalized embeddings with m=0.2; PyTorch
uses plain ones.

But the margin means something different in each, so a margin tuned for one does not carry over to
the other. lossbook.triplet_margin_loss computes both and says which: squared=False (default) agrees
with PyTorch, value and gradient; squared=True is the source's module.

What do squared distances change?

Fix d(a,p)=0.5 and m=0.2 and move the negative:

With plain distances the loss is linear in d(a,n) and the negative is pushed with a force of
constant size 1 until it leaves the margin at d(a,n)=d(a,p)+m=0.7.

That is the case that matters most (a negative sitting on top of the anchor), and squared distances
give it the weakest gradient.

On the other hand, squared distances have no square root, hence no trouble at zero distance, and are
cheaper.

Both train well in practice; the margin just has to be chosen for the distance in use.

Every experiment below uses the same data, network and budget, so that the numbers can be compared.

The embedding is trained on digits 0-4 only.

Two scores: the test accuracy on the test images of digits 0-4 (the classes seen in training; a loss
without a classifier, like the triplet loss, classifies by the label of the nearest training
embedding), and recall@1 on the held-out digits 5-9, classes the network has never seen: each test
image of 5-9 queries all the others, and counts as a hit if its nearest neighbour (cosine distance)
has the same label.

The second score is the open-set question metric learning is for.

Adam, learning rate 0.01, batches of 64, 15 epochs: a fraction of a second of CPU per run, up to
about 3 s for the losses that evaluate every triplet or every pair of a batch.

Two baselines first, and a humbling one: on 8x8 digits, the nearest neighbour in raw pixel space
already retrieves the right digit 99 % of the time, and a randomly initialized network keeps most of
that.

Digits are an easy data set for retrieval; what the losses below do is visible in how much of this
structure survives when the network is trained on digits 0-4 and then asked about 5-9.

Training an embedding for some classes tends to specialize it to them: that gap between the seen and
the unseen classes is the real problem of open-set recognition, and the thing the margin and the
mining strategy influence.

Source 000 advises: start from a common value such as 0.2, 0.5 or 1.0, then grid-search on a
validation set (for example 0.1, 0.2,..., 1.0), use domain knowledge, cross-validation, possibly a
margin that grows during training, and visualize the embedding.

It adds: "if the model performs poorly on the validation set, try a smaller margin; if it overfits,
try a larger one".

Sound advice overall, with two caveats the experiment below makes concrete:

The margin only has a meaning relative to the scale of the distances.

On unnormalized embeddings, the network can satisfy any margin by scaling all embeddings up: the
margin then acts as nothing more than a scale.

A margin that cannot be met keeps every triplet active.

The sweep: the plain triplet loss over all triplets of each batch, six margins, two seeds each,
scored by recall@1 on the held-out digits.

The seen classes do not care: test accuracy on digits 0-4 stays near 99 % for every margin (the
classes seen in training are easy to separate).

The unseen ones do: recall@1 on digits 5-9 falls as the margin grows, and the largest margins are
clearly worst.

A large margin forces the network to spread digits 0-4 as far apart as the sphere allows, and it
does so by discarding the features that are not needed for 0-4, some of which were needed for 5-9.

Here a small margin (0.05-0.2) is best; the difference between seeds (the two dots) reaches 8
points, so only the trend, not the third decimal, is a finding.

Source 000's rule "poor validation score -> smaller margin" points the right way here; its
"overfitting -> larger margin" would have made things worse, since the larger margin is the
over-specialization.

Measure, on classes held out from training, as the experiment does.

A batch of B embeddings contains O(B^3) triplets, most of them already satisfied (zero loss, zero
gradient).

semi-hard (FaceNet): negatives farther than the positive but inside the margin,
d(a,p)<d(a,n)<d(a,p)+m.

How many triplets each strategy selects in one batch of 64, before and after training:

Before training, a sizeable fraction of all triplets are hard.

After training almost none are, and "all" averages the loss over tens of thousands of triplets that
are mostly zero: its gradient is diluted by the easy ones.

Now the comparison, on the same budget for every strategy (same network, data, batches, epochs,
margin 0.2; two seeds):

All four strategies classify the seen digits equally well (99.6-100 %).

On the unseen digits "all" and "hard" come out ahead of semi-hard and batch-hard by 5 to 9 points on
average; but two seeds of one strategy differ by up to 6 points, so on this small problem the
ordering is suggestive, not established.

First, the hard and semi-hard miners find almost nothing in a trained batch (the counts above): once
the seen classes are separated they stop training, which on such easy data acts like early stopping,
and may be why "hard" keeps the unseen digits best.

Batch-hard pushes hardest on the seen classes (the farthest positive and the nearest negative of
every anchor, at every step): that is what it is built for, re-identification with thousands of
identities where nearly all triplets are easy, and also why, on five easy classes, it specializes
the embedding the most.

The FaceNet and batch-hard papers compare strategies on large, hard data sets; on 8x8 digits the
honest conclusion is that mining mostly buys speed.

Softmax cross-entropy makes the classes separable, not compact: features only have to fall on the
right side of linear boundaries, and they spread out in long radial streaks.

Wen et al. add a term that pulls every deep feature x_i towards a learned center c_y_i of its class:

with n_j the number of samples of class j in the batch (the 1+n_j keeps a class with few samples
from jumping).

The paper's classic figure trains a network with a 2-D feature layer on MNIST and plots the
features.

With softmax alone the five classes occupy five wedges that fan out from the origin: separable, but
each class stretches far along its direction, and a large distance between two samples says little
about their classes.

With the center loss each class contracts around its center, and the ratio of within-class to
between-class distance printed above drops accordingly; accuracy on the seen digits is unchanged.

That compactness is what a distance-based use of the features (verification by thresholding a
distance, retrieval) needs.

The radial streaks of the plot above are the reason the margin family works on angles: the class is
decided by the angle, and the norm only sharpens the softmax.

Our runs are a hundred times shorter than the paper's, so we compress it with lambda_gamma=2.0.

CosFace subtracts m from the cosine; ArcFace adds m to the angle.

The plane below shows where class 1 wins with its margin (blue), where class 2 does (orange), and
the margin zone in between, where neither does and the loss keeps pushing.

The figures follow the comparisons drawn in the CosFace and ArcFace papers, computed here with
lossbook's own logit functions:

CosFace's zone has constant width in cosine, hence variable width in angle.

ArcFace's is a band of constant width m along the diagonal, in angle: the geodesic margin on the
hypersphere that gave it its name ("additive angular margin").

As for the center loss, a 2-D feature layer lets us look at what the losses do.

Two dimensions are cramped for five classes, so these runs show shapes, not accuracy (the table at
the end uses 16-D features).

The grey rays are the directions of the class weights W_j:

Each class now occupies a narrow angular sector close to its weight direction, with empty angular
gaps between neighbours: the margin made visible.

L-Softmax and A-Softmax leave the feature norm free and their classes stretch radially (the angle
decides, the norm only sharpens); CosFace and ArcFace only see the direction of the feature, so its
norm is not trained at all and the radial extent carries no information.

ArcFace runs here with s=30: with the face-recognition default s=64 this 2-D run put digits 0 and 4
into one sector (accuracy 0.94).

Finally the 16-D runs of the softmax family, and the table of every loss trained in this chapter, on
the same network, data and budget (seed 0):

Seen classes: every loss classifies the test images of digits 0-4 at about 98-100 %.

On a closed set, all of them work, and plain softmax is as good as any: the margins are not for the
classes you trained on.

Unseen classes: recall@1 on digits 5-9 is the number metric learning is about, and there every
trained network is below the untrained network (by 19 to 38 points) and the raw pixels (by 26 to 46
points).

Training on five classes specializes the features to those five.

The losses differ in how much they lose: the triplet loss with a small margin (0.65-0.73) and the
cosine-margin losses CosFace and ArcFace (0.69-0.71) keep the most; L-Softmax and A-Softmax (0.64)
and the contrastive loss (0.60) less; softmax, with or without the center loss (0.54-0.56), the
least.

The center loss made the seen classes compact (the 2-D plot), which does not carry over to unseen
ones.

Noise: the two-seed runs above show differences of several points between seeds of one
configuration.

Differences of that size in this table are not findings; the ordering of the groups is.

These are the conditions of a small textbook experiment (675 training images, five classes, one
minute of CPU).

The face-recognition papers train on hundreds of thousands of identities, where the margin losses'
advantage on unseen identities is large and well documented; Musgrave et al. show, conversely, how
easily unequal training budgets inflate the differences between metric-learning losses, which is why
every run here shares one budget.

Source 002 tells the history of these losses; with the correction of the 2005/2006 confusion made
above, its sequence is right: contrastive loss (face verification 2005, dimensionality reduction
2006), triplet loss for fine-grained similarity (2014) and FaceNet (2015), center loss and L-Softmax
(2016), A-Softmax/SphereFace (2017), CosFace/LMCL (2018).

Two notes on its reference list: FaceNet's full title is FaceNet: A Unified Embedding for Face
Recognition and Clustering; and the story continues after 2018 with ArcFace's additive angular
margin, today's default, and with batch-hard mining for the triplet family.

The common idea of the whole line, stated by 002 itself, is the one this chapter measured: shrink
the intra-class distances, enlarge the inter-class ones.

Each exercise comes with a checker: fill in the template (a function or an answer), run the cell,
and ex.<name>.check(...) compares your work with a reference (lossbook's function, autograd or a
brute-force count) on random and edge-case inputs (float32 and float64, every reduction, identical
embeddings, the gradient).

It tells you that you passed, or shows the first failing case with the expected and the actual
values and a hint aimed at the usual mistake. ex.<name>.hint gives a hint and ex.<name>.solution a
worked solution.

The stored outputs below show the templates still empty.

for x1, x2 of shape (N,D) and target of shape (N,), 1 for a similar pair and 0 for a dissimilar one
(lossbook's convention, the opposite of the 2006 paper's Y), with reduction="mean", "sum" and
"none".

The checker uses float and integer targets and margins 1 and 2, compares your function's gradients
with respect to x1 and x2, and includes pairs of identical embeddings (d=0): the NaN-gradient trap
of the chapter's first section.

for anchor, positive, negative of shape (N,D); with reduction="none" it returns the (N,) per-triplet
losses.

The checker compares the values and the gradients with respect to all three inputs, and includes
positives and negatives identical to their anchor.

The usual mistakes: no hinge (well-separated triplets get a negative loss), squared distances copied
from source 000's module (another loss, see the erratum above), the two distances swapped, and a
broadcast: one distance taken with keepdim=True, so that (N,1) minus (N,) is an (N,N) matrix, which
mean reduces without complaint to a wrong number.

As for the contrastive loss, take the distances with torch.linalg.vector_norm: a hand-written sqrt
turns the gradient into NaN when a positive coincides with its anchor.

Then look back at the gradient plot that follows "What do squared distances change?" in the
triplet-loss section: why is the push of plain distances exactly of size 1?

With squared distances the gradient is 2(a_i-n_i), and the push weakens as the negative gets closer
to the anchor.

Write a function returning the number of valid triplets (a Python integer).

The checker compares it with a brute-force count by lossbook.mine_triplets, for P from 1 to 18 and K
from 1 to 5.

An anchor can be chosen in PK ways; a positive is one of the K-1 other samples of its class; a
negative is one of the (P-1)K samples of the other P-1 classes:

216 for P=4, K=3, and 14,688 for P=18, K=4 (72 images). (a,p) and (p,a) are two different triplets,
so there is no division by 2; with P=1 or K=1 there are none.

The count grows as B^3 with the batch size B=PK, while after training almost every triplet has zero
loss (the table of the mining section): the reason mining strategies exist.

"collapse": all features shrink towards one point and the classes merge.

Write down your prediction, then measure with the code of the solution (it reuses the chapter's
train).

The measurement (each line trains from scratch; the accuracy is the nearest-neighbour accuracy on
digits 0-4, chance being 0.2): the mean distance between class means shrinks from 0.30 to 0.019, and
the accuracy falls to 0.35; for comparison, softmax + center loss (15 epochs) gives a distance of
about 7.7 and a test accuracy of 0.99.

Softmax supplies the force that keeps the classes apart; the center loss only makes each of them
compact.

The contrastive and triplet losses contain both forces, a pull and a push, which is why they can be
used alone.

In the margin-softmax section's plot of the target logit against the angle, ArcFace's curve (m=0.5,
the default easy_margin=False) drops by a small step at one angle.

The checker accepts an error within 1 %.

When we read a line of text or a stretch of speech, the input is a long sequence (the pixel columns
of an image, the frames of an audio signal) and the output a much shorter one (characters).

The difficulty is that we know the text of the whole line but not which columns or frames each
character occupies: the labels are not aligned with the input.

Connectionist temporal classification (CTC) sidesteps the alignment: the network outputs a
distribution at every frame, and the probability of the target text is the total probability of all
frame-by-frame paths that "collapse" to it; the loss is its negative logarithm.

This chapter follows the CTC part of Common Loss Functions in Deep Learning (see the preface) and
goes further:

a small CRNN (convolutions + BiLSTM + CTC) trained on text lines composed from scikit-learn's
handwritten digits, with its line accuracy and character error rate on held-out lines.

lossbook.ctc_loss is a pure-PyTorch CTC: the forward-backward recursions run in log space,
vectorized over the batch and the extended-label positions with a loop over time only, and the
backward pass is written by hand.

Its semantics are those of torch.nn.functional.ctc_loss, and this chapter and the tests compare the
two number by number.

In speech recognition people speak at different rates: one word may take 20 frames or 50, the audio
is hard to cut into one piece per character, and aligning it by hand is slow and costly.

Text recognition has the same problem: characters are spaced differently and images are distorted,
so one character covers different numbers of columns in different images.

no correspondence between the elements of X and Y is given.

CRNN is the classic text recognizer trained with CTC.

The source says "let t be the time index, with 1<t<T".

The source says "taking argmax of each column y^t gives the probability of each class".

The probabilities of the classes are y^t itself (the softmax output); argmax gives the frame's most
probable symbol, not a probability.

A character repeated in consecutive frames counts once; two equal characters with a blank between
them count twice.

Different "writings" of a word (characters spanning different numbers of frames, blanks in different
places) thus give the same result.

The article's four examples (T=10):

The order of the two steps matters.

Dropping the blanks first and merging afterwards turns "-s-t-tatte" into "state" instead of
"sttate", and "to-o" into "to" instead of "too": the blank is what separates repeated characters,
and removing it first defeats its purpose:

Its parenthetical explanation is right, but the order must be merge repeats, then remove blanks; the
code above shows the counterexample.

The source says "the 3 different characters above all map to state".

These are 3 different paths (strings of length 10), not 3 characters.

Of the 3^4=81 paths, we check one by one which collapse to "ab":

lossbook.ctc_loss_bruteforce does exactly this (it lists all C^T paths, collapses, compares and sums
them in vectorized form, and refuses above about a million paths); it is the oracle of the tests.

The forward algorithm (next section) and PyTorch's native implementation give the same result:

The number of paths grows exponentially with T; they cannot be enumerated one by one.

3003 of nearly ten million paths collapse to "state"; the article's three are three of them, each
about five orders of magnitude below the total.

the network's current distribution minus the distribution CTC "expects" at that frame.

The three facts, checked on the "state" example:

lossbook.ctc_loss implements exactly this algorithm, arranged for speed:

batched and vectorized: the extended labels of the whole batch sit in one (N, 2S+1) array, and each
time step updates every sample and every position with a few whole-tensor operations
(torch.logaddexp, additions); Python loops over time only.

Each row is processed as one contiguous 1-D vector, where "s-1" and "s-2" are the vector shifted by
one and by two.

one common end: a sample shorter than the others continues after its last frame with "absorbing"
steps (only staying on the final blank is allowed, with probability 1), so every sample ends in one
place and the loop has no per-sample branch.

It is the true derivative with respect to log_probs, so it is right even when the input did not go
through log_softmax (check it with gradcheck: see the exercises).

The backward pass works a block of frames at a time, so its temporaries stay small.

With enough frames it becomes too small for floating point: the smallest float32 is about 10^-45,
the smallest float64 about 10^-324.

The recursion run directly on probabilities underflows to 0 after a few hundred frames, and the loss
becomes inf:

taking the maximum out keeps the exponentials from overflowing, and from all underflowing at once.

So even when no valid path exists at all (the labelling "aa" needs at least 3 frames, a - a, and
only 2 are given) the loss is inf and the gradient has no NaN (PyTorch's native implementation
returns NaN gradients here); zero_infinity=True sets such losses and their gradients to 0:

Solving that exactly is hard; two approximations are common:

It finds the most probable path, but the probability of the most probable labelling may be spread
over many paths.

prefix beam search (lossbook.ctc_beam_search_decode): extend candidate prefixes frame by frame,
keeping two probabilities per prefix, of its paths ending in a blank (p_b) and ending in its last
character (p_nb) (the distinction matters because a character right after the same character merges
with it, while after a blank it is a new one), and keep the beam_width most probable prefixes at
each frame.

With a wide enough beam nothing is pruned and the result is exactly the most probable labelling (the
tests check this against brute force).

The simplest counterexample has two frames with P(-)=0.6 and P(a)=0.4 each.

On random outputs of 6 frames over 3 symbols, greedy decoding and beam search often disagree, and
beam search's answer (checked by brute force) is the more probable one:

When the network is well trained and its outputs are "peaky" (nearly every frame has one symbol
close to probability 1), one path carries almost all the probability and the two decoders almost
always agree; the OCR model below is such a case.

Beam search earns its keep when the network is unsure, and when a language model is combined with
it.

Training lines use only the training split's digit images and held-out lines only the test split's,
so the held-out digits are handwriting the model has never seen.

Fourteen frames leave room for the longest lines of 5 digits even with repeated neighbours (which
need 5+4=9 frames).

Training uses lossbook.book.training.fit (Adam, batches of 64, learning rate 10^-2 for 10 epochs and
10^-3 for 4 more) with lossbook.ctc_loss as the loss.

After each epoch, greedy decoding on the held-out lines gives the character error rate (CER: the
total edit distance divided by the total number of true characters, lossbook.character_error_rate)
and the line accuracy (lossbook.sequence_accuracy).

It takes about half a minute on one CPU thread.

For the first two or three epochs the loss falls slowly and the CER stays near 1: the "all blank"
phase typical of CTC training, in which the network first learns to output the blank everywhere (the
most frequent symbol) and only then starts to "light up" characters at the right places, after which
the loss drops quickly.

The final model on the 500 held-out lines, greedy decoding against beam search (width 8):

The errors concentrate on long lines: the more digits a line has, the smaller its chance of being
entirely right, even at the same per-character error rate.

Some held-out lines and what the model read (red titles mark misread lines):

Greedy decoding finds the most probable path, beam search (approximately) the most probable
labelling; with peaky outputs they nearly always agree.

A CRNN of about forty thousand parameters, trained with CTC for half a minute on synthetic lines of
digits, reaches the line accuracy and character error rate reported above on handwriting it has
never seen.

Further reading: chapter 7 of Graves's monograph and Hannun's illustrated article.

The exercises check themselves.

Write your function (or set your answer) in the cell and run it: ex.<name>.check(...) compares it
with lossbook on random and edge-case inputs and says that everything passed, or shows the first
case that failed (the inputs, the expected value and yours) with a hint aimed at the likely mistake.
ex.<name>.hint prints a hint and ex.<name>.solution a worked solution; the solutions also follow
each exercise, folded.

The six exercises build up from the collapse map to the gradient; the last two ask you to predict a
measurement and to read one of the chapter's printed results.

For example my_collapse("-s-t-tatte", "-") is "sttate" and my_collapse([0, 3, 3, 0, 3, 5, 5], 0) is
[3, 3, 5].

The checker compares your function with lossbook.ctc_collapse on the article's paths, paths with a
blank between equal symbols, empty and all-blank paths, other blanks ("_" and 1) and random lists.

One pass is enough, provided each frame is compared with the frame just before it, not with the last
symbol kept: a symbol is kept when it is not the blank and differs from the previous frame.

A repeat of the previous frame is skipped (that is the merging), and a blank between two equal
symbols makes the second one differ from its predecessor, so it survives.

Dropping the blanks first would wrongly turn "to-o" into "to".

Write my_min_frames(target), the smallest such T, for a string or a list of labels (without blanks).

Reason first: how many frames do "state" and "hello" need?

The checker compares your answer with the smallest input length for which lossbook.ctc_loss is
finite, on words with and without repeated neighbours, the empty target and lists of labels.

"state" needs 5 frames (its two t's are not neighbours), "hello" 6 (l-l), "aaa" 5 (a-a-a).

In the chapter's OCR model a line holds at most 5 digits and needs at most 5+4=9 of the 14 frames,
so no sample is infeasible; even 7 digits would need at most 13.

Do not call lossbook.ctc_loss: the checker compares your function with it (reduction="sum") on
float32 and float64, repeated labels, the empty target, a target that does not fit (the loss is
inf), another blank, probabilities of exactly 0 and 1, and 200 and 400 frames, where probabilities
underflow; on short targets it also compares the gradient that autograd computes through your
function.

Only time needs a Python loop.

torch.autograd.gradcheck compares a backward pass with finite differences, moving one input entry at
a time.

Before running anything, predict which pass: "both", "lossbook only", "torch only" or "neither"?

Then measure (the code is in the solution).

The answer is "lossbook only":

The difference y^t_k is exactly what the log-softmax's Jacobian removes, so gradcheck on the logits
of F.ctc_loss(scores.log_softmax(2),...) passes too; PyTorch's gradient is wrong only when the input
of CTC is not the output of a log_softmax.

In the training log above, after the first epoch the held-out CER is 1.000 and the line accuracy
0.000.

What does greedy decoding return for the held-out lines at that point: "empty" strings, "random
digits", or "one digit per line"?

Reason from the definition of the CER.

The CER is the total edit distance over the total number of reference characters; an empty
prediction misses every character of its reference, so its edit distance is exactly the reference's
length, the CER is exactly 1 and the line accuracy 0:

Random digits would be right now and then, and surplus ones count as insertions, so the CER would
drift away from 1; a single guessed digit per line is often among the line's digits, which would
push the CER below 1.

Re-running the first epoch confirms it: all 500 held-out lines decode to the empty string, and the
blank is the argmax of every frame.

This is the all-blank phase described above: the blank fills most frames of every alignment, so
outputting it everywhere is the first thing the network learns; only then do the characters "light
up".
"""
