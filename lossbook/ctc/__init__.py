from ._trellis import *  # noqa: F403
from ._trellis import __all__  # noqa: F401
