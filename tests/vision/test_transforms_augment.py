"""Erasing, the automatic augmentation policies and CutMix/MixUp, on fresh random images.

The policies are checked structurally (magnitudes from the published tables, per-image draws,
a batch equals its images one by one) and their geometric operations against exact
references (integer translations, 90-degree rotations, shears with nearest sampling).
"""

from __future__ import annotations

import math

import pytest
import torch

from triptych.vision import tensors
from triptych.vision import transforms as T
from triptych.vision.transforms import SampleInfo
from triptych.vision.transforms import _auto_augment as augment_module
from triptych.vision.transforms import functional as F

pytest.importorskip("PIL.Image")


@pytest.fixture
def g(seeded_generator) -> torch.Generator:
    return seeded_generator


def rand_u8(g: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randint(0, 256, shape, dtype=torch.uint8, generator=g)


def seed_of(g: torch.Generator) -> int:
    return int(torch.randint(0, 2**31, (), generator=g))


# --- erase ------------------------------------------------------------------------------------


def test_erase_writes_the_rectangle(g):
    x = rand_u8(g, 3, 10, 12)
    i, j, h, w = 2, 3, 4, 5
    value = torch.tensor([7, 8, 9]).view(3, 1, 1)
    out = F.erase(x, i, j, h, w, value)
    expected = x.clone()
    expected[:, i : i + h, j : j + w] = value.to(torch.uint8)
    assert torch.equal(out, expected) and not torch.equal(out, x)
    patch = rand_u8(g, 3, 6, 6)
    out = F.erase(x, i, j, h, w, patch)
    assert torch.equal(out[:, i : i + h, j : j + w], patch[:, :h, :w])
    inplace = x.clone()
    assert F.erase(inplace, i, j, h, w, value, inplace=True) is inplace and torch.equal(inplace, F.erase(x, i, j, h, w, value))


def test_erase_per_image_rectangles_equal_single_calls(g):
    x = torch.rand(6, 3, 9, 11, generator=g)
    h = torch.randint(0, 9, (6,), generator=g)
    w = torch.randint(0, 11, (6,), generator=g)
    i = (torch.rand(6, generator=g) * (9 - h + 1)).long()
    j = (torch.rand(6, generator=g) * (11 - w + 1)).long()
    for v in (torch.rand(6, 3, 1, 1, generator=g), torch.randn(6, 3, 9, 11, generator=g)):
        out = F.erase(x, i, j, h, w, v)
        for n in range(6):
            single = F.erase(x[n], int(i[n]), int(j[n]), int(h[n]), int(w[n]), v[n][:, : int(h[n]), : int(w[n])])
            assert torch.equal(out[n], single)


def test_erase_batch_paths_agree(g):
    """The CPU path (a slice per image) and the GPU path (one masked select) give the same."""
    from triptych.vision.transforms.functional import _augment as functional_augment

    x = rand_u8(g, 7, 3, 10, 12)
    h = torch.randint(0, 10, (7,), generator=g)
    w = torch.randint(0, 12, (7,), generator=g)
    i = (torch.rand(7, generator=g) * (10 - h + 1)).long()
    j = (torch.rand(7, generator=g) * (12 - w + 1)).long()
    for v, is_patch in ((rand_u8(g, 7, 3, 1, 1), False), (rand_u8(g, 7, 3, 10, 12), True)):
        sliced = functional_augment._erase_rows_sliced(x, i, j, h, w, v, is_patch)
        masked = functional_augment._erase_rows_masked(x, i, j, h, w, v, is_patch)
        assert torch.equal(sliced, masked)


def test_erase_leaves_boxes_and_masks(g):
    mask = tensors.Mask(rand_u8(g, 8, 8))
    boxes = tensors.BoundingBoxes([[0, 0, 4, 4]], format="XYXY", canvas_size=(8, 8))
    assert torch.equal(F.erase(mask, 0, 0, 4, 4, torch.tensor(0)), mask)
    assert F.erase(boxes, 0, 0, 4, 4, torch.tensor(0)) is boxes


# --- RandomErasing ------------------------------------------------------------------------------


def test_random_erasing_area_and_ratio(g):
    t = T.RandomErasing(p=1.0, scale=(0.1, 0.3), ratio=(0.5, 2.0), value=1.5, generator=g)
    height, width = 40, 50
    for _ in range(20):
        out = t(torch.zeros(3, height, width))
        erased = (out == 1.5).all(dim=0)
        rows, cols = erased.any(dim=1).sum().item(), erased.any(dim=0).sum().item()
        assert erased.sum().item() == rows * cols  # one rectangle
        assert 0.1 * height * width - rows - cols <= rows * cols <= 0.3 * height * width + rows + cols
        assert 0.5 * 0.8 <= rows / cols <= 2.0 * 1.25  # rounding of h and w moves the ratio a little


def test_random_erasing_values(g):
    x = torch.zeros(3, 30, 30)
    out = T.RandomErasing(p=1.0, value=(0.25, 0.5, 0.75), generator=g)(x)
    erased = out[0] != 0
    assert erased.any()
    for c, v in enumerate((0.25, 0.5, 0.75)):
        assert bool((out[c][erased] == v).all()) and bool((out[c][~erased] == 0).all())
    noisy = T.RandomErasing(p=1.0, value="random", generator=g)(x)
    assert noisy.std() > 0
    x8 = torch.zeros(3, 30, 30, dtype=torch.uint8)
    noisy8 = T.RandomErasing(p=1.0, value="random", generator=g)(x8)
    assert noisy8.dtype == torch.uint8 and noisy8.max() > 100
    with pytest.raises(ValueError):
        T.RandomErasing(p=1.0, value=(1.0, 2.0))(x)
    with pytest.raises(ValueError):
        T.RandomErasing(value="noise")


def test_random_erasing_batch_is_per_image(g):
    x = torch.rand(16, 3, 20, 24, generator=g)
    seed = seed_of(g)
    t = T.RandomErasing(p=1.0, value="random", generator=torch.Generator().manual_seed(seed))
    params = T.RandomErasing(p=1.0, value="random", generator=torch.Generator().manual_seed(seed)).make_params(
        SampleInfo(inputs=[x], size=(20, 24), batch=16)
    )
    # forward draws p's coins after make_params; with p=1 they are all true
    out = t(x)
    assert len({(int(a), int(b)) for a, b in zip(params["i"], params["j"])}) > 1
    for n in range(16):
        h, w = int(params["h"][n]), int(params["w"][n])
        single = F.erase(x[n], int(params["i"][n]), int(params["j"][n]), h, w, params["v"][n][:, :h, :w])
        assert torch.equal(out[n], single)


def test_random_erasing_p_per_image_and_inplace(g):
    x = torch.zeros(64, 1, 16, 16)
    out = T.RandomErasing(p=0.5, value=1.0, generator=g)(x)
    erased = out.flatten(1).amax(dim=1) > 0
    assert 0 < int(erased.sum()) < 64
    assert bool((x == 0).all())
    T.RandomErasing(p=1.0, value=1.0, inplace=True, generator=g)(x)
    assert bool((x.flatten(1).amax(dim=1) > 0).all())


def test_random_erasing_is_reproducible_and_leaves_boxes(g):
    x = rand_u8(g, 3, 20, 20)
    seed = seed_of(g)
    make = lambda: T.RandomErasing(p=1.0, generator=torch.Generator().manual_seed(seed))  # noqa: E731
    assert torch.equal(make()(x), make()(x))
    boxes = tensors.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(20, 20))
    mask = tensors.Mask(torch.ones(20, 20, dtype=torch.uint8))
    out = make()({"image": tensors.Image(x), "boxes": boxes, "mask": mask})
    assert out["boxes"] is boxes and out["mask"] is mask and type(out["image"]) is tensors.Image


