"""``DecodeImage`` and the fast path ``Compose`` picks for the standard image pipelines.

A ``Compose`` whose transforms contain, in this order,

    [DecodeImage] + (RandomResizedCrop | Resize | CenterCrop) + [RandomHorizontalFlip]
    + ToDtype(torch.float32, scale=True) + [Normalize]

runs that run as one :class:`FusedCropResizeNormalize`: a single pass of the compiled
``triptych::resized_crop_flip_normalize`` kernel (crop -> resize -> flip -> scale/normalize,
no intermediate image), drawing its random numbers from the same transforms' generators in
the same order, so the result equals the unfused chain within one uint8 level before
normalisation. When it starts with ``DecodeImage``, the crop is drawn from the JPEG header's
size first, then only what the crop needs is decoded (``EncodedImage.decode_crop``): at 1/2,
1/4 or 1/8 DCT scale when the crop is shrunk at least that much, and — with the compiled
libjpeg-turbo decoder — only the rows and iMCU columns the crop touches (with Pillow, the rows
down to the crop's bottom edge). Reduced scale changes pixels (libjpeg's scaled IDCT instead of
full decoding + antialiasing, box edges rounded to the reduced grid): a fraction of a level on
average but up to ~120 levels at sharp edges (docs/vision-transforms.md).
``DecodeImage(reduced_scale=False)`` keeps the fused kernel on a full-scale decode (still only
the crop's rows and columns); ``Compose(..., fuse=False)`` runs the plain chain.

Samples the fast path does not cover — batches, PIL images, a second image, boxes or masks that
must follow the crop, dtypes the kernel lacks, empty images — run the original transforms,
unchanged; that is decided before any random draw.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch
from torch import nn
from torch.utils import _pytree as pytree

from triptych.transforms import Transform, register_fuser

from .. import ops as vops
from ..tensors import Image
from ._base import select_inputs
from ._geometry import CenterCrop, RandomHorizontalFlip, RandomResizedCrop, Resize
from ._misc import Normalize, ToDtype
from .functional import _utils as U

__all__ = ["DecodeImage", "FusedCropResizeNormalize"]

_ENCODED = (bytes, bytearray, memoryview)


def _is_encoded(leaf: Any) -> bool:
    return isinstance(leaf, _ENCODED) or (
        type(leaf) is torch.Tensor and leaf.dtype == torch.uint8 and leaf.dim() == 1
    )


def _load_decoder() -> None:
    """Import the decoding module (with Pillow) now, where the transform is built.

    A DataLoader forks its workers from the process that built the dataset, for every epoch
    by default: a module first imported by a worker is imported again by every worker of every
    epoch (~90 ms here, against ~0.6 ms per image). Without Pillow this does nothing; decoding
    then raises the ImportError that names the extra.
    """
    try:
        from .. import io  # noqa: F401
    except ImportError:
        pass


class DecodeImage(Transform):
    """Decode encoded images (``bytes`` or a 1-D uint8 tensor) in a sample into :class:`Image`.

    The first step of a pipeline over raw files; see :func:`triptych.vision.io.decode_image`
    for ``mode`` and ``apply_exif_orientation``. Other items of the sample pass through. Put it
    first in a ``Compose`` followed by a crop or resize, and large JPEGs are decoded at reduced
    scale and only as far down as the crop reaches (see the module notes).

    ``reduced_scale=False`` (keyword-only) makes such a fused ``Compose`` decode JPEGs at full
    scale: still one kernel pass and only the rows above the crop, and then equal to the plain
    chain within one uint8 level (reduced scale differs by up to ~120 levels at sharp edges).
    ``DecodeImage`` alone, or in an unfused ``Compose``, always decodes at full scale.

    Example:
        >>> import io, torch, PIL.Image
        >>> buf = io.BytesIO()
        >>> PIL.Image.new("RGB", (8, 6)).save(buf, "PNG")
        >>> DecodeImage()(buf.getvalue()).shape
        torch.Size([3, 6, 8])
    """

    def __init__(self, mode: str = "RGB", *, apply_exif_orientation: bool = False,
                 reduced_scale: bool = True):
        super().__init__()
        self.mode = mode
        self.apply_exif_orientation = apply_exif_orientation
        self.reduced_scale = bool(reduced_scale)
        _load_decoder()

    def decode(self, data: Any, **options: Any) -> Image:
        from ..io import decode_image  # Pillow: needed only where files are decoded

        return Image(decode_image(data, mode=self.mode, apply_exif_orientation=self.apply_exif_orientation, **options))

    def select_inputs(self, leaves: list[Any]) -> list[bool]:
        return [_is_encoded(x) for x in leaves]

    def transform(self, inpt: Any, params: dict[str, Any]) -> Image:
        return self.decode(inpt)


_GEOMETRY = (RandomResizedCrop, Resize, CenterCrop)
# The dtypes the compiled kernel reads; other images (uint16 PNGs, int32 TIFFs, ...) run the chain.
_KERNEL_DTYPES = (torch.uint8, torch.float32, torch.float64)
# Stands for what DecodeImage makes of an encoded item when deciding what the chain acts on.
_DECODED = Image(torch.zeros(1, 1, 1, dtype=torch.uint8))


# The kernel's per-image flip flag on the CPU, as the one-element bool tensors it takes (read only).
_CPU_FLIPS = {False: torch.tensor([False]), True: torch.tensor([True])}


class _Steps(NamedTuple):
    decode: DecodeImage | None
    geometry: nn.Module
    flip: RandomHorizontalFlip | None


def _antialias(value: bool | None) -> bool:
    return True if value is None else bool(value)


class FusedCropResizeNormalize(nn.Module):
    """The one-pass equivalent of a run of transforms (built by ``Compose``; see module notes).

    ``original`` holds the transforms it replaces and runs them for samples it does not cover.
    """

    def __init__(self, original: list[nn.Module]):
        super().__init__()
        self.original = nn.ModuleList(original)
        kinds = {type(t): t for t in original}
        geometry = next(t for t in original if isinstance(t, _GEOMETRY))
        # The steps the fast path consults, held once (they live in `original`) in a named
        # tuple, not as submodules: a submodule attribute is read through
        # nn.Module.__getattr__, a cost paid several times per image on the hot path.
        self._steps = _Steps(kinds.get(DecodeImage), geometry, kinds.get(RandomHorizontalFlip))
        normalize: Normalize | None = kinds.get(Normalize)
        self.mean = normalize.mean if normalize else None
        self.std = normalize.std if normalize else None
        # Resolved once: the plan is fixed when Compose builds it.
        self.mode = U._mode(getattr(geometry, "interpolation", "bilinear"))
        self.antialias = _antialias(getattr(geometry, "antialias", True))
        self._affine: dict[int, tuple[list[float], list[float]]] = {}  # per channel count

    # -- the plan for one image --------------------------------------------------------------

    def _box_and_size(self, height: int, width: int) -> tuple[list[int], list[int]] | None:
        """Crop box (top, left, h, w) in the image and output (h, w); None: not coverable."""
        (top, left, box_h, box_w), size = self._steps.geometry.crop_and_size(height, width)
        if top < 0 or left < 0 or top + box_h > height or left + box_w > width:
            return None  # CenterCrop pads: leave it to the plain chain
        return [top, left, box_h, box_w], list(size)

    def _draw_flip(self) -> bool:
        flip = self._steps.flip
        return flip is not None and flip.draw_apply()

    def _channel_affine(self, channels: int) -> tuple[list[float], list[float]]:
        """mean and std per channel, checked once per channel count as the public op checks them."""
        affine = self._affine.get(channels)
        if affine is None:
            affine = self._affine[channels] = vops._mean_std(
                self.mean if self.mean is not None else 0.0, self.std if self.std is not None else 1.0, channels)
        return affine

    def _run_kernel(self, image: torch.Tensor, box: list[int], size: list[int], flip: bool) -> torch.Tensor:
        # The op itself, not the public wrapper: the arguments were built here (one image of a
        # kernel dtype, a box inside it, checked mean/std), and the op checks them again in C++.
        mean, std = self._channel_affine(image.shape[-3])
        device = image.device
        flips = _CPU_FLIPS[flip] if device.type == "cpu" else torch.tensor([flip], device=device)
        return vops.rcfn_op(image, torch.tensor([box], device=device), flips, size, self.mode, self.antialias,
                            mean, std, False)

    def _saturates(self) -> bool:
        """Bicubic overshoots: the plain chain clamps its uint8 resize to [0, 255], the kernel
        does not, so uint8 bicubic runs the chain."""
        return self.mode == "bicubic"

    def _from_tensor(self, image: torch.Tensor) -> torch.Tensor | None:
        # Decided before any random draw, so a sample left to the chain sees the same numbers.
        if image.dim() != 3 or image.dtype not in _KERNEL_DTYPES or 0 in image.shape[-2:]:
            return None
        if image.dtype == torch.uint8 and self._saturates():
            return None
        planned = self._box_and_size(int(image.shape[-2]), int(image.shape[-1]))
        if planned is None:
            return None
        box, size = planned
        return self._run_kernel(image.as_subclass(torch.Tensor), box, size, self._draw_flip())

    def _from_encoded(self, data: Any) -> torch.Tensor | None:
        if self._saturates():
            return None
        decode = self._steps.decode
        if decode.apply_exif_orientation:  # the crop is drawn on the rotated image
            return self._from_tensor(decode.decode(data))
        from ..io import EncodedImage

        encoded = EncodedImage(data)
        if encoded.format not in ("JPEG", "MPO"):
            # Nothing to gain from the header alone, and the pixels' dtype (uint16 PNG, int32
            # TIFF with mode="UNCHANGED") decides whether the kernel can take them.
            return self._from_tensor(encoded.decode(mode=decode.mode, share_rgb=True))
        height, width = encoded.size
        planned = self._box_and_size(height, width)
        if planned is None:
            return None
        box, size = planned
        flip = self._draw_flip()
        # Decodes only what the crop needs: a reduced DCT scale when the crop shrinks enough,
        # and (with the compiled decoder) only the rows and columns it touches.
        image, box = encoded.decode_crop(box, size, mode=decode.mode, reduced_scale=decode.reduced_scale)
        return self._run_kernel(image, box, size, flip)

    # -- dispatch ------------------------------------------------------------------------------

    def _fast_path_leaf(self, leaves: list[Any]) -> int | None:
        """Index of the one leaf the fast path handles, or None when the sample needs the chain:
        the chain acts on more than one item (two images; boxes, masks or keypoints that must
        follow the crop) or on a PIL image."""
        encoded = [self._steps.decode is not None and _is_encoded(leaf) for leaf in leaves]
        seen_by_chain = [_DECODED if e else leaf for leaf, e in zip(leaves, encoded)]
        acted_on = [i for i, chosen in enumerate(select_inputs(seen_by_chain)) if chosen]
        if len(acted_on) != 1:
            return None
        index = acted_on[0]
        leaf = leaves[index]
        if encoded[index] or type(leaf) is torch.Tensor or isinstance(leaf, Image):
            return index
        return None  # a Mask, boxes, keypoints or a PIL image alone

    def _run_original(self, sample: Any) -> Any:
        for t in self.original:
            sample = t(sample)
        return sample

    def forward(self, *inputs: Any) -> Any:
        if len(inputs) == 1 and self._steps.decode is not None and type(inputs[0]) in _ENCODED:
            # The common sample: one encoded image alone (what the general path below decides
            # for it too, without flattening).
            out = self._from_encoded(inputs[0])
            return Image._wrap(out) if out is not None else self._run_original(inputs[0])
        sample = inputs if len(inputs) > 1 else inputs[0]
        leaves, spec = pytree.tree_flatten(sample)
        index = self._fast_path_leaf(leaves)
        if index is None:
            return self._run_original(sample)
        leaf = leaves[index]
        encoded = self._steps.decode is not None and _is_encoded(leaf)
        out = self._from_encoded(leaf) if encoded else self._from_tensor(leaf)
        if out is None:
            return self._run_original(sample)
        out = out.to(torch.float32)  # the run ends in ToDtype(float32): float64 input too
        # The plain chain would return an Image after DecodeImage or for an Image input.
        if self._steps.decode is not None or isinstance(leaf, Image):
            out = Image(out)
        leaves[index] = out
        return pytree.tree_unflatten(leaves, spec)


def _is_float32_scaling(t: nn.Module) -> bool:
    if not isinstance(t, ToDtype) or not t.scale:
        return False
    dtype = t.dtype if isinstance(t.dtype, torch.dtype) else t.dtype.get(Image, t.dtype.get("others"))
    return dtype == torch.float32


def _match(plan: list[nn.Module], start: int) -> int:
    """Length of the fusable run starting at ``start`` (0 when none)."""
    i = start
    if i < len(plan) and type(plan[i]) is DecodeImage:
        i += 1
    if not (i < len(plan) and type(plan[i]) in _GEOMETRY):
        return 0
    geometry = plan[i]
    try:
        mode = U._mode(geometry.interpolation) if hasattr(geometry, "interpolation") else "bilinear"
    except (TypeError, ValueError):
        return 0
    if mode not in vops.INTERPOLATIONS:
        return 0
    i += 1
    if i < len(plan) and type(plan[i]) is RandomHorizontalFlip:
        i += 1
    if not (i < len(plan) and _is_float32_scaling(plan[i])):
        return 0
    i += 1
    if i < len(plan) and type(plan[i]) is Normalize:
        i += 1
    return i - start


@register_fuser
def fuse_crop_resize_normalize(plan: list[nn.Module]) -> list[nn.Module] | None:
    """The Compose fuser: replace each fusable run by a :class:`FusedCropResizeNormalize`."""
    out, i, changed = [], 0, False
    while i < len(plan):
        length = _match(plan, i)
        if length:
            out.append(FusedCropResizeNormalize(plan[i : i + length]))
            i += length
            changed = True
        else:
            out.append(plan[i])
            i += 1
    return out if changed else None

