"""Augmentation transforms: RandomErasing and the batch mixers CutMix and MixUp (the automatic
policies are in ``_auto_augment``).

Same names and argument meanings as torchvision.transforms.v2. Given a batch ``(N, C, H, W)``,
RandomErasing draws a rectangle per image and erases them in one vectorised call. CutMix and
MixUp work on a batch and its labels, like torchvision.

Example:
    >>> import torch
    >>> from triptych.vision import transforms as T
    >>> mixup = T.MixUp(num_classes=4, generator=torch.Generator().manual_seed(0))
    >>> images, labels = mixup(torch.rand(8, 3, 16, 16), torch.arange(8) % 4)
    >>> labels.shape
    torch.Size([8, 4])
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as nnf

from triptych.transforms import Transform, check_p, rewrap

from .._pil import is_pil_type
from ..tensors import BoundingBoxes, Image, KeyPoints, Mask
from . import functional as F
from ._base import SampleInfo, VisionTransform, batch_shape, is_image, num_channels
from .functional._misc import _max_value

__all__ = [
    "RandomErasing",
    "CutMix",
    "MixUp",
]


# --- RandomErasing --------------------------------------------------------------------------


class RandomErasing(VisionTransform):
    """Erase a random rectangle of each image (Zhong et al., https://arxiv.org/abs/1708.04896).

    Args:
        p: probability of erasing (drawn per image in a batch).
        scale: range of the erased area as a fraction of the image area.
        ratio: range of the rectangle's aspect ratio (height / width), drawn log-uniformly.
        value: the fill: a number, one number per channel, or ``"random"`` (standard normal
            noise for float images, uniform integers over the dtype's range for integer images).
        inplace: erase in the input tensor instead of a copy.
        generator: ``torch.Generator`` the parameters are drawn from.

    Boxes, masks and keypoints pass through unchanged. As torchvision, when 10 draws find no
    rectangle that fits, the image is left as it is.

    Shapes:
        image ``(..., C, H, W)``, :class:`Image` or PIL image.

    Example:
        >>> import torch
        >>> t = RandomErasing(p=1.0, value=0.5, generator=torch.Generator().manual_seed(0))
        >>> out = t(torch.zeros(3, 32, 32))
        >>> 0.02 <= float((out == 0.5).float().mean()) <= 0.33
        True
    """

    def __init__(
        self,
        p: float = 0.5,
        scale: Sequence[float] = (0.02, 0.33),
        ratio: Sequence[float] = (0.3, 3.3),
        value: float | Sequence[float] | str = 0.0,
        inplace: bool = False,
        *,
        generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        self.p = check_p(p)
        if not (isinstance(scale, Sequence) and len(scale) == 2 and isinstance(ratio, Sequence) and len(ratio) == 2):
            raise TypeError(f"scale and ratio must be (min, max) pairs, got {scale!r} and {ratio!r}")
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            warnings.warn("RandomErasing: scale and ratio should be of the form (min, max)", stacklevel=2)
        if scale[0] < 0 or scale[1] > 1:
            raise ValueError(f"scale must lie in [0, 1], got {scale}")
        if ratio[0] <= 0:
            raise ValueError(f"ratio must be positive, got {ratio}")
        self.scale = (float(scale[0]), float(scale[1]))
        self.ratio = (float(ratio[0]), float(ratio[1]))
        if isinstance(value, str):
            if value != "random":
                raise ValueError(f"value as a string must be 'random', got {value!r}")
            self.value: list[float] | None = None
        elif isinstance(value, numbers.Number):
            self.value = [float(value)]
        elif isinstance(value, Sequence):
            self.value = [float(v) for v in value]
        else:
            raise TypeError(f"value must be a number, a sequence of numbers or 'random', got {value!r}")
        self.inplace = inplace

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        image = next((x for x in info.inputs if is_image(x)), None)
        if image is None:
            return {"found": None}
        channels = num_channels(image)
        dtype = image.dtype if isinstance(image, torch.Tensor) else torch.uint8
        if self.value is not None and len(self.value) not in (1, channels):
            raise ValueError(f"value must have 1 or {channels} (the number of channels) entries, got {len(self.value)}")
        height, width = info.size
        count = info.batch or 1
        g = self.generator
        # Ten candidate rectangles per image, drawn at once; each image takes its first that fits.
        area = height * width * torch.empty(count, 10).uniform_(*self.scale, generator=g)
        log_ratio = torch.empty(count, 10).uniform_(math.log(self.ratio[0]), math.log(self.ratio[1]), generator=g)
        aspect = log_ratio.exp()
        h = (area * aspect).sqrt().round().long()
        w = (area / aspect).sqrt().round().long()
        fits = (h < height) & (w < width)
        first = fits.to(torch.uint8).argmax(dim=1, keepdim=True)
        found = fits.any(dim=1)
        h = h.gather(1, first).squeeze(1) * found
        w = w.gather(1, first).squeeze(1) * found
        i = (torch.rand(count, generator=g) * (height - h + 1)).long()
        j = (torch.rand(count, generator=g) * (width - w + 1)).long()
        if self.value is None:
            patch = (count, channels, max(int(h.max()), 1), max(int(w.max()), 1))
            if dtype.is_floating_point:
                v = torch.randn(patch, generator=g)
            else:
                v = torch.randint(0, int(_max_value(dtype)) + 1, patch, generator=g)
        else:
            v = torch.tensor(self.value).reshape(-1, 1, 1).expand(count, -1, 1, 1)
        shape = batch_shape(info)
        if info.batch is None:
            v = v[0]
        return {"i": i.reshape(shape), "j": j.reshape(shape), "h": h.reshape(shape), "w": w.reshape(shape),
                "v": v, "found": found.reshape(shape)}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if not is_image(inpt) or params["found"] is None:
            return inpt
        h, w, found = params["h"], params["w"], params["found"]
        if found.ndim == 0:
            if not bool(found):
                return inpt
            return F.erase(inpt, int(params["i"]), int(params["j"]), int(h), int(w), params["v"], inplace=self.inplace)
        apply = params.get("apply")
        if apply is not None:  # a batch: images not chosen get an empty rectangle
            h, w = h * apply, w * apply
        return F.erase(inpt, params["i"], params["j"], h, w, params["v"], inplace=self.inplace)


# --- CutMix and MixUp -----------------------------------------------------------------------


def _default_labels(sample: Any) -> Any:
    if isinstance(sample, (tuple, list)) and len(sample) >= 2:
        return sample[1]
    if isinstance(sample, dict):
        for key in sample:
            if isinstance(key, str) and key.lower() in ("labels", "label"):
                return sample[key]
    raise ValueError(
        "could not find the labels: pass (images, labels), a dict with a 'labels' key, "
        "or labels_getter=callable"
    )


class _BatchMix(Transform):
    """Shared by CutMix and MixUp: pair each image with the previous one in the batch."""

    def __init__(
        self, *, alpha: float = 1.0, num_classes: int | None = None,
        labels_getter: Callable[[Any], Any] | str = "default", generator: torch.Generator | None = None,
    ):
        super().__init__(generator=generator)
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        if num_classes is not None and not (isinstance(num_classes, int) and num_classes >= 1):
            raise ValueError(f"num_classes must be a positive int or None, got {num_classes!r}")
        if labels_getter == "default":
            labels_getter = _default_labels
        elif not callable(labels_getter):
            raise TypeError(f"labels_getter must be 'default' or a callable, got {labels_getter!r}")
        self.alpha = float(alpha)
        self.num_classes = num_classes
        self._labels_getter = labels_getter

    def _lam(self) -> float:
        """A draw from Beta(alpha, alpha) (as a 2-component Dirichlet, so it takes the generator)."""
        pair = torch._sample_dirichlet(torch.tensor([[self.alpha, self.alpha]], dtype=torch.float64), generator=self.generator)
        return float(pair[0, 0])

    def _mix_labels(self, labels: torch.Tensor, lam: float) -> torch.Tensor:
        if labels.ndim == 1:
            labels = nnf.one_hot(labels.long(), num_classes=self.num_classes)
        if not labels.is_floating_point():
            labels = labels.float()
        return labels.roll(1, 0).mul(1.0 - lam).add_(labels.mul(lam))

    def _mix_images(self, images: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        raise NotImplementedError

    def _params(self, height: int, width: int) -> dict[str, Any]:
        raise NotImplementedError

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        # Every tensor (the images and the labels, told apart in make_params) and what must be
        # refused; the vision item rules do not apply: the labels are a tensor too.
        return [isinstance(x, torch.Tensor) or is_pil_type(type(x)) for x in leaves]

    def make_params(self, info: SampleInfo) -> dict[str, Any]:
        labels = self._labels_getter(info.sample)
        name = type(self).__name__
        if not isinstance(labels, torch.Tensor) or labels.ndim not in (1, 2):
            raise ValueError(f"{name}: labels must be a tensor (N,) of class indices or (N, num_classes)")
        if labels.ndim == 1 and self.num_classes is None:
            raise ValueError(f"{name}: num_classes is needed for class-index labels")
        if labels.ndim == 2 and self.num_classes is not None and labels.shape[1] != self.num_classes:
            raise ValueError(f"{name}: labels have {labels.shape[1]} columns but num_classes={self.num_classes}")
        if not any(x is labels for x in info.inputs):
            raise ValueError(f"{name}: labels_getter must return the labels tensor held in the sample")
        for x in info.inputs:
            if isinstance(x, (BoundingBoxes, Mask, KeyPoints)) or is_pil_type(type(x)):
                raise ValueError(f"{name} works on batches of image tensors, not {type(x).__name__}")
        candidates = [x for x in info.inputs if x is not labels and (type(x) is torch.Tensor or isinstance(x, Image))]
        typed = [x for x in candidates if isinstance(x, Image)]
        images = typed or candidates[:1]
        if not images:
            raise ValueError(f"{name}: found no image batch in the sample")
        count = labels.shape[0]
        for x in images:
            if x.ndim != 4 or x.shape[0] != count:
                raise ValueError(f"{name} expects images (N, C, H, W) with N = {count} (the labels), got {tuple(x.shape)}")
        params = self._params(*images[0].shape[-2:])
        return {**params, "labels": labels, "images": images}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if inpt is params["labels"]:
            return self._mix_labels(inpt, params["lam"])
        if any(inpt is x for x in params["images"]):
            return rewrap(self._mix_images(inpt.as_subclass(torch.Tensor), params), inpt)
        return inpt


class MixUp(_BatchMix):
    """MixUp (Zhang et al., https://arxiv.org/abs/1710.09412) on a batch and its labels.

    ``images = lam * images + (1 - lam) * images.roll(1, 0)`` and the same for one-hot
    labels, with ``lam ~ Beta(alpha, alpha)`` drawn once per batch (as torchvision): the
    pairing is with the previous image, so shuffle the batch. Integer images are rounded.

    Args:
        alpha: Beta concentration.
        num_classes: for class-index labels ``(N,)`` (which become ``(N, num_classes)`` floats).
        labels_getter: ``"default"`` (the second item of the sample, or its ``"labels"`` key)
            or a callable that returns the labels from the sample.
        generator: ``torch.Generator`` lambda is drawn from.

    Shapes:
        images ``(N, C, H, W)``, labels ``(N,)`` or ``(N, num_classes)`` -> same images shape,
        labels ``(N, num_classes)``.

    Example:
        >>> import torch
        >>> mixup = MixUp(num_classes=10, generator=torch.Generator().manual_seed(0))
        >>> images, labels = mixup(torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 3]))
        >>> labels.shape, torch.allclose(labels.sum(1), torch.ones(4))
        (torch.Size([4, 10]), True)
    """

    def _params(self, height: int, width: int) -> dict[str, Any]:
        return {"lam": self._lam()}

    def _mix_images(self, images: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        lam = params["lam"]
        work = images if images.is_floating_point() else images.float()
        out = work.roll(1, 0).mul(1.0 - lam).add_(work.mul(lam))
        if images.is_floating_point():
            return out
        return out.round_().clamp_(0, _max_value(images.dtype)).to(images.dtype)


class CutMix(_BatchMix):
    """CutMix (Yun et al., https://arxiv.org/abs/1905.04899) on a batch and its labels.

    One rectangle (area about ``1 - lam`` of the image, ``lam ~ Beta(alpha, alpha)``, centre
    uniform, clipped at the borders) is pasted from the previous image of the batch into each
    image; the labels mix by the pasted area's exact fraction.

    Args:
        alpha, num_classes, labels_getter, generator: as :class:`MixUp`.

    Shapes:
        images ``(N, C, H, W)``, labels ``(N,)`` or ``(N, num_classes)`` -> same images shape,
        labels ``(N, num_classes)``.

    Example:
        >>> import torch
        >>> cutmix = CutMix(num_classes=3, generator=torch.Generator().manual_seed(0))
        >>> images, labels = cutmix(torch.rand(2, 3, 8, 8), torch.tensor([0, 2]))
        >>> labels.shape, torch.allclose(labels.sum(1), torch.ones(2))
        (torch.Size([2, 3]), True)
    """

    def _params(self, height: int, width: int) -> dict[str, Any]:
        lam = self._lam()
        centre_x = int(torch.randint(width, (), generator=self.generator))
        centre_y = int(torch.randint(height, (), generator=self.generator))
        half = 0.5 * math.sqrt(1.0 - lam)
        half_w, half_h = int(half * width), int(half * height)
        x1, x2 = max(centre_x - half_w, 0), min(centre_x + half_w, width)
        y1, y2 = max(centre_y - half_h, 0), min(centre_y + half_h, height)
        pasted = (x2 - x1) * (y2 - y1) / (width * height)
        return {"box": (x1, y1, x2, y2), "lam": 1.0 - pasted}

    def _mix_images(self, images: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
        x1, y1, x2, y2 = params["box"]
        out = images.clone()
        out[..., y1:y2, x1:x2] = images.roll(1, 0)[..., y1:y2, x1:x2]
        return out