# --- the policies' operations ------------------------------------------------------------------


def apply_op(images: torch.Tensor, name: str, magnitude: float, interpolation="nearest", fill=None) -> torch.Tensor:
    """One policy operation, as the policies run it (through the geometry functionals once merged)."""
    mags = torch.full((images.shape[0],), magnitude, dtype=torch.float64)
    return augment_module._apply_op(images, name, mags, interpolation, fill)


@pytest.mark.parametrize("name", ["TranslateX", "TranslateY"])
def test_translate_moves_by_whole_pixels(name, g):
    x = rand_u8(g, 2, 3, 12, 14)
    shift = int(torch.randint(1, 6, (), generator=g)) * (1 if torch.rand((), generator=g) < 0.5 else -1)
    out = apply_op(x, name, shift + 0.7 * math.copysign(1, shift))  # int(magnitude) truncates
    dim = -1 if name == "TranslateX" else -2
    expected = torch.zeros_like(x)
    size = x.shape[dim]
    src = x.narrow(dim, max(-shift, 0), size - abs(shift))
    expected.narrow(dim, max(shift, 0), size - abs(shift)).copy_(src)
    assert torch.equal(out, expected)
    filled = apply_op(x, name, float(shift), fill=[1, 2, 3])
    vacated = filled.narrow(dim, 0 if shift > 0 else size - abs(shift), abs(shift))
    assert torch.equal(vacated, torch.tensor([1, 2, 3], dtype=torch.uint8).view(1, 3, 1, 1).expand_as(vacated))


