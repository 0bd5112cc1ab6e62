"""Exercises that check themselves, one module per chapter.

Used in a chapter (or anywhere) as::

    from lossbook.exercises import regression as ex
    ex.huber.check(my_huber)   # runs my_huber against lossbook on random and edge cases
    ex.huber.hint()
    ex.huber.solution()

Each check prints one message: that the answer passed, or the first failing case (inputs,
expected, got) with a hint aimed at the likely mistake, and returns a result that is true when
the answer passed (``assert ex.huber.check(my_huber)``). ``set_language("zh")`` switches every
message to Chinese, as the Chinese edition of each chapter does.
"""

from ._exercise import AnswerExercise, Case, CheckResult, Exercise, Feedback, Mistake
from ._function import FunctionExercise
from ._messages import Text, get_language, set_language

CHAPTERS = (
    "concepts",
    "history",
    "regression",
    "classification",
    "segmentation",
    "llm_cross_entropy",
    "distribution_matching",
    "metric_learning",
    "contrastive",
    "ctc",
    "transducer",
)

__all__ = [
    "set_language",
    "get_language",
    "Exercise",
    "FunctionExercise",
    "AnswerExercise",
    "Case",
    "Mistake",
    "Text",
    "Feedback",
    "CheckResult",
    "CHAPTERS",
]
