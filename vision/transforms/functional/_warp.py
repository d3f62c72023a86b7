"""Warps — rotate, affine, perspective, elastic — and the sampling-grid machinery they share.

Same names and argument meanings as ``torchvision.transforms.v2.functional``; the conventions
(coordinates, angles, what boxes, masks and keypoints do) are in :mod:`._geometry`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as TF

from ...tensors import BoundingBoxes, KeyPoints, Mask
from .._dispatch import dispatch, register_kernel
from ._geometry import _fill_values
from ._meta import _map_box_corners, _map_points
from ._utils import (
    InterpolationMode,
    _check_image,
    _mode,
    _saturate,
    _to_nchw,
    _with_channel,
    _work_dtype,
)

__all__ = [
    "rotate",
    "affine",
    "perspective",
    "elastic",
]


# --- warps: the grid machinery shared by rotate / affine / perspective / elastic -------------


def _grid_sample(images: torch.Tensor, grid: torch.Tensor, mode: str, fill: Any) -> torch.Tensor:
    """Sample ``images`` ``(N, C, H, W)`` at ``grid`` ``(1 or N, h, w, 2)`` (normalised,
    align_corners=False); points outside the image take ``fill`` (0 when None).

    Bilinear samples next to the border blend the image with ``fill``. Integer images are
    computed in float and rounded back.
    """
    n, channels, height, width = images.shape
    out_h, out_w = grid.shape[1:3]
    if images.numel() == 0 or out_h == 0 or out_w == 0:
        return images.new_zeros((n, channels, out_h, out_w))
    work_dtype = (
        _work_dtype(images.dtype)
        if not (images.is_cuda and images.is_floating_point())
        else images.dtype
    )
    work = images.to(work_dtype)
    values = _fill_values(fill, channels)
    blend = values is not None and any(v != 0 for v in values)
    if blend:  # one extra channel tells how much of each output sample came from inside
        work = torch.cat([work, work.new_ones((n, 1, height, width))], dim=1)
    grid = grid.to(work_dtype)
    if grid.shape[0] != n:
        grid = grid.expand(n, -1, -1, -1)
    out = TF.grid_sample(work, grid, mode=mode, padding_mode="zeros", align_corners=False)
    if blend:
        out, inside = out[:, :-1], out[:, -1:]
        fill_t = torch.tensor(values, dtype=work_dtype, device=out.device).view(1, -1, 1, 1)
        out = out + (1 - inside) * fill_t
    if images.is_floating_point():
        return out.to(images.dtype)
    return _saturate(out, images.dtype)


def _grid_dtype(image: torch.Tensor) -> torch.dtype:
    """The dtype sampling grids are computed in: the image's for float32/float64, else float32."""
    return image.dtype if image.dtype in (torch.float32, torch.float64) else torch.float32


def _warp_images(image: torch.Tensor, grid: torch.Tensor, mode: str, fill: Any) -> torch.Tensor:
    """:func:`_grid_sample` for ``(..., C, H, W)`` with one grid shared by all leading dims."""
    x, restore = _to_nchw(image)
    return restore(_grid_sample(x, grid, mode, fill))


def _register_warp(
    functional: Callable[..., Any],
    image_kernel: Callable[..., torch.Tensor],
    point_map: Callable[..., tuple[Callable[[torch.Tensor], torch.Tensor], tuple[int, int]]],
) -> None:
    """Register a warp's kernels for every vision type from its two parts: ``image_kernel``
    (plain tensors and images; masks run it with nearest interpolation) and
    ``point_map(canvas_size, **options) -> (map, output canvas size)``, which moves boxes (the box
    around their four mapped corners, clamped) and keypoints."""
    register_kernel(functional, torch.Tensor)(image_kernel)

    def mask_kernel(mask, **options):
        return _with_channel(mask, lambda m: image_kernel(m, **{**options, "interpolation": "nearest"}))

    def boxes_kernel(boxes, **options):
        return _map_box_corners(boxes, *point_map(boxes.canvas_size, **options))

    def keypoints_kernel(points, **options):
        return _map_points(points, *point_map(points.canvas_size, **options))

    register_kernel(functional, Mask)(mask_kernel)
    register_kernel(functional, BoundingBoxes)(boxes_kernel)
    register_kernel(functional, KeyPoints)(keypoints_kernel)