def test_rotate_quarter_turn_is_rot90(g):
    x = rand_u8(g, 2, 3, 11, 11)
    assert torch.equal(apply_op(x, "Rotate", 90.0), torch.rot90(x, 1, dims=(-2, -1)))
    assert torch.equal(apply_op(x, "Rotate", -90.0), torch.rot90(x, -1, dims=(-2, -1)))


@pytest.mark.parametrize("name", ["ShearX", "ShearY"])
def test_shear_pivots_on_the_top_left_corner(name, g):
    x = rand_u8(g, 1, 3, 13, 17)
    m = [0.27, -0.19][int(torch.randint(0, 2, (), generator=g))]  # no exact half-pixel ties
    out = apply_op(x, name, m)[0]
    height, width = x.shape[-2:]
    expected = torch.zeros_like(x[0])
    for v in range(height):
        for u in range(width):
            # output pixel (u, v) samples the input at u + m (v + 1/2) (ShearX), mirrored for ShearY
            su, sv = (u + m * (v + 0.5), v) if name == "ShearX" else (u, v + m * (u + 0.5))
            ru, rv = round(su), round(sv)
            if 0 <= ru < width and 0 <= rv < height:
                expected[:, v, u] = x[0, :, rv, ru]
    assert torch.equal(out, expected)


def test_photometric_policy_operations_use_the_functionals(g):
    x = rand_u8(g, 2, 3, 9, 9)
    assert torch.equal(apply_op(x, "Brightness", 0.3), F.adjust_brightness(x, 1.3))
    assert torch.equal(apply_op(x, "Color", -0.4), F.adjust_saturation(x, 0.6))
    assert torch.equal(apply_op(x, "Contrast", 0.2), F.adjust_contrast(x, 1.2))
    assert torch.equal(apply_op(x, "Sharpness", 0.5), F.adjust_sharpness(x, 1.5))
    assert torch.equal(apply_op(x, "Posterize", 3.0), F.posterize(x, 3))
    assert torch.equal(apply_op(x, "Solarize", 0.5), F.solarize(x, 127.5))
    assert torch.equal(apply_op(x, "Invert", 0.0), F.invert(x))
    assert torch.equal(apply_op(x, "Identity", 0.0), x)


# --- the policies -------------------------------------------------------------------------------


POLICIES = {
    "autoaugment_imagenet": lambda g: T.AutoAugment(T.AutoAugmentPolicy.IMAGENET, generator=g),
    "autoaugment_cifar10": lambda g: T.AutoAugment("cifar10", generator=g),
    "autoaugment_svhn": lambda g: T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=[10, 20, 30], generator=g),
    "randaugment": lambda g: T.RandAugment(num_ops=3, magnitude=12, generator=g),
    "trivialaugment": lambda g: T.TrivialAugmentWide(generator=g),
    "augmix": lambda g: T.AugMix(generator=g),
    "augmix_partial": lambda g: T.AugMix(severity=5, mixture_width=2, chain_depth=2, all_ops=False, generator=g),
}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_is_reproducible(name, g):
    x = rand_u8(g, 8, 3, 24, 24)
    seed = seed_of(g)
    first = POLICIES[name](torch.Generator().manual_seed(seed))(x)
    second = POLICIES[name](torch.Generator().manual_seed(seed))(x)
    assert first.shape == x.shape and first.dtype == x.dtype and torch.equal(first, second)
    assert not torch.equal(first, x)


