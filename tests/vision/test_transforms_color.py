"""Photometric functionals and transforms against independent references on fresh random images.

References are written here in NumPy / plain Python (no torchvision): brightness is
``clamp(x * f)``, grayscale the ITU-R 601-2 luma, blur a direct 2-D correlation with the
separable Gaussian, equalize a per-channel histogram walk, hue goes through ``colorsys``.
Integer results may differ from a float64 reference by one level (float32 arithmetic before
truncation); float results agree to ~1e-6.
"""

from __future__ import annotations

import colorsys

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.transforms import SampleInfo
from triptych.vision.transforms import functional as F

PIL = pytest.importorskip("PIL.Image")


# --- inputs -----------------------------------------------------------------------------------


@pytest.fixture
def g(seeded_generator) -> torch.Generator:
    return seeded_generator


def rand_u8(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)


def rand_f(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(shape, generator=g)


def uniform(g: torch.Generator, low: float, high: float) -> float:
    return float(torch.empty(()).uniform_(low, high, generator=g))


def close_u8(actual: torch.Tensor, expected, levels: int = 1) -> None:
    diff = np.abs(actual.numpy().astype(np.int64) - np.asarray(expected).astype(np.int64))
    assert diff.max() <= levels, f"max difference {diff.max()} levels"


def close_f(actual: torch.Tensor, expected, atol: float = 1e-5) -> None:
    np.testing.assert_allclose(actual.numpy(), np.asarray(expected), atol=atol, rtol=0)


def luma(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    return 0.2989 * x[..., 0, :, :] + 0.587 * x[..., 1, :, :] + 0.114 * x[..., 2, :, :]


# --- brightness, contrast, saturation, grayscale --------------------------------------------


def test_brightness_is_saturated_product(g):
    f = uniform(g, 0.0, 2.0)
    x8, xf = rand_u8(g, 3, 9, 11), rand_f(g, 3, 9, 11)
    close_u8(F.adjust_brightness(x8, f), np.floor(np.clip(x8.numpy() * f, 0, 255)))
    close_f(F.adjust_brightness(xf, f), np.clip(xf.numpy().astype(np.float64) * f, 0, 1))


def test_grayscale_uses_itu_601_luma(g):
    x8, xf = rand_u8(g, 2, 3, 7, 5), rand_f(g, 3, 7, 5)
    out = F.rgb_to_grayscale(x8)
    assert out.shape == (2, 1, 7, 5) and out.dtype == torch.uint8
    close_u8(out[:, 0], np.floor(luma(x8.numpy())))
    close_f(F.rgb_to_grayscale(xf)[0], luma(xf.numpy()))
    three = F.rgb_to_grayscale(xf, num_output_channels=3)
    assert three.shape == (3, 7, 5) and torch.equal(three[0], three[2])
    one = rand_u8(g, 1, 4, 4)
    assert torch.equal(F.rgb_to_grayscale(one), one)
    assert torch.equal(F.rgb_to_grayscale(one, num_output_channels=3), one.expand(3, 4, 4))


def test_contrast_blends_with_grayscale_mean(g):
    f = uniform(g, 0.0, 2.0)
    x8, xf = rand_u8(g, 3, 8, 6), rand_f(g, 3, 8, 6)
    mean8 = np.floor(luma(x8.numpy())).mean()
    close_u8(F.adjust_contrast(x8, f), np.floor(np.clip(f * x8.numpy() + (1 - f) * mean8, 0, 255)))
    meanf = luma(xf.numpy()).mean()
    close_f(F.adjust_contrast(xf, f), np.clip(f * xf.numpy() + (1 - f) * meanf, 0, 1))
    gray = rand_f(g, 1, 8, 6)
    close_f(F.adjust_contrast(gray, f), np.clip(f * gray.numpy() + (1 - f) * gray.numpy().mean(), 0, 1))


def test_saturation_blends_with_grayscale(g):
    f = uniform(g, 0.0, 2.0)
    x8, xf = rand_u8(g, 3, 5, 6), rand_f(g, 3, 5, 6)
    gray8 = np.floor(luma(x8.numpy()))[None]
    close_u8(F.adjust_saturation(x8, f), np.floor(np.clip(f * x8.numpy() + (1 - f) * gray8, 0, 255)))
    grayf = luma(xf.numpy())[None]
    close_f(F.adjust_saturation(xf, f), np.clip(f * xf.numpy() + (1 - f) * grayf, 0, 1))


def test_saturation_zero_is_grayscale(g):
    x8, xf = rand_u8(g, 3, 6, 6), rand_f(g, 3, 6, 6)
    close_u8(F.adjust_saturation(x8, 0.0), F.rgb_to_grayscale(x8, num_output_channels=3))
    close_f(F.adjust_saturation(xf, 0.0), F.rgb_to_grayscale(xf, num_output_channels=3), atol=1e-6)


# --- hue --------------------------------------------------------------------------------------


def test_hue_matches_colorsys(g):
    shift = uniform(g, -0.5, 0.5)
    x = rand_f(g, 3, 4, 5)
    out = F.adjust_hue(x, shift)
    pixels = x.permute(1, 2, 0).reshape(-1, 3).double().numpy()
    expected = []
    for r, gg, b in pixels:
        h, s, v = colorsys.rgb_to_hsv(r, gg, b)
        expected.append(colorsys.hsv_to_rgb((h + shift) % 1.0, s, v))
    expected = np.array(expected).reshape(4, 5, 3).transpose(2, 0, 1)
    close_f(out, expected, atol=1e-5)


def test_hue_zero_and_full_turn_are_identity(g):
    x8, xf = rand_u8(g, 3, 10, 9), rand_f(g, 3, 10, 9)
    close_u8(F.adjust_hue(x8, 0.0), x8)
    close_f(F.adjust_hue(xf, 0.0), xf, atol=1e-6)
    close_f(F.adjust_hue(F.adjust_hue(xf, 0.5), 0.5), xf, atol=1e-5)  # two half turns
    turn = xf
    for _ in range(4):
        turn = F.adjust_hue(turn, 0.25)
    close_f(turn, xf, atol=1e-5)
    turn8 = x8
    for _ in range(3):  # a third of a turn permutes the channels exactly, so no drift
        turn8 = F.adjust_hue(turn8, 1 / 3)
    close_u8(turn8, x8)


def test_hue_third_turn_rotates_channels(g):
    x8 = rand_u8(g, 3, 6, 7)
    close_u8(F.adjust_hue(x8, 1 / 3), x8[[2, 0, 1]])
    close_u8(F.adjust_hue(x8, -1 / 3), x8[[1, 2, 0]])


# --- sharpness, gamma, blur ---------------------------------------------------------------------


def sharpness_reference(x: np.ndarray, factor: float, integer: bool) -> np.ndarray:
    x = x.astype(np.float64)
    weights = np.ones((3, 3)) / 13.0
    weights[1, 1] = 5.0 / 13.0
    windows = sliding_window_view(x, (3, 3), axis=(-2, -1))
    smooth = (windows * weights).sum(axis=(-2, -1))
    if integer:
        smooth = np.round(smooth)
    out = x.copy()
    out[..., 1:-1, 1:-1] = factor * x[..., 1:-1, 1:-1] + (1 - factor) * smooth
    return np.clip(out, 0, 255 if integer else 1)


def test_sharpness_matches_reference(g):
    f = uniform(g, 0.0, 3.0)
    x8, xf = rand_u8(g, 3, 9, 8), rand_f(g, 3, 9, 8)
    close_u8(F.adjust_sharpness(x8, f), np.floor(sharpness_reference(x8.numpy(), f, True)))
    close_f(F.adjust_sharpness(xf, f), sharpness_reference(xf.numpy(), f, False))
    assert torch.equal(F.adjust_sharpness(x8, 1.0), x8)


def test_gamma_matches_reference(g):
    gamma, gain = uniform(g, 0.2, 3.0), uniform(g, 0.5, 1.5)
    x8, xf = rand_u8(g, 3, 5, 5), rand_f(g, 3, 5, 5)
    close_f(F.adjust_gamma(xf, gamma), xf.double().numpy() ** gamma)
    close_f(F.adjust_gamma(xf, gamma, gain), np.clip(gain * xf.double().numpy() ** gamma, 0, 1))
    expected = np.floor(np.clip(gain * (x8.numpy() / 255.0) ** gamma, 0, 1) * 255.999)
    close_u8(F.adjust_gamma(x8, gamma, gain), expected)


def blur_reference(x: np.ndarray, kx: int, ky: int, sx: float, sy: float) -> np.ndarray:
    def kernel(size: int, sigma: float) -> np.ndarray:
        d = np.arange(size) - (size - 1) / 2
        k = np.exp(-(d**2) / (2 * sigma**2))
        return k / k.sum()

    kernel2d = np.outer(kernel(ky, sy), kernel(kx, sx))  # (ky, kx)
    padded = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - 2) + [(ky // 2,) * 2, (kx // 2,) * 2], mode="reflect")
    windows = sliding_window_view(padded, (ky, kx), axis=(-2, -1))
    return (windows * kernel2d).sum(axis=(-2, -1))


def test_gaussian_blur_matches_direct_convolution(g):
    kx, ky = 2 * int(torch.randint(0, 4, (), generator=g)) + 1, 2 * int(torch.randint(0, 4, (), generator=g)) + 1
    sx, sy = uniform(g, 0.3, 3.0), uniform(g, 0.3, 3.0)
    x8, xf = rand_u8(g, 3, 12, 10), rand_f(g, 2, 3, 12, 10)
    close_f(F.gaussian_blur(xf, [kx, ky], [sx, sy]), blur_reference(xf.numpy(), kx, ky, sx, sy))
    close_u8(F.gaussian_blur(x8, [kx, ky], [sx, sy]), np.round(blur_reference(x8.numpy(), kx, ky, sx, sy)))
    default_sigma = 0.15 * 5 + 0.35  # as torchvision when sigma is None
    close_f(F.gaussian_blur(xf, 5), blur_reference(xf.numpy(), 5, 5, default_sigma, default_sigma))


def test_gaussian_blur_per_image_sigma(g):
    x = rand_f(g, 4, 3, 10, 10)
    sigmas = torch.empty(4).uniform_(0.2, 3.0, generator=g)
    out = F.gaussian_blur(x, 5, sigma=sigmas)
    for n in range(4):
        assert torch.allclose(out[n], F.gaussian_blur(x[n], 5, sigma=float(sigmas[n])), atol=1e-6)
    pairs = torch.empty(4, 2).uniform_(0.2, 3.0, generator=g)
    out = F.gaussian_blur(x, [3, 5], sigma=pairs)
    for n in range(4):
        expected = blur_reference(x[n].numpy(), 3, 5, float(pairs[n, 0]), float(pairs[n, 1]))
        close_f(out[n], expected)


# --- invert, posterize, solarize, autocontrast, equalize --------------------------------------


def test_invert(g):
    x8, xf = rand_u8(g, 3, 4, 4), rand_f(g, 3, 4, 4)
    close_u8(F.invert(x8), 255 - x8.numpy().astype(np.int64), levels=0)
    close_f(F.invert(xf), 1.0 - xf.numpy(), atol=0)


def test_posterize(g):
    bits = int(torch.randint(0, 9, (), generator=g))
    x8, xf = rand_u8(g, 3, 6, 6), rand_f(g, 3, 6, 6)
    mask = (0xFF << (8 - bits)) & 0xFF
    close_u8(F.posterize(x8, bits), x8.numpy() & mask, levels=0)
    levels = 2**bits
    close_f(F.posterize(xf, bits), np.minimum(np.floor(xf.numpy() * levels), levels - 1) / levels, atol=0)


def test_solarize(g):
    threshold = int(torch.randint(0, 256, (), generator=g))
    x8 = rand_u8(g, 3, 6, 6)
    a = x8.numpy().astype(np.int64)
    close_u8(F.solarize(x8, threshold), np.where(a >= threshold, 255 - a, a), levels=0)
    xf = rand_f(g, 3, 6, 6)
    close_f(F.solarize(xf, threshold / 255), np.where(xf.numpy() >= threshold / 255, 1 - xf.numpy(), xf.numpy()), atol=0)


def test_autocontrast(g):
    x8 = (rand_u8(g, 3, 7, 7) // 2 + 40).to(torch.uint8)
    x8[1] = 99  # a flat channel stays as it is
    a = x8.numpy().astype(np.int64)
    low, high = a.min(axis=(1, 2), keepdims=True), a.max(axis=(1, 2), keepdims=True)
    span = np.where(high == low, 255, high - low)
    low = np.where(high == low, 0, low)
    close_u8(F.autocontrast(x8), (a - low) * 255 // span, levels=0)
    out = F.autocontrast(rand_f(g, 3, 5, 5) * 0.5 + 0.2)
    assert torch.allclose(out.amin(dim=(1, 2)), torch.zeros(3)) and torch.allclose(out.amax(dim=(1, 2)), torch.ones(3))


def equalize_reference(channel: np.ndarray) -> np.ndarray:
    """PIL's algorithm, one channel: spread the levels below the brightest present over 255."""
    hist = np.bincount(channel.ravel(), minlength=256)
    present = np.nonzero(hist)[0]
    step = (hist.sum() - hist[present[-1]]) // 255
    if step == 0:
        return channel.copy()
    lut, n = [], step // 2
    for count in hist:
        lut.append(min(n // step, 255))
        n += count
    return np.array(lut, dtype=np.uint8)[channel]


def test_equalize_matches_histogram_reference(g):
    x8 = rand_u8(g, 2, 3, 16, 12)
    x8[0, 1] = x8[0, 1] // 8 + 100  # a narrow channel
    x8[1, 2] = 7  # a flat channel
    out = F.equalize(x8)
    expected = np.stack([np.stack([equalize_reference(c) for c in img]) for img in x8.numpy()])
    close_u8(out, expected, levels=0)


def test_equalize_matches_pil(g):
    from PIL import ImageOps

    x8 = rand_u8(g, 3, 20, 15) // 3
    pil = F.to_pil_image(x8)
    close_u8(F.equalize(x8), F.pil_to_tensor(ImageOps.equalize(pil)), levels=0)


# --- dtype, PIL, typed tensors, batches -------------------------------------------------------


CASES = {
    "brightness": lambda x: F.adjust_brightness(x, 1.3),
    "contrast": lambda x: F.adjust_contrast(x, 0.6),
    "saturation": lambda x: F.adjust_saturation(x, 1.7),
    "hue": lambda x: F.adjust_hue(x, 0.2),
    "sharpness": lambda x: F.adjust_sharpness(x, 1.8),
    "gamma": lambda x: F.adjust_gamma(x, 0.8),
    "grayscale": lambda x: F.rgb_to_grayscale(x),
    "blur": lambda x: F.gaussian_blur(x, 5, 1.2),
    "invert": F.invert,
    "posterize": lambda x: F.posterize(x, 5),
    "solarize": lambda x: F.solarize(x, 0.5 if getattr(x, "is_floating_point", lambda: False)() else 128),
    "autocontrast": F.autocontrast,
    "equalize": F.equalize,
}

# Float and uint8 agree to one level, except where uint8 re-quantises in the middle.
FLOAT_TOLERANCE = {"contrast": 2, "saturation": 2, "sharpness": 2, "solarize": 255, "posterize": 255}


@pytest.mark.parametrize("name", sorted(CASES))
def test_float_and_uint8_agree(name, g):
    x8 = rand_u8(g, 3, 12, 12)
    xf = x8.float() / 255
    out8, outf = CASES[name](x8).float(), CASES[name](xf) * 255
    tolerance = FLOAT_TOLERANCE.get(name, 1) + 1e-3
    diff = (out8 - outf).abs()
    if name in ("solarize", "posterize"):  # thresholds: compare where the float is not on a boundary
        diff = diff[(outf - outf.round()).abs() > 1e-3] if name == "posterize" else diff[(xf - 0.5).abs() > 1e-3]
        tolerance = 1 + 1e-3
    assert diff.max() <= tolerance, f"{name}: {diff.max()}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_pil_and_tensor_agree(name, g):
    x8 = rand_u8(g, 3, 10, 13)
    out_pil = CASES[name](F.to_pil_image(x8))
    out_tensor = CASES[name](x8)
    close_u8(F.pil_to_tensor(out_pil), out_tensor)
    assert out_pil.mode == ("L" if name == "grayscale" else "RGB")


@pytest.mark.parametrize("name", sorted(CASES))
def test_typed_inputs(name, g):
    image = tensors.Image(rand_u8(g, 3, 8, 8))
    out = CASES[name](image)
    assert type(out) is tensors.Image
    mask = tensors.Mask(rand_u8(g, 8, 8))
    boxes = tensors.BoundingBoxes([[1, 2, 5, 6]], format="XYXY", canvas_size=(8, 8))
    points = tensors.KeyPoints([[1.0, 2.0]], canvas_size=(8, 8))
    for item in (mask, boxes, points):
        out = CASES[name](item)
        assert type(out) is type(item) and torch.equal(out, item)


PER_IMAGE = {
    "adjust_brightness": (lambda g, n: torch.empty(n).uniform_(0, 2, generator=g)),
    "adjust_contrast": (lambda g, n: torch.empty(n).uniform_(0, 2, generator=g)),
    "adjust_saturation": (lambda g, n: torch.empty(n).uniform_(0, 2, generator=g)),
    "adjust_hue": (lambda g, n: torch.empty(n).uniform_(-0.5, 0.5, generator=g)),
    "adjust_sharpness": (lambda g, n: torch.empty(n).uniform_(0, 2, generator=g)),
    "adjust_gamma": (lambda g, n: torch.empty(n).uniform_(0.3, 2, generator=g)),
    "posterize": (lambda g, n: torch.randint(0, 9, (n,), generator=g)),
    "solarize": (lambda g, n: torch.randint(0, 256, (n,), generator=g).float()),
}


@pytest.mark.parametrize("name", sorted(PER_IMAGE))
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_per_image_parameters_equal_single_calls(name, dtype, g):
    fn = getattr(F, name)
    x = rand_u8(g, 5, 3, 9, 7)
    x = x if dtype == torch.uint8 else x.float() / 255
    values = PER_IMAGE[name](g, 5)
    if name == "solarize" and dtype == torch.float32:
        values = values / 255
    out = fn(x, values)
    singles = torch.stack([fn(x[n], values[n].item()) for n in range(5)])
    assert torch.equal(out, singles)


def test_per_image_parameters_check_shape(g):
    with pytest.raises(ValueError, match="leading dims"):
        F.adjust_brightness(rand_f(g, 4, 3, 2, 2), torch.ones(3))


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: F.adjust_brightness(x, -0.1), ValueError),
        (lambda x: F.adjust_hue(x, 0.6), ValueError),
        (lambda x: F.adjust_saturation(torch.rand(4, 5, 5), 0.5), TypeError),
        (lambda x: F.rgb_to_grayscale(x, num_output_channels=2), ValueError),
        (lambda x: F.gaussian_blur(x, 4), ValueError),
        (lambda x: F.gaussian_blur(x, 3, sigma=0.0), ValueError),
        (lambda x: F.gaussian_blur(x, 31), ValueError),
        (lambda x: F.posterize(x, 9), ValueError),
        (lambda x: F.posterize(x, 2.5), TypeError),
        (lambda x: F.solarize(x, 300), ValueError),
        (lambda x: F.adjust_brightness(torch.rand(5, 5), 1.0), ValueError),
        (lambda x: F.adjust_brightness("image", 1.0), TypeError),
    ],
)
def test_bad_arguments_raise(call, error):
    with pytest.raises(error):
        call(torch.randint(0, 256, (3, 8, 8), dtype=torch.uint8))


# --- transforms -------------------------------------------------------------------------------


def test_color_jitter_is_reproducible(g):
    x = rand_u8(g, 6, 3, 10, 10)
    seed = int(torch.randint(0, 2**31, (), generator=g))
    make = lambda s: T.ColorJitter(0.4, 0.4, 0.4, 0.2, generator=torch.Generator().manual_seed(s))  # noqa: E731
    assert torch.equal(make(seed)(x), make(seed)(x))
    assert not torch.equal(make(seed)(x), make(seed + 1)(x))


def test_color_jitter_batch_draws_per_image_parameters(g):
    x = rand_u8(g, 8, 3, 9, 11)
    seed = int(torch.randint(0, 2**31, (), generator=g))
    t = T.ColorJitter(0.5, 0.5, 0.5, 0.2, generator=torch.Generator().manual_seed(seed))
    params = t.make_params(SampleInfo(inputs=[x], size=(9, 11), batch=8))
    for factors in params["factors"]:
        assert factors.shape == (8,) and len(set(factors.tolist())) == 8
    assert params["order"].shape == (8, 4)
    assert sorted(params["order"][0].tolist()) == [0, 1, 2, 3]
    expected = t.transform(x, params)
    again = T.ColorJitter(0.5, 0.5, 0.5, 0.2, generator=torch.Generator().manual_seed(seed))(x)
    assert torch.equal(again, expected)  # forward draws exactly make_params
    adjust = [F.adjust_brightness, F.adjust_contrast, F.adjust_saturation, F.adjust_hue]
    for n in range(8):
        single = x[n]
        for op in params["order"][n].tolist():
            single = adjust[op](single, params["factors"][op][n].item())
        assert torch.equal(expected[n], single)


def test_color_jitter_ranges(g):
    t = T.ColorJitter(brightness=(0.5, 0.6), generator=g)
    params = t.make_params(SampleInfo(inputs=[], size=(4, 4), batch=100))
    factors = params["factors"][0]
    assert bool((factors >= 0.5).all() and (factors <= 0.6).all())
    assert params["factors"][1:] == [None, None, None]
    x = rand_f(g, 100, 3, 4, 4) * 0.5
    close_f(t.transform(x, params), (x * factors.view(-1, 1, 1, 1)).numpy(), atol=1e-6)
    with pytest.raises(ValueError):
        T.ColorJitter(hue=0.7)
    with pytest.raises(ValueError):
        T.ColorJitter(brightness=-1)
    assert T.ColorJitter(brightness=0).brightness is None


def test_gaussian_blur_transform_batch(g):
    x = rand_u8(g, 5, 3, 12, 12)
    seed = int(torch.randint(0, 2**31, (), generator=g))
    t = T.GaussianBlur(5, sigma=(0.5, 2.5), generator=torch.Generator().manual_seed(seed))
    sigma = T.GaussianBlur(5, sigma=(0.5, 2.5), generator=torch.Generator().manual_seed(seed)).make_params(
        SampleInfo(inputs=[x], size=(12, 12), batch=5)
    )["sigma"]
    out = t(x)
    assert len(set(sigma.tolist())) == 5
    for n in range(5):
        assert torch.equal(out[n], F.gaussian_blur(x[n], 5, sigma=sigma[n].item()))


RANDOM_SINGLE = {
    "invert": (lambda p, g: T.RandomInvert(p=p, generator=g), F.invert),
    "posterize": (lambda p, g: T.RandomPosterize(3, p=p, generator=g), lambda x: F.posterize(x, 3)),
    "solarize": (lambda p, g: T.RandomSolarize(100, p=p, generator=g), lambda x: F.solarize(x, 100)),
    "sharpness": (lambda p, g: T.RandomAdjustSharpness(2.0, p=p, generator=g), lambda x: F.adjust_sharpness(x, 2.0)),
    "autocontrast": (lambda p, g: T.RandomAutocontrast(p=p, generator=g), F.autocontrast),
    "equalize": (lambda p, g: T.RandomEqualize(p=p, generator=g), F.equalize),
    "grayscale": (lambda p, g: T.RandomGrayscale(p=p, generator=g), lambda x: F.rgb_to_grayscale(x, num_output_channels=3)),
}


@pytest.mark.parametrize("name", sorted(RANDOM_SINGLE))
def test_random_transforms_apply_per_image(name, g):
    make, fn = RANDOM_SINGLE[name]
    x = rand_u8(g, 32, 3, 24, 24) // 2 + 20  # not full range, so autocontrast changes it
    assert not torch.equal(fn(x[0]), x[0])
    assert torch.equal(make(1.0, g)(x[0]), fn(x[0]))
    assert torch.equal(make(0.0, g)(x[0]), x[0])
    out = make(0.5, g)(x)
    applied = [bool(torch.equal(out[n], fn(x[n]))) for n in range(32)]
    untouched = [bool(torch.equal(out[n], x[n])) for n in range(32)]
    assert all(a or u for a, u in zip(applied, untouched))
    assert any(a and not u for a, u in zip(applied, untouched)) and any(u and not a for a, u in zip(applied, untouched))


PHOTOMETRIC = [
    lambda g: T.ColorJitter(0.5, 0.5, 0.5, 0.3, generator=g),
    lambda g: T.Grayscale(num_output_channels=3),
    lambda g: T.RandomGrayscale(p=1.0, generator=g),
    lambda g: T.GaussianBlur(3, sigma=(1.0, 2.0), generator=g),
    lambda g: T.RandomInvert(p=1.0, generator=g),
    lambda g: T.RandomPosterize(2, p=1.0, generator=g),
    lambda g: T.RandomSolarize(10, p=1.0, generator=g),
    lambda g: T.RandomAdjustSharpness(0.0, p=1.0, generator=g),
    lambda g: T.RandomAutocontrast(p=1.0, generator=g),
    lambda g: T.RandomEqualize(p=1.0, generator=g),
]


@pytest.mark.parametrize("make", PHOTOMETRIC)
def test_photometric_transforms_leave_boxes_and_masks(make, g):
    image = tensors.Image(rand_u8(g, 3, 32, 32) // 2 + 20)
    boxes = tensors.BoundingBoxes([[1, 2, 9, 12], [0, 0, 4, 4]], format="XYXY", canvas_size=(32, 32))
    mask = tensors.Mask(rand_u8(g, 32, 32) % 3)
    points = tensors.KeyPoints([[3.0, 4.0]], canvas_size=(32, 32))
    sample = {"image": image, "boxes": boxes, "mask": mask, "points": points, "label": 3}
    out = make(g)(sample)
    assert type(out["image"]) is tensors.Image and not torch.equal(out["image"], image)
    assert out["boxes"] is boxes and out["mask"] is mask and out["points"] is points and out["label"] == 3


@pytest.mark.parametrize("make", PHOTOMETRIC)
def test_photometric_transforms_take_pil(make, g):
    x = rand_u8(g, 3, 12, 12)
    out = make(g)(F.to_pil_image(x))
    assert out.size == (12, 12) and out.mode == "RGB"


def test_grayscale_transform_on_pil_gives_l(g):
    pil = F.to_pil_image(rand_u8(g, 3, 5, 5))
    assert T.Grayscale()(pil).mode == "L"
    assert T.RandomGrayscale(p=1.0, generator=g)(pil).mode == "RGB"


# --- CUDA -------------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_matches_cpu(name, g):
    x8 = rand_u8(g, 4, 3, 20, 24)
    for x in (x8, x8.float() / 255):
        cpu, gpu = CASES[name](x), CASES[name](x.cuda()).cpu()
        tolerance = 1 if x.dtype == torch.uint8 else 1e-5
        assert (cpu.double() - gpu.double()).abs().max() <= tolerance


@pytest.mark.cuda
def test_cuda_color_jitter_batch_matches_cpu(g):
    x = rand_u8(g, 16, 3, 20, 24)
    seed = int(torch.randint(0, 2**31, (), generator=g))
    make = lambda: T.ColorJitter(0.4, 0.4, 0.4, 0.1, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    cpu, gpu = make()(x), make()(x.cuda())
    assert gpu.is_cuda
    assert (cpu.int() - gpu.cpu().int()).abs().max() <= 1


@pytest.mark.parametrize("op", [
    lambda x: F.adjust_brightness(x, 1.2), lambda x: F.adjust_contrast(x, 1.2),
    lambda x: F.adjust_saturation(x, 1.2), lambda x: F.adjust_hue(x, 0.1),
    lambda x: F.adjust_sharpness(x, 1.5), lambda x: F.adjust_gamma(x, 1.5),
    lambda x: F.gaussian_blur(x, [3, 3]), F.invert, lambda x: F.posterize(x, 3),
    lambda x: F.solarize(x, 100), F.autocontrast, F.equalize,
])
def test_photometric_ops_map_an_empty_image_to_an_empty_image(op):
    # The one image check refuses empty images for resampling kernels; photometric ones pass them.
    empty = torch.zeros(3, 0, 5, dtype=torch.uint8)
    assert op(empty).shape == empty.shape
    with pytest.raises(ValueError, match="empty image"):
        F.resize(empty, [4, 4])