def _affine_coefficients(
    center: Sequence[float],
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: Sequence[float],
) -> tuple[list[float], list[float]]:
    """The forward map ``p -> A (p - center) + center + translate`` and its inverse, as 2x3
    row-major lists. ``A`` = rotation(angle) @ scale @ shear_y @ shear_x, with y pointing down
    (a positive angle turns clockwise on screen)."""
    rot = math.radians(angle)
    sx, sy = math.radians(shear[0]), math.radians(shear[1])
    a = math.cos(rot - sy) / math.cos(sy)
    c = math.sin(rot - sy) / math.cos(sy)
    b = -(a * math.tan(sx) + math.sin(rot))
    d = math.cos(rot) - c * math.tan(sx)
    cx, cy = center
    tx, ty = translate
    fwd = [a * scale, b * scale, 0.0, c * scale, d * scale, 0.0]
    fwd[2] = cx + tx - fwd[0] * cx - fwd[1] * cy
    fwd[5] = cy + ty - fwd[3] * cx - fwd[4] * cy
    # det(A) = scale^2, so A^-1 = [[d, -b], [-c, a]] / scale
    inv = [d / scale, -b / scale, 0.0, -c / scale, a / scale, 0.0]
    inv[2] = cx - inv[0] * (cx + tx) - inv[1] * (cy + ty)
    inv[5] = cy - inv[3] * (cx + tx) - inv[4] * (cy + ty)
    return fwd, inv


def _affine_grid(
    inverse: torch.Tensor, in_size: Sequence[int], out_size: Sequence[int]
) -> torch.Tensor:
    """Sampling grid ``(B, oh, ow, 2)`` for inverse maps ``(B, 2, 3)`` given in coordinates
    centred on the image centres (output pixel centres -> input points)."""
    h, w = in_size
    oh, ow = out_size
    dtype, device = inverse.dtype, inverse.device
    xs = torch.linspace((1.0 - ow) * 0.5, (ow - 1.0) * 0.5, ow, dtype=dtype, device=device)
    ys = torch.linspace((1.0 - oh) * 0.5, (oh - 1.0) * 0.5, oh, dtype=dtype, device=device)
    base = torch.stack(
        [
            xs.expand(oh, ow),
            ys.unsqueeze(1).expand(oh, ow),
            torch.ones(oh, ow, dtype=dtype, device=device),
        ],
        dim=-1,
    )
    scale = torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=device)
    grid = base.reshape(1, oh * ow, 3) @ (inverse.transpose(1, 2) / scale)
    return grid.reshape(-1, oh, ow, 2)


def _parse_affine(
    angle, translate, scale, shear, center
) -> tuple[float, list[float], float, list[float], list[float] | None]:
    if not isinstance(angle, numbers.Number):
        raise TypeError(f"angle must be a number, got {angle!r}")
    if not isinstance(translate, (list, tuple)) or len(translate) != 2:
        raise ValueError(f"translate must be a sequence of 2 numbers, got {translate!r}")
    if not isinstance(scale, numbers.Number) or scale <= 0:
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    if isinstance(shear, numbers.Number):
        shear = [float(shear), 0.0]
    else:
        shear = [float(s) for s in shear]
        if len(shear) == 1:
            shear = [shear[0], shear[0]]
        if len(shear) != 2:
            raise ValueError(
                f"shear must be a number or a sequence of 1 or 2 numbers, got {shear!r}"
            )
    if center is not None:
        if not isinstance(center, (list, tuple)) or len(center) != 2:
            raise ValueError(f"center must be a sequence (x, y), got {center!r}")
        center = [float(c) for c in center]
    return float(angle), [float(t) for t in translate], float(scale), shear, center


def _affine_inverse_centred(
    size: Sequence[int], angle, translate, scale, shear, center
) -> list[float]:
    """Inverse affine map in coordinates centred on the image centre (as the grid needs)."""
    h, w = size
    centre = [0.0, 0.0] if center is None else [center[0] - 0.5 * w, center[1] - 0.5 * h]
    return _affine_coefficients(centre, angle, translate, scale, shear)[1]