def slice_plan(plan, n):
    if isinstance(plan, dict):
        return {
            "original": plan["original"][n : n + 1],
            "chain_weights": plan["chain_weights"][n : n + 1],
            "chains": [slice_plan(steps, n) for steps in plan["chains"]],
        }
    return [augment_module._Step(s.names, s.ops[n : n + 1], s.magnitudes[n : n + 1]) for s in plan]


@pytest.mark.parametrize("name", sorted(POLICIES))
@pytest.mark.parametrize("dtype", [torch.uint8, torch.float32])
def test_policy_batch_equals_images_one_by_one(name, dtype, g):
    x = rand_u8(g, 12, 3, 20, 18)
    x = x if dtype == torch.uint8 else x.float() / 255
    t = POLICIES[name](g)
    plan = t._draw(12, 20, 18)
    out = t._execute(x, plan)
    first_steps = plan["chains"][0] if isinstance(plan, dict) else plan
    assert len(set(first_steps[0].ops.tolist())) > 1  # images draw their own operations
    for n in range(12):
        assert torch.equal(out[n : n + 1], t._execute(x[n : n + 1], slice_plan(plan, n))), n


def test_autoaugment_runs_the_policy_pairs(g):
    t = T.AutoAugment(T.AutoAugmentPolicy.IMAGENET, generator=g)
    plan = t._draw(400, 32, 32)
    names = plan[0].names
    pairs = {(a[0], b[0]) for a, b in augment_module._POLICIES[T.AutoAugmentPolicy.IMAGENET]}
    both = (plan[0].ops >= 0) & (plan[1].ops >= 0)
    assert both.any()
    for a, b in zip(plan[0].ops[both].tolist(), plan[1].ops[both].tolist()):
        assert (names[a], names[b]) in pairs
    rotate = plan[0].ops == names.index("Rotate")
    allowed = torch.tensor([30.0 * 3 / 9, 30.0 * 8 / 9, 30.0 * 9 / 9], dtype=torch.float64)  # bins 3, 8, 9 of 10
    for value in plan[0].magnitudes[rotate].abs():
        assert torch.isclose(value, allowed, atol=1e-5).any()


def test_randaugment_uses_the_given_magnitude(g):
    t = T.RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, generator=g)
    plan = t._draw(500, 40, 60)
    expected = {"Rotate": 9.0, "ShearX": 0.09, "Brightness": 0.27, "TranslateX": 150 / 331 * 60 * 9 / 30, "Posterize": 7.0}
    for step in plan:
        for op, value in expected.items():
            chosen = step.ops == step.names.index(op)
            assert chosen.any()
            assert torch.allclose(step.magnitudes[chosen].abs(), torch.tensor(value, dtype=torch.float64))
        signs = step.magnitudes[step.ops == step.names.index("Rotate")].sign()
        assert (signs > 0).any() and (signs < 0).any()
        assert "Invert" not in step.names


def test_trivialaugment_draws_bins_per_image(g):
    plan = T.TrivialAugmentWide(num_magnitude_bins=31, generator=g)._draw(600, 32, 32)[0]
    rotate = plan.magnitudes[plan.ops == plan.names.index("Rotate")].abs()
    assert len(set(rotate.tolist())) > 10 and float(rotate.max()) <= 135.0


def test_augmix_weights_and_mixing(g):
    t = T.AugMix(mixture_width=3, generator=g)
    plan = t._draw(10, 16, 16)
    total = plan["original"] + plan["chain_weights"].sum(dim=1)
    assert torch.allclose(total, torch.ones(10, dtype=total.dtype))
    x = torch.rand(10, 3, 16, 16, generator=g)
    # Chains that do nothing give the image back; chains that invert (solarize at threshold 0)
    # give original * x + (1 - original) * (1 - x).
    names = tuple(augment_module._AUGMIX_SPACE)
    still = {**plan, "chains": [[augment_module._Step(names, torch.full((10,), -1), torch.zeros(10))]] * 3}
    assert torch.allclose(t._execute(x, still), x, atol=1e-6)
    solarize = names.index("Solarize")
    invert = {**plan, "chains": [[augment_module._Step(names, torch.full((10,), solarize), torch.zeros(10))]] * 3}
    w = plan["original"].view(-1, 1, 1, 1)
    assert torch.allclose(t._execute(x, invert), w * x + (1 - w) * (1 - x), atol=1e-6)


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_takes_single_images_pil_and_typed(name, g):
    x = rand_u8(g, 3, 20, 20)
    t = POLICIES[name](g)
    assert t(x).shape == (3, 20, 20)
    out = t(F.to_pil_image(x))
    assert out.size == (20, 20) and out.mode == "RGB"
    image = tensors.Image(x)
    assert type(t(image)) is tensors.Image
    assert t((x, 5))[1] == 5  # labels pass through


