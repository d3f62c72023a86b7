"""Pictures for checking data and augmentations: grids, boxes, masks and keypoints on images.

The names and arguments are torchvision.utils' (options keyword-only), so a script switches by
changing the import. Where the behaviour differs it says so in the function's docstring.
Drawing (lines, ellipses, text) uses Pillow's ImageDraw, as torchvision does; the grid and the
mask blending are plain tensor code that runs on any device.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from typing import BinaryIO

import numpy as np
import torch

from triptych.paths import write_atomic

from ._pil import pil_modules
from .io import _pil_to_tensor
from .ops import _check_image as _check_any_image

Image, ImageColor, ImageDraw, ImageFont = pil_modules("Image", "ImageColor", "ImageDraw", "ImageFont")

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks", "draw_keypoints"]

Color = str | int | tuple[int, int, int]

# Default colours, one per object in turn: distinct, readable on photos (the "tab10" palette).
PALETTE = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
]  # fmt: skip


# --- grid ------------------------------------------------------------------------------------


@torch.no_grad()
def make_grid(
    tensor: torch.Tensor | Sequence[torch.Tensor],
    *,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range: tuple[float, float] | None = None,
    scale_each: bool = False,
    pad_value: float = 0.0,
) -> torch.Tensor:
    """Tile a batch of images into one image, ``nrow`` per row, as ``torchvision.utils.make_grid``.

    Image ``k`` goes to row ``k // nrow``, column ``k % nrow``, at pixel offset
    ``(padding + row * (H + padding), padding + column * (W + padding))``; the rest of the
    grid is ``pad_value``.

    Args:
        tensor: ``(B, C, H, W)``, a list of same-sized ``(C, H, W)`` images, one
            ``(C, H, W)`` or ``(H, W)`` image. One-channel images are repeated to 3 channels.
        nrow: images per row.
        padding: pixels around and between the images.
        normalize: shift and scale to [0, 1] using ``value_range`` (default: the min and max of
            the data); integer input is converted to float32 first.
        value_range: ``(low, high)`` for ``normalize``; values outside are clipped.
        scale_each: with ``normalize``, use each image's own min and max.
        pad_value: value of the padding pixels.

    Returns:
        ``(C, rows * (H + padding) + padding, min(nrow, B) * (W + padding) + padding)``, the
        input's dtype. As torchvision, a batch of one image returns that image, unpadded.

    Example:
        >>> grid = make_grid(torch.ones(5, 3, 4, 6), nrow=3, padding=1)
        >>> grid.shape
        torch.Size([3, 11, 22])
        >>> grid[0, 1:5, 1:7].eq(1).all().item(), grid[0, 0].eq(0).all().item()
        (True, True)
    """
    batch = _as_batch(tensor)
    if isinstance(nrow, bool) or not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a non-negative int, got {padding!r}")
    if batch.shape[1] == 1:
        batch = batch.expand(-1, 3, -1, -1)
    if normalize:
        batch = _normalized(batch, value_range, scale_each)
    count, channels, height, width = batch.shape
    if count == 1:
        return batch[0]
    columns = min(nrow, count)
    rows = math.ceil(count / columns)
    cell_h, cell_w = height + padding, width + padding
    grid = batch.new_full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value)
    # The interior seen as (C, rows, cell_h, columns, cell_w): each image's place is one slice.
    cells = grid[:, padding:, padding:].unflatten(1, (rows, cell_h)).unflatten(3, (columns, cell_w))
    cells = cells[:, :, :height, :, :width]  # (C, rows, H, columns, W)
    full_rows, rest = divmod(count, columns)
    if full_rows:
        placed = batch[: full_rows * columns].unflatten(0, (full_rows, columns))  # (r, c, C, H, W)
        cells[:, :full_rows].copy_(placed.permute(2, 0, 3, 1, 4))
    if rest:
        cells[:, full_rows, :, :rest].copy_(batch[full_rows * columns:].permute(1, 2, 0, 3))
    return grid


def _as_batch(tensor) -> torch.Tensor:
    if isinstance(tensor, (list, tuple)):
        if not tensor:
            raise ValueError("make_grid needs at least one image")
        if not all(isinstance(t, torch.Tensor) for t in tensor):
            raise TypeError("make_grid expects a tensor or a list of tensors")
        shapes = {tuple(t.shape) for t in tensor}
        if len(shapes) > 1:
            raise ValueError(f"make_grid needs images of one shape, got {sorted(shapes)}")
        tensor = torch.stack(list(tensor))
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"make_grid expects a tensor or a list of tensors, got {type(tensor).__name__}")
    if tensor.dim() == 2:
        tensor = tensor[None]
    if tensor.dim() == 3:
        tensor = tensor[None]
    if tensor.dim() != 4:
        raise ValueError(f"make_grid expects (B, C, H, W), (C, H, W) or (H, W), got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError("make_grid needs at least one image")
    return tensor


def _normalized(batch: torch.Tensor, value_range, scale_each: bool) -> torch.Tensor:
    batch = batch.float() if not batch.is_floating_point() else batch.clone()
    if value_range is not None:
        if len(value_range) != 2:
            raise ValueError(f"value_range must be (low, high), got {value_range!r}")
        low, high = (float(v) for v in value_range)
        return batch.clamp_(low, high).sub_(low).div_(max(high - low, 1e-5))
    dims = (1, 2, 3) if scale_each else (0, 1, 2, 3)
    low = batch.amin(dim=dims, keepdim=True)
    high = batch.amax(dim=dims, keepdim=True)
    return batch.sub_(low).div_((high - low).clamp_(min=1e-5))


@torch.no_grad()
def save_image(
    tensor: torch.Tensor | Sequence[torch.Tensor],
    fp: str | os.PathLike | BinaryIO,
    *,
    format: str | None = None,
    **grid_options,
) -> None:
    """Save an image, or a batch as a :func:`make_grid` grid, to a file (PNG, JPEG, ...).

    Float input is taken as [0, 1] and rounded to uint8 (``x * 255 + 0.5``, clipped), as
    torchvision; uint8 input is written as it is. A path is written atomically (temporary
    file, then rename): never a half-written file.

    Args:
        tensor: what :func:`make_grid` takes.
        fp: a path, or a binary file object (then ``format`` is required).
        format: Pillow format name (``"PNG"``, ``"JPEG"``, ...); default: from the extension.
        grid_options: keyword options of :func:`make_grid`.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "grid.png")
        >>> save_image(torch.rand(4, 3, 8, 8), path, nrow=2)
        >>> from triptych.vision.io import read_image
        >>> read_image(path).shape
        torch.Size([3, 22, 22])
    """
    grid = make_grid(tensor, **grid_options)
    if grid.is_floating_point():
        grid = grid.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)
    elif grid.dtype != torch.uint8:
        raise TypeError(f"save_image expects float images in [0, 1] or uint8, got {grid.dtype}")
    if grid.shape[0] not in (1, 2, 3, 4):
        raise ValueError(f"save_image writes 1 to 4 channels, got {grid.shape[0]}")
    is_path = isinstance(fp, (str, os.PathLike))
    if format is None:
        if not is_path:
            raise ValueError("save_image needs format= when writing to a file object")
        extension = os.path.splitext(os.fspath(fp))[1].lower()
        format = Image.registered_extensions().get(extension)
        if format is None:
            raise ValueError(f"save_image: unknown image file extension {extension!r}; pass format=")
    array = grid.cpu().permute(1, 2, 0).contiguous().numpy()
    buffer = io.BytesIO()
    try:
        Image.fromarray(array[..., 0] if array.shape[2] == 1 else array).save(buffer, format)
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"save_image cannot write a {grid.shape[0]}-channel image as {format}: {exc}") from exc
    if is_path:
        write_atomic(fp, buffer.getbuffer())
    else:
        fp.write(buffer.getbuffer())


# --- drawing ---------------------------------------------------------------------------------


def _parse_colors(colors, count: int, what: str) -> list[tuple[int, int, int]]:
    """One (r, g, b) per object from None, one colour, or a list of colours.

    A colour is a name or ``"#rrggbb"`` (Pillow's ImageColor), an ``(r, g, b)`` tuple, or an
    int grey level 0-255. A list gives one colour per object; a tuple is one colour.
    """
    if colors is None:
        return [PALETTE[i % len(PALETTE)] for i in range(count)]
    if isinstance(colors, list):
        if len(colors) < count:
            raise ValueError(f"{what}: {len(colors)} colours for {count} objects")
        return [_one_color(c, what) for c in colors[:count]]
    return [_one_color(colors, what)] * count


def _one_color(color, what: str) -> tuple[int, int, int]:
    if isinstance(color, str):
        try:
            rgb = ImageColor.getrgb(color)
        except ValueError:
            raise ValueError(f"{what}: unknown colour {color!r}") from None
        return tuple(rgb[:3])
    if isinstance(color, (int, np.integer)) and not isinstance(color, bool):
        if not 0 <= color <= 255:
            raise ValueError(f"{what}: a grey level must be in [0, 255], got {color}")
        return (int(color),) * 3
    if isinstance(color, tuple) and len(color) == 3 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v <= 255 for v in color):
        return tuple(int(v) for v in color)
    raise ValueError(f"{what}: a colour is a name, '#rrggbb', an (r, g, b) tuple of 0-255 or an int grey level; got {color!r}")


_DRAWABLE_DTYPES = (torch.uint8, torch.float16, torch.bfloat16, torch.float32, torch.float64)


def _check_image(image, what: str, channels: Sequence[int]) -> None:
    """One ``(C, H, W)`` image (not a batch) that drawing can read: uint8 or floating point."""
    _check_any_image(image, what, channels, ndims=(3,), dtypes=_DRAWABLE_DTYPES)


def _float_to_uint8(image: torch.Tensor) -> torch.Tensor:
    """[0, 1] floats (clamped first) to uint8, exactly as ``to_dtype(..., scale=True)`` maps them."""
    # Imported here: the transforms package loads only when a float image is drawn.
    from .transforms.functional._misc import _to_dtype_image

    return _to_dtype_image(image.clamp(0, 1), torch.uint8, scale=True)


def _to_pil(image: torch.Tensor) -> Image.Image:
    """An RGB Pillow image of a (1 or 3, H, W) uint8 or [0, 1] float tensor."""
    if image.is_floating_point():
        image = _float_to_uint8(image)
    if image.shape[0] == 1:
        image = image.expand(3, -1, -1)
    return Image.fromarray(image.cpu().permute(1, 2, 0).contiguous().numpy())


def _from_pil(picture: Image.Image, like: torch.Tensor) -> torch.Tensor:
    """The (3, H, W) tensor of an RGB Pillow image, in ``like``'s dtype (floats in [0, 1]) and device."""
    out = _pil_to_tensor(picture)
    if like.is_floating_point():
        out = out.to(like.dtype).div_(255)
    return out.to(like.device)


def _as_box_tensor(boxes) -> torch.Tensor:
    boxes = torch.as_tensor(boxes)
    if boxes.dim() != 2 or boxes.shape[1] not in (4, 8):
        raise ValueError(
            f"boxes must be (N, 4) as (xmin, ymin, xmax, ymax) or (N, 8) corner points, got shape {tuple(boxes.shape)}")
    if boxes.is_complex() or boxes.dtype == torch.bool:
        raise TypeError(f"boxes must be real numbers, got {boxes.dtype}")
    return boxes.detach().cpu()


def _font(font: str | None, font_size: int | None):
    if font is None:
        return ImageFont.load_default() if font_size is None else ImageFont.load_default(size=font_size)
    return ImageFont.truetype(font=font, size=font_size or 10)


@torch.no_grad()
def draw_bounding_boxes(
    image: torch.Tensor,
    boxes: torch.Tensor,
    *,
    labels: Sequence[str] | None = None,
    colors: Color | list[Color] | None = None,
    fill: bool = False,
    width: int = 1,
    font: str | None = None,
    font_size: int | None = None,
    label_colors: Color | list[Color] | None = None,
    label_background_colors: Color | list[Color] | None = None,
    fill_labels: bool = False,
) -> torch.Tensor:
    """Draw boxes (and their labels) on an image, as ``torchvision.utils.draw_bounding_boxes``.

    A box ``(x0, y0, x1, y1)`` (converted to int as torchvision) outlines the pixels from
    ``x0`` to ``x1`` and ``y0`` to ``y1`` inclusive, ``width`` pixels thick, inwards.

    Args:
        image: ``(3, H, W)`` or ``(1, H, W)`` (drawn on, returned as RGB); uint8, or float in
            [0, 1] (returned in that dtype, quantized to 1/255 like torchvision).
        boxes: ``(N, 4)`` as ``(xmin, ymin, xmax, ymax)`` in pixels, or ``(N, 8)``: the four
            corners of rotated boxes, drawn as polygons.
        labels: one text per box, written inside its top-left corner.
        colors: a colour for all boxes or a list, one per box: a name or ``"#rrggbb"``, an
            ``(r, g, b)`` tuple, or an int grey level. Default: :data:`PALETTE` in turn
            (torchvision's default colours differ).
        fill: also fill each box with its colour at alpha 100/255.
        width: outline thickness in pixels.
        font: a TrueType font file; default Pillow's built-in font, at ``font_size`` if given.
        font_size: font size in points.
        label_colors: text colours; default the box colours (black with ``fill_labels``).
        label_background_colors: label background colours with ``fill_labels``; default the
            box colours.
        fill_labels: draw the label text on a filled background.

    Returns:
        ``(3, H, W)`` tensor, same dtype and device as ``image``.

    Example:
        >>> image = torch.zeros(3, 10, 10, dtype=torch.uint8)
        >>> out = draw_bounding_boxes(image, torch.tensor([[2, 2, 6, 5]]), colors="red")
        >>> out[:, 2, 2].tolist(), out[:, 3, 3].tolist()
        ([255, 0, 0], [0, 0, 0])
    """
    _check_image(image, "draw_bounding_boxes", (1, 3))
    box_tensor = _as_box_tensor(boxes)
    count = box_tensor.shape[0]
    if box_tensor.shape[1] == 4 and count and (
            (box_tensor[:, 0] > box_tensor[:, 2]).any() or (box_tensor[:, 1] > box_tensor[:, 3]).any()):
        raise ValueError("boxes must be (xmin, ymin, xmax, ymax) with xmin <= xmax and ymin <= ymax")
    if labels is not None and len(labels) != count:
        raise ValueError(f"{count} boxes but {len(labels)} labels")
    if isinstance(width, bool) or not isinstance(width, int) or width < 0:
        raise ValueError(f"width must be a non-negative int, got {width!r}")
    if count == 0:
        return image
    box_colors = _parse_colors(colors, count, "colors")
    if label_colors is not None:
        text_colors = _parse_colors(label_colors, count, "label_colors")
    else:
        text_colors = [(0, 0, 0)] * count if fill_labels else box_colors
    backgrounds = (_parse_colors(label_background_colors, count, "label_background_colors")
                   if label_background_colors is not None else box_colors)
    text_font = _font(font, font_size) if labels is not None else None

    picture = _to_pil(image)
    draw = ImageDraw.Draw(picture, "RGBA" if fill else None)
    for k, box in enumerate(box_tensor.to(torch.int64).tolist()):
        fill_color = (*box_colors[k], 100) if fill else None
        if len(box) == 4:
            draw.rectangle(box, outline=box_colors[k], width=width, fill=fill_color)
        else:
            draw.polygon(box, outline=box_colors[k], width=width, fill=fill_color)
        if labels is not None and labels[k] is not None:
            margin = width + 1
            origin = (min(box[0::2]) + margin, min(box[1::2]) + margin)
            if fill_labels:
                left, top, right, bottom = draw.textbbox(origin, labels[k], font=text_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=backgrounds[k])
            draw.text(origin, labels[k], fill=text_colors[k], font=text_font)
    return _from_pil(picture, image)


@torch.no_grad()
def draw_segmentation_masks(
    image: torch.Tensor,
    masks: torch.Tensor,
    *,
    alpha: float = 0.8,
    colors: Color | list[Color] | None = None,
) -> torch.Tensor:
    """Blend coloured masks into an image, as ``torchvision.utils.draw_segmentation_masks``.

    ``out = image * (1 - alpha) + painted * alpha`` where ``painted`` is the image with each
    mask's pixels set to its colour (a later mask over an earlier one), pixels under two or
    more masks set to black, and other pixels unchanged; computed in float32 and cast back
    to the image dtype (uint8 truncates), which gives torchvision's numbers exactly. One
    vectorised pass on the image's device, not a loop over masks.

    Args:
        image: ``(3, H, W)``, uint8 or float in [0, 1].
        masks: ``(N, H, W)`` or ``(H, W)`` bool.
        alpha: 0 (masks invisible) to 1 (opaque).
        colors: a colour for all masks or a list, one per mask (as in
            :func:`draw_bounding_boxes`); default :data:`PALETTE` in turn.

    Returns:
        ``(3, H, W)``, the dtype and device of ``image``.

    Example:
        >>> image = torch.zeros(3, 2, 2, dtype=torch.uint8)
        >>> mask = torch.tensor([[True, False], [False, False]])
        >>> draw_segmentation_masks(image, mask, alpha=0.5, colors=(200, 100, 0))[:, 0, 0].tolist()
        [100, 50, 0]
    """
    _check_image(image, "draw_segmentation_masks", (3,))
    if not isinstance(masks, torch.Tensor):
        raise TypeError(f"masks must be a bool tensor, got {type(masks).__name__}")
    if masks.dim() == 2:
        masks = masks[None]
    if masks.dim() != 3:
        raise ValueError(f"masks must be (N, H, W) or (H, W), got shape {tuple(masks.shape)}")
    if masks.dtype != torch.bool:
        raise TypeError(f"masks must be bool, got {masks.dtype}")
    if masks.shape[-2:] != image.shape[-2:]:
        raise ValueError(f"masks are {tuple(masks.shape[-2:])} but the image is {tuple(image.shape[-2:])}")
    if not 0.0 <= float(alpha) <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    count = masks.shape[0]
    if count == 0:
        return image
    rgb = _parse_colors(colors, count, "colors")
    if image.is_floating_point():
        rgb = [tuple(v / 255 for v in color) for color in rgb]
    palette = torch.tensor(rgb, dtype=image.dtype, device=image.device)
    masks = masks.to(image.device)
    covering = masks.sum(dim=0)
    last = (count - 1) - masks.flip(0).to(torch.uint8).argmax(dim=0)  # topmost mask per pixel
    painted = palette[last].permute(2, 0, 1)
    painted = torch.where(covering > 1, torch.zeros_like(painted), painted)
    painted = torch.where(covering == 0, image, painted)
    out = image * (1 - alpha) + painted * alpha
    return out.to(image.dtype)


@torch.no_grad()
def draw_keypoints(
    image: torch.Tensor,
    keypoints: torch.Tensor,
    *,
    connectivity: Sequence[tuple[int, int]] | None = None,
    colors: Color | list[Color] | None = None,
    radius: int = 2,
    width: int = 3,
    visibility: torch.Tensor | None = None,
) -> torch.Tensor:
    """Draw keypoints and the lines joining them, as ``torchvision.utils.draw_keypoints``.

    Each visible keypoint ``(x, y)`` (converted to int) is a filled disc spanning
    ``x - radius .. x + radius``; each pair in ``connectivity`` whose two points are both
    visible is a line ``width`` pixels wide. Unlike torchvision, whose default colour draws
    no points and whose lines are always white, every instance has one colour (default
    :data:`PALETTE` in turn) for its points and its lines.

    Args:
        image: ``(3, H, W)``, uint8 or float in [0, 1].
        keypoints: ``(N, K, 2)`` (N instances of K points, ``(x, y)`` pixels) or ``(K, 2)``.
        connectivity: pairs of keypoint indices to join.
        colors: a colour for all instances or a list, one per instance.
        radius: disc radius in pixels.
        width: line width in pixels.
        visibility: ``(N, K)`` (or ``(N, K, 1)``), true where a point is visible;
            default all visible.

    Returns:
        ``(3, H, W)``, the dtype and device of ``image``.

    Example:
        >>> image = torch.zeros(3, 9, 9, dtype=torch.uint8)
        >>> out = draw_keypoints(image, torch.tensor([[[4, 4]]]), colors="white", radius=1)
        >>> out[0, 3:6, 4].tolist(), out[0, 0, 0].item()
        ([255, 255, 255], 0)
    """
    _check_image(image, "draw_keypoints", (3,))
    points = torch.as_tensor(keypoints)
    if points.dim() == 2:
        points = points[None]
    if points.dim() != 3 or points.shape[-1] != 2:
        raise ValueError(f"keypoints must be (N, K, 2) or (K, 2), got shape {tuple(points.shape)}")
    count, per_instance = points.shape[:2]
    if visibility is None:
        visible = torch.ones(count, per_instance, dtype=torch.bool)
    else:
        visible = torch.as_tensor(visibility)
        if visible.dim() == 3 and visible.shape[-1] == 1:
            visible = visible[..., 0]
        if tuple(visible.shape) != (count, per_instance):
            raise ValueError(f"visibility must be (N, K) = {(count, per_instance)}, got {tuple(visible.shape)}")
        visible = visible.bool()
    pairs = [tuple(pair) for pair in (connectivity or [])]
    for pair in pairs:
        if len(pair) != 2 or not all(0 <= int(i) < per_instance for i in pair):
            raise ValueError(f"connectivity pair {pair} is not two indices below K = {per_instance}")
    for name, value in (("radius", radius), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    instance_colors = _parse_colors(colors, count, "colors")

    picture = _to_pil(image)
    draw = ImageDraw.Draw(picture)
    for coords, seen, color in zip(points.detach().cpu().to(torch.int64).tolist(), visible.cpu().tolist(), instance_colors):
        for a, b in pairs:
            if seen[a] and seen[b]:
                draw.line([tuple(coords[a]), tuple(coords[b])], fill=color, width=width)
        for (x, y), shown in zip(coords, seen):
            if shown and radius == 0:  # Pillow draws no ellipse of zero size
                draw.point((x, y), fill=color)
            elif shown:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=color)
    return _from_pil(picture, image)