def _affine_forward_pixels(
    size: Sequence[int], angle, translate, scale, shear, center
) -> list[float]:
    """Forward affine map in pixel coordinates (origin at the top-left corner)."""
    h, w = size
    centre = [0.5 * w, 0.5 * h] if center is None else center
    return _affine_coefficients(centre, angle, translate, scale, shear)[0]


def _apply_affine_points(
    points: torch.Tensor, matrix: Sequence[float], shift: Sequence[float] = (0.0, 0.0)
) -> torch.Tensor:
    m = torch.tensor(matrix, dtype=points.dtype, device=points.device).view(2, 3)
    out = points @ m[:, :2].T + m[:, 2]
    if shift[0] or shift[1]:
        out = out + torch.tensor(shift, dtype=points.dtype, device=points.device)
    return out


def affine(
    inpt: Any,
    angle: float,
    translate: Sequence[float],
    scale: float,
    shear: float | Sequence[float],
    interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
    fill: float | Sequence[float] | None = None,
    center: Sequence[float] | None = None,
) -> Any:
    """Affine warp keeping the size: rotate by ``angle`` (clockwise, degrees) about ``center``
    (x, y; default the image centre), scale by ``scale``, shear by ``shear`` degrees (x, or
    (x, y)), then translate by ``translate`` = (dx, dy) pixels.

    Images ``(..., C, H, W)`` are sampled with ``interpolation`` (nearest or bilinear) through
    ``grid_sample``; outside points take ``fill`` (0 by default). Masks use nearest. Boxes become
    the box around their four transformed corners, clamped to the canvas; keypoints move as points.

    Example:
        >>> import torch
        >>> x = torch.arange(9.).reshape(1, 3, 3)
        >>> affine(x, angle=0.0, translate=[1, 0], scale=1.0, shear=0.0)
        tensor([[[0., 0., 1.],
                 [0., 3., 4.],
                 [0., 6., 7.]]])
    """
    return dispatch(
        affine,
        inpt,
        angle=angle,
        translate=translate,
        scale=scale,
        shear=shear,
        interpolation=interpolation,
        fill=fill,
        center=center,
    )


def _affine_image(
    image,
    angle,
    translate,
    scale,
    shear,
    interpolation=InterpolationMode.NEAREST,
    fill=None,
    center=None,
):
    _check_image(image, "affine")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    angle, translate, scale, shear, center = _parse_affine(angle, translate, scale, shear, center)
    size = image.shape[-2:]
    inverse = _affine_inverse_centred(size, angle, translate, scale, shear, center)
    dtype = _grid_dtype(image)
    theta = torch.tensor(inverse, dtype=dtype, device=image.device).view(1, 2, 3)
    return _warp_images(image, _affine_grid(theta, size, size), mode, fill)


def _affine_point_map(canvas_size, angle, translate, scale, shear, center=None, **_):
    """Where :func:`affine` takes points of a ``canvas_size`` image, and the output canvas."""
    angle, translate, scale, shear, center = _parse_affine(angle, translate, scale, shear, center)
    forward = _affine_forward_pixels(canvas_size, angle, translate, scale, shear, center)
    return (lambda p: _apply_affine_points(p, forward)), canvas_size


_register_warp(affine, _affine_image, _affine_point_map)


# --- rotate ---------------------------------------------------------------------------------


def _expanded_size(inverse_centred: Sequence[float], size: Sequence[int]) -> tuple[int, int]:
    """Canvas (h, w) holding the whole rotated image, computed as torchvision (and PIL) do."""
    h, w = size
    a, b, c, d, e, f = inverse_centred
    xs, ys = [], []
    for x, y in (
        (-0.5 * w, -0.5 * h),
        (0.5 * w, -0.5 * h),
        (0.5 * w, 0.5 * h),
        (-0.5 * w, 0.5 * h),
    ):
        xs.append(a * x + b * y + c + 0.5 * w)
        ys.append(d * x + e * y + f + 0.5 * h)

    def snap(v: float) -> float:  # drop float noise so that 1e-15 does not ceil to 1
        return math.trunc(v * 1e4) / 1e4

    new_w = math.ceil(snap(max(xs))) - math.floor(snap(min(xs)))
    new_h = math.ceil(snap(max(ys))) - math.floor(snap(min(ys)))
    return int(new_h), int(new_w)


