"""Pillow is optional: tensors, ops, the compiled kernels and the transforms on tensors work
without it; io, utils and PIL paths raise an ImportError naming the extra.

Each test runs in a subprocess whose meta path refuses ``PIL`` (as if Pillow were not installed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_PIL = textwrap.dedent(
    """
    import sys

    class NoPillow:
        def find_spec(self, name, path=None, target=None):
            if name == "PIL" or name.startswith("PIL."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NoPillow())
    """
)


def run_without_pillow(code: str) -> subprocess.CompletedProcess:
    script = BLOCK_PIL + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)


def test_the_blocker_blocks():
    result = run_without_pillow("import PIL")
    assert result.returncode != 0 and "No module named 'PIL'" in result.stderr


def test_ops_kernels_and_tensor_transforms_work_without_pillow():
    result = run_without_pillow(
        """
        import torch
        from triptych.vision import ops, tensors
        from triptych.vision import transforms as T
        from triptych.vision.transforms import functional as F

        image = torch.randint(0, 256, (3, 40, 50), dtype=torch.uint8)
        out = ops.resized_crop_flip_normalize(image, [2, 3, 30, 40], True, [16, 16],
                                              mean=[0.5] * 3, std=[0.25] * 3)
        assert out.shape == (3, 16, 16), out.shape
        pipeline = T.Compose([T.RandomResizedCrop(24, generator=torch.Generator().manual_seed(0)),
                              T.RandomHorizontalFlip(generator=torch.Generator().manual_seed(1)),
                              T.ToDtype(torch.float32, scale=True), T.Normalize([0.5] * 3, [0.5] * 3)])
        assert type(pipeline.plan[0]).__name__ == "FusedCropResizeNormalize"
        assert pipeline(image).shape == (3, 24, 24)
        boxes = tensors.BoundingBoxes([[1, 1, 20, 20]], format="XYXY", canvas_size=(40, 50))
        img, out_boxes = T.Compose([T.RandomRotation(20), T.ColorJitter(0.3), T.RandAugment()])(
            tensors.Image(image), boxes)
        assert out_boxes.canvas_size == (40, 50) and img.shape == (3, 40, 50)
        assert F.hflip(torch.arange(3.0).view(1, 1, 3)).flatten().tolist() == [2.0, 1.0, 0.0]
        assert "PIL" not in sys.modules
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_io_utils_and_pil_paths_name_the_extra():
    result = run_without_pillow(
        """
        import importlib
        import torch

        messages = []
        for module in ("triptych.vision.io", "triptych.vision.utils"):
            try:
                importlib.import_module(module)
            except ImportError as exc:
                messages.append(str(exc))
        from triptych.vision.transforms import functional as F
        try:
            F.to_pil_image(torch.zeros(3, 2, 2, dtype=torch.uint8))
        except ImportError as exc:
            messages.append(str(exc))
        from triptych.vision import transforms as T
        try:
            T.DecodeImage()(b"not an image")
        except ImportError as exc:
            messages.append(str(exc))
        print(len(messages))
        for message in messages:
            assert "pip install 'triptych[vision]'" in message, message
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "4"
