"""Vision transforms: the torchvision.transforms.v2 names and meanings, on tensors, PIL images
and typed tensors (Image, BoundingBoxes, Mask, KeyPoints), single samples and batches.

Example:
    >>> import torch
    >>> from triptych.vision import transforms as T
    >>> pipeline = T.Compose([T.ToDtype(torch.float32, scale=True), T.Normalize([0.5] * 3, [0.5] * 3)])
    >>> pipeline(torch.full((3, 4, 4), 255, dtype=torch.uint8))[:, 0, 0]
    tensor([1., 1., 1.])
"""

from triptych.transforms import Compose, Lambda, RandomApply, RandomChoice, RandomOrder  # noqa: F401

from . import functional  # noqa: F401
from ._augment import *  # noqa: F403
from ._auto_augment import *  # noqa: F403
from ._base import SampleInfo, VisionTransform  # noqa: F401
from ._color import *  # noqa: F403
from ._fused import *  # noqa: F403
from ._geometry import *  # noqa: F403
from ._misc import *  # noqa: F403