def _rotation_geometry(size, angle, expand, center):
    """(inverse centred map, output size, forward pixel map incl. the expand shift)."""
    h, w = size
    inverse = _affine_inverse_centred(size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center)
    out_size = _expanded_size(inverse, size) if expand else (h, w)
    if expand and center is None and angle % 360 in (0.0, 90.0, 180.0, 270.0):
        out_size = (w, h) if angle % 180 else (h, w)  # the exact torch.rot90 path the images take
    forward = _affine_forward_pixels(size, -angle, [0.0, 0.0], 1.0, [0.0, 0.0], center)
    # the image maps its centre to the output's centre, so expanding shifts everything by this
    shift = [0.5 * (out_size[1] - w), 0.5 * (out_size[0] - h)]
    return inverse, out_size, forward, shift


def rotate(
    inpt: Any,
    angle: float,
    interpolation: InterpolationMode | str | int = InterpolationMode.NEAREST,
    expand: bool = False,
    center: Sequence[float] | None = None,
    fill: float | Sequence[float] | None = None,
) -> Any:
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (x, y; default the image
    centre). ``expand=True`` grows the canvas to hold the whole rotated image.

    Multiples of 90 degrees about the centre are exact (``torch.rot90``) when the canvas allows
    (square image or ``expand``). Other angles sample through ``grid_sample`` with
    ``interpolation`` nearest or bilinear; outside points take ``fill``. Boxes become the box
    around their rotated corners, clamped; keypoints rotate as points.

    Example:
        >>> import torch
        >>> rotate(torch.tensor([[[1, 2], [3, 4]]]), 90)
        tensor([[[2, 4],
                 [1, 3]]])
        >>> rotate(torch.zeros(3, 10, 20), 90, expand=True).shape
        torch.Size([3, 20, 10])
    """
    return dispatch(
        rotate,
        inpt,
        angle=angle,
        interpolation=interpolation,
        expand=expand,
        center=center,
        fill=fill,
    )


def _rotate_image(
    image, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=None
):
    _check_image(image, "rotate")
    if not isinstance(angle, numbers.Number):
        raise TypeError(f"angle must be a number, got {angle!r}")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    quarter = float(angle) % 360
    if center is None and quarter in (0.0, 90.0, 180.0, 270.0):
        square = image.shape[-1] == image.shape[-2]
        if quarter in (0.0, 180.0) or expand or square:
            return torch.rot90(image, k=int(quarter) // 90, dims=(-2, -1))
    inverse, out_size, _, _ = _rotation_geometry(
        image.shape[-2:], float(angle), expand, _parse_center(center)
    )
    dtype = _grid_dtype(image)
    theta = torch.tensor(inverse, dtype=dtype, device=image.device).view(1, 2, 3)
    return _warp_images(image, _affine_grid(theta, image.shape[-2:], out_size), mode, fill)


def _parse_center(center):
    if center is None:
        return None
    if not isinstance(center, (list, tuple)) or len(center) != 2:
        raise ValueError(f"center must be a sequence (x, y), got {center!r}")
    return [float(c) for c in center]


def _rotate_point_map(canvas_size, angle, expand=False, center=None, **_):
    """Where :func:`rotate` takes points of a ``canvas_size`` image, and the output canvas."""
    _, out_size, forward, shift = _rotation_geometry(canvas_size, float(angle), expand, _parse_center(center))
    return (lambda p: _apply_affine_points(p, forward, shift)), out_size


_register_warp(rotate, _rotate_image, _rotate_point_map)


# --- perspective ----------------------------------------------------------------------------


def _perspective_from_points(startpoints, endpoints) -> list[float]:
    """Coefficients (a..h) of the map endpoints -> startpoints,
    ``(x, y) -> ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1))``."""
    if len(startpoints) != 4 or len(endpoints) != 4:
        raise ValueError(
            f"perspective needs 4 startpoints and 4 endpoints, got {len(startpoints)} and {len(endpoints)}"
        )
    rows, rhs = [], []
    for (x, y), (u, v) in zip(endpoints, startpoints):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.extend([u, v])
    a = torch.tensor(rows, dtype=torch.float64)
    b = torch.tensor(rhs, dtype=torch.float64)
    solution = torch.linalg.lstsq(a, b.unsqueeze(1)).solution.squeeze(1)
    # torchvision hands float32 coefficients to the kernels; do the same so grids agree
    return solution.to(torch.float32).tolist()


def _perspective_coeffs(startpoints, endpoints, coefficients) -> list[float]:
    if coefficients is not None:
        if startpoints is not None or endpoints is not None:
            raise ValueError("give either startpoints/endpoints or coefficients, not both")
        coefficients = [float(c) for c in coefficients]
        if len(coefficients) != 8:
            raise ValueError(f"coefficients must have 8 values, got {len(coefficients)}")
        return coefficients
    if startpoints is None or endpoints is None:
        raise ValueError("perspective needs startpoints and endpoints, or coefficients")
    return _perspective_from_points(startpoints, endpoints)


def _perspective_grid(coeffs: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Grid ``(B, H, W, 2)`` for coefficients ``(B, 8)`` mapping output pixel centres (x + 0.5)
    to input points. The arithmetic follows torchvision's order so nearest sampling picks the
    same pixels on ties."""
    h, w = size
    dtype, device = coeffs.dtype, coeffs.device
    base = torch.empty(1, h, w, 3, dtype=dtype, device=device)
    base[..., 0].copy_(torch.arange(w, dtype=dtype, device=device) + 0.5)
    base[..., 1].copy_((torch.arange(h, dtype=dtype, device=device) + 0.5).unsqueeze(-1))
    base[..., 2].fill_(1)
    base = base.view(1, h * w, 3)
    numerator = coeffs[:, :6].reshape(-1, 2, 3).transpose(1, 2)
    numerator = numerator / torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=device)
    denominator = (
        torch.cat([coeffs[:, 6:8], torch.ones_like(coeffs[:, :1])], dim=1)
        .unsqueeze(2)
        .expand(-1, 3, 2)
    )
    grids = [
        base.bmm(numerator[i : i + 1]).div_(base.bmm(denominator[i : i + 1])).sub_(1.0)
        for i in range(coeffs.shape[0])
    ]
    return torch.cat(grids).view(-1, h, w, 2)