def test_policies_with_boxes_need_geometry(g):
    x = tensors.Image(rand_u8(g, 3, 20, 20))
    boxes = tensors.BoundingBoxes([[1, 1, 5, 5]], format="XYXY", canvas_size=(20, 20))
    with pytest.raises(TypeError, match="AugMix"):
        T.AugMix(generator=g)({"image": x, "boxes": boxes})
    with pytest.raises(TypeError):
        T.RandAugment(generator=g)({"image": tensors.Image(rand_u8(g, 2, 3, 20, 20)), "boxes": boxes})
    if getattr(F, "affine", None) is None:
        with pytest.raises(TypeError, match="geometry"):
            T.RandAugment(generator=g)({"image": x, "boxes": boxes})


def test_policy_arguments_are_checked():
    with pytest.raises(ValueError):
        T.AutoAugment("mnist")
    with pytest.raises(ValueError):
        T.RandAugment(magnitude=31, num_magnitude_bins=31)
    with pytest.raises(ValueError):
        T.AugMix(severity=11)
    with pytest.raises(ValueError):
        T.TrivialAugmentWide(interpolation="bicubic")
    x = rand_u8(torch.Generator().manual_seed(0), 1, 3, 12, 12)
    bilinear, pil_code = apply_op(x, "Rotate", 17.0, "bilinear"), apply_op(x, "Rotate", 17.0, 2)  # PIL's code
    assert torch.equal(bilinear, pil_code) and not torch.equal(bilinear, apply_op(x, "Rotate", 17.0, 0))
    with pytest.raises(TypeError):
        T.RandAugment(fill="white")
    with pytest.raises(TypeError, match="exactly one image"):
        T.RandAugment()((tensors.Image(torch.zeros(3, 4, 4)), tensors.Image(torch.zeros(3, 4, 4))))


# --- CutMix and MixUp -----------------------------------------------------------------------------


def distinct_batch(n: int, height: int, width: int) -> torch.Tensor:
    """Image k is the constant k + 1, so a pixel's value says which image it came from."""
    return torch.arange(1, n + 1, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 3, height, width).clone()


def test_cutmix_pastes_the_area_lambda_says(g):
    for _ in range(10):
        n, height, width = 6, 24, 30
        images, labels = T.CutMix(num_classes=n, alpha=1.0, generator=g)(distinct_batch(n, height, width), torch.arange(n))
        assert labels.shape == (n, n) and torch.allclose(labels.sum(dim=1), torch.ones(n))
        previous = (torch.arange(n) - 1) % n
        for k in range(n):
            pasted = images[k, 0] == previous[k] + 1
            lam = float(labels[k, k])
            assert math.isclose(pasted.float().mean().item(), 1 - lam, abs_tol=1e-6)
            assert math.isclose(float(labels[k, previous[k]]), 1 - lam, abs_tol=1e-6)
            rows, cols = pasted.any(dim=1).sum().item(), pasted.any(dim=0).sum().item()
            assert pasted.sum().item() == rows * cols  # a rectangle
            assert bool(((images[k, 0] == k + 1) | pasted).all())
        assert len({round(float(labels[k, k]), 6) for k in range(n)}) == 1  # one box per batch


def test_mixup_blends_images_and_labels(g):
    n = 5
    x = torch.rand(n, 3, 8, 8, generator=g)
    labels = torch.randint(0, 10, (n,), generator=g)
    labels[1] = (labels[0] + 1) % 10  # a neighbouring pair with different classes gives lam
    images, mixed = T.MixUp(num_classes=10, alpha=0.4, generator=g)(x, labels)
    one_hot = torch.nn.functional.one_hot(labels, 10).float()
    lam = float(mixed[1, labels[1]])
    assert torch.allclose(mixed.sum(dim=1), torch.ones(n))
    assert torch.allclose(mixed, lam * one_hot + (1 - lam) * one_hot.roll(1, 0), atol=1e-6)
    assert torch.allclose(images, lam * x + (1 - lam) * x.roll(1, 0), atol=1e-6)


