"""Vision functionals: one public function per operation, dispatching on the input's type.

Same names and argument meanings as ``torchvision.transforms.v2.functional``.
"""

from .._dispatch import register_kernel  # noqa: F401
from ._augment import *  # noqa: F403
from ._color import *  # noqa: F403
from ._geometry import *  # noqa: F403
from ._meta import *  # noqa: F403
from ._misc import *  # noqa: F403
from ._utils import *  # noqa: F403
from ._warp import *  # noqa: F403