def _perspective_points(points: torch.Tensor, coeffs: Sequence[float]) -> torch.Tensor:
    """Map points the way the image moves: through the inverse of ``coeffs`` (output -> input)."""
    a, b, c, d, e, f, g, h = coeffs
    matrix = torch.tensor([[a, b, c], [d, e, f], [g, h, 1.0]], dtype=torch.float64)
    try:
        inverse = torch.linalg.inv(matrix)
    except RuntimeError as err:  # a singular homography squashes the image onto a line
        raise ValueError(f"perspective coefficients {list(coeffs)} are not invertible") from err
    inverse = (inverse / inverse[2, 2]).to(points.dtype).to(points.device)
    homogeneous = torch.cat([points, torch.ones_like(points[:, :1])], dim=1) @ inverse.T
    return homogeneous[:, :2] / homogeneous[:, 2:]


def perspective(
    inpt: Any,
    startpoints: Sequence[Sequence[int]] | None,
    endpoints: Sequence[Sequence[int]] | None,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    fill: float | Sequence[float] | None = None,
    coefficients: Sequence[float] | None = None,
) -> Any:
    """Perspective warp moving the four ``startpoints`` (top-left, top-right, bottom-right,
    bottom-left corners, as [x, y]) to ``endpoints``; or give the 8 ``coefficients`` of the
    output -> input map directly (then pass None for the points).

    Images ``(..., C, H, W)`` keep their size (nearest or bilinear; outside = ``fill``); masks
    use nearest; boxes become the box around their four warped corners, clamped; keypoints move.

    Example:
        >>> import torch
        >>> corners = [[0, 0], [7, 0], [7, 7], [0, 7]]
        >>> x = torch.rand(3, 8, 8)
        >>> torch.allclose(perspective(x, corners, corners), x, atol=1e-5)
        True
    """
    return dispatch(
        perspective,
        inpt,
        startpoints=startpoints,
        endpoints=endpoints,
        interpolation=interpolation,
        fill=fill,
        coefficients=coefficients,
    )