def test_mixup_uint8_rounds_and_soft_labels_work(g):
    x = rand_u8(g, 4, 3, 6, 6)
    soft = torch.softmax(torch.randn(4, 7, generator=g), dim=1)
    seed = seed_of(g)
    images, mixed = T.MixUp(generator=torch.Generator().manual_seed(seed))(x, soft)
    lam = T.MixUp(generator=torch.Generator().manual_seed(seed))._lam()
    assert images.dtype == torch.uint8
    expected = (lam * x.double() + (1 - lam) * x.roll(1, 0).double()).round()
    assert (images.double() - expected).abs().max() <= 1
    assert torch.allclose(mixed, lam * soft + (1 - lam) * soft.roll(1, 0), atol=1e-6)


def test_batch_mixers_take_dicts_and_typed_images(g):
    images = tensors.Image(torch.rand(4, 3, 8, 8, generator=g))
    sample = {"image": images, "labels": torch.tensor([0, 1, 2, 3]), "meta": "x"}
    for t in (T.CutMix(num_classes=4, generator=g), T.MixUp(num_classes=4, generator=g)):
        out = t(sample)
        assert type(out["image"]) is tensors.Image and out["labels"].shape == (4, 4) and out["meta"] == "x"


def test_batch_mixers_are_reproducible(g):
    x, labels = torch.rand(6, 3, 10, 10, generator=g), torch.randint(0, 3, (6,), generator=g)
    seed = seed_of(g)
    for cls in (T.CutMix, T.MixUp):
        a = cls(num_classes=3, generator=torch.Generator().manual_seed(seed))(x, labels)
        b = cls(num_classes=3, generator=torch.Generator().manual_seed(seed))(x, labels)
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_batch_mixers_reject_bad_input(g):
    x, labels = torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 3])
    with pytest.raises(ValueError, match="num_classes"):
        T.MixUp()(x, labels)
    with pytest.raises(ValueError, match="N = 4"):
        T.CutMix(num_classes=4)(x[0], labels)
    with pytest.raises(ValueError, match="N = 4"):
        T.CutMix(num_classes=4)(x[:3], labels)
    with pytest.raises(ValueError, match="Image"):
        T.MixUp(num_classes=4)(F.to_pil_image(x[0]), labels)
    with pytest.raises(ValueError, match="Mask"):
        T.MixUp(num_classes=4)(x, labels, tensors.Mask(torch.zeros(4, 8, 8)))
    with pytest.raises(ValueError):
        T.MixUp(alpha=0.0)


# --- CUDA ---------------------------------------------------------------------------------


@pytest.mark.cuda
@pytest.mark.parametrize("name", sorted(POLICIES))
def test_cuda_policy_matches_cpu(name, g):
    x = rand_u8(g, 16, 3, 24, 24)
    t = POLICIES[name](g)
    plan = t._draw(16, 24, 24)
    cpu, gpu = t._execute(x, plan), t._execute(x.cuda(), plan)
    assert gpu.is_cuda
    diff = (cpu.int() - gpu.cpu().int()).abs()
    assert float((diff > 1).float().mean()) < 0.01  # nearest-sampling ties may round differently


@pytest.mark.cuda
def test_cuda_erasing_and_mixers(g):
    x = torch.rand(8, 3, 16, 16, generator=g)
    seed = seed_of(g)
    make = lambda: T.RandomErasing(p=0.7, value="random", generator=torch.Generator().manual_seed(seed))  # noqa: E731
    assert torch.allclose(make()(x), make()(x.cuda()).cpu())
    labels = torch.arange(8)
    for cls in (T.CutMix, T.MixUp):
        a = cls(num_classes=8, generator=torch.Generator().manual_seed(seed))(x, labels)
        b = cls(num_classes=8, generator=torch.Generator().manual_seed(seed))(x.cuda(), labels.cuda())
        assert torch.allclose(a[0], b[0].cpu(), atol=1e-6) and torch.allclose(a[1], b[1].cpu())
