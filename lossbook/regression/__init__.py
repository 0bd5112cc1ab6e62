from ._pointwise import *  # noqa: F403
from ._pointwise import _Huber, _Squared, __all__  # noqa: F401