def _perspective_image(
    image,
    startpoints,
    endpoints,
    interpolation=InterpolationMode.BILINEAR,
    fill=None,
    coefficients=None,
):
    _check_image(image, "perspective")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    coeffs = _perspective_coeffs(startpoints, endpoints, coefficients)
    dtype = _grid_dtype(image)
    grid = _perspective_grid(
        torch.tensor([coeffs], dtype=dtype, device=image.device), image.shape[-2:]
    )
    return _warp_images(image, grid, mode, fill)


def _perspective_point_map(canvas_size, startpoints, endpoints, coefficients=None, **_):
    """Where :func:`perspective` takes points of a ``canvas_size`` image, and the output canvas."""
    coeffs = _perspective_coeffs(startpoints, endpoints, coefficients)
    return (lambda p: _perspective_points(p, coeffs)), canvas_size


_register_warp(perspective, _perspective_image, _perspective_point_map)


# --- elastic --------------------------------------------------------------------------------


def _identity_grid(size: Sequence[int], dtype, device) -> torch.Tensor:
    h, w = size
    xs = (torch.arange(w, dtype=dtype, device=device) * 2 + 1) / w - 1
    ys = (torch.arange(h, dtype=dtype, device=device) * 2 + 1) / h - 1
    return torch.stack([xs.expand(h, w), ys.unsqueeze(1).expand(h, w)], dim=-1).unsqueeze(0)


def _check_displacement(displacement: Any, size: Sequence[int]) -> torch.Tensor:
    if not isinstance(displacement, torch.Tensor):
        raise TypeError(f"displacement must be a tensor, got {type(displacement).__name__}")
    expected = (1, int(size[0]), int(size[1]), 2)
    if tuple(displacement.shape) != expected:
        raise ValueError(
            f"displacement must have shape {expected}, got {tuple(displacement.shape)}"
        )
    return displacement


def elastic(
    inpt: Any,
    displacement: torch.Tensor,
    interpolation: InterpolationMode | str | int = InterpolationMode.BILINEAR,
    fill: float | Sequence[float] | None = None,
) -> Any:
    """Move every output pixel's sample point by ``displacement`` ``(1, H, W, 2)`` (x, y offsets in
    ``grid_sample``'s normalised units: 2 / W per pixel horizontally, 2 / H vertically).

    Images sample with nearest or bilinear, masks with nearest. Boxes and keypoints move by the
    approximate inverse (subtracting the displacement at their position, as torchvision does;
    good for small displacements), boxes clamped.

    Example:
        >>> import torch
        >>> x = torch.rand(3, 6, 6)
        >>> torch.allclose(elastic(x, torch.zeros(1, 6, 6, 2)), x, atol=1e-6)
        True
    """
    return dispatch(
        elastic, inpt, displacement=displacement, interpolation=interpolation, fill=fill
    )


def _elastic_image(image, displacement, interpolation=InterpolationMode.BILINEAR, fill=None):
    _check_image(image, "elastic")
    mode = _mode(interpolation, ("nearest", "bilinear"))
    displacement = _check_displacement(displacement, image.shape[-2:])
    dtype = _grid_dtype(image)
    grid = _identity_grid(image.shape[-2:], dtype, image.device) + displacement.to(
        dtype=dtype, device=image.device
    )
    return _warp_images(image, grid, mode, fill)


def _elastic_point_map(canvas_size, displacement, **_):
    """Where :func:`elastic` takes points of a ``canvas_size`` image (approximately), and the canvas."""
    displacement = _check_displacement(displacement, canvas_size)
    return (lambda p: _elastic_points(p, displacement, canvas_size)), canvas_size


_register_warp(elastic, _elastic_image, _elastic_point_map)


def _elastic_points(
    points: torch.Tensor, displacement: torch.Tensor, size: Sequence[int]
) -> torch.Tensor:
    h, w = size
    disp = displacement.to(dtype=points.dtype, device=points.device)[0]
    col = points[:, 0].floor().long().clamp(0, w - 1)
    row = points[:, 1].floor().long().clamp(0, h - 1)
    offset = disp[row, col] * torch.tensor(
        [0.5 * w, 0.5 * h], dtype=points.dtype, device=points.device
    )
    return points - offset
