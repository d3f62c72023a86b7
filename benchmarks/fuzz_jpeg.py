"""A longer fuzz run of the compiled JPEG decoder than the test suite's (~3000 files, < 1 s).

Mutates JPEGs written by Pillow (baseline 4:2:0 / 4:2:2 / 4:4:4, progressive, restart markers,
grey, CMYK, Adobe RGB; random sizes, optionally EXIF) with byte flips, truncations, inserted,
deleted and duplicated runs, and decodes each through every entry point that reaches the
compiled decoder: ``decode_jpeg`` (whole image, each mode), ``decode_image`` (with a
size_hint), ``EncodedImage.decode_crop`` (random crops and output sizes) and a threaded
``decode_jpeg`` batch. Each must give a uint8 image of the right channel count or raise
``ImageDecodeError``; any other exception is a finding (printed with a seed to replay it),
and a crash takes the process down (run it under ``make sanitize``-style ASan builds too).

    .venv/bin/python benchmarks/fuzz_jpeg.py --files 200000 --seed 1
    .venv/bin/python benchmarks/fuzz_jpeg.py --case 1234567   # replay one finding
"""

from __future__ import annotations

import argparse
import io
import sys
import time

import numpy as np


def _source(rng: np.random.Generator) -> bytes:
    from PIL import Image

    height, width = int(rng.integers(1, 96)), int(rng.integers(1, 96))
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    if rng.random() < 0.7:  # smooth content, so most blocks are not all noise
        pixels = np.cumsum(pixels // 32, axis=int(rng.integers(0, 2)), dtype=np.uint16).astype(np.uint8)
    image = Image.fromarray(pixels)
    kind = int(rng.integers(0, 8))
    params: dict = {"quality": int(rng.integers(5, 100))}
    if kind == 1:
        params["progressive"] = True
    elif kind == 2:
        params["restart_marker_blocks"] = int(rng.integers(1, 5))
    elif kind == 3:
        params["subsampling"] = int(rng.integers(0, 3))
    elif kind == 4:
        image = image.convert("L")
    elif kind == 5:
        image = image.convert("CMYK")
    elif kind == 6:
        params["keep_rgb"] = True
    if rng.random() < 0.2:
        exif = Image.Exif()
        exif[0x0112] = int(rng.integers(1, 9))
        params["exif"] = exif.tobytes()
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **params)
    return buffer.getvalue()


def _mutate(rng: np.random.Generator, data: bytes) -> bytes:
    damaged = bytearray(data)
    for _ in range(int(rng.integers(1, 6))):
        if not damaged:
            break
        choice = int(rng.integers(0, 6))
        position = int(rng.integers(0, len(damaged)))
        if choice == 0:
            damaged[position] = int(rng.integers(0, 256))
        elif choice == 1:
            damaged[position] ^= 1 << int(rng.integers(0, 8))
        elif choice == 2:
            damaged = damaged[: max(1, position)]
        elif choice == 3:
            damaged[position:position] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        elif choice == 4:
            del damaged[position: position + int(rng.integers(1, 16))]
        else:
            start = int(rng.integers(0, len(damaged)))
            damaged[position:position] = damaged[start: start + int(rng.integers(1, 256))]
    return bytes(damaged)


def _check(image, channels: tuple[int, ...]) -> None:
    import torch

    if not (isinstance(image, torch.Tensor) and image.dtype == torch.uint8 and image.dim() == 3
            and image.shape[0] in channels):
        raise AssertionError(f"unexpected result {type(image).__name__} {getattr(image, 'shape', '')}")


def run(files: int, seed: int, case_seeds: list[int] | None = None) -> int:
    from triptych.vision import _jpeg
    from triptych.vision.io import EncodedImage, ImageDecodeError, decode_image, decode_jpeg

    if not _jpeg.AVAILABLE:
        print("fuzz_jpeg: triptych._C has no JPEG decoder (TRIPTYCH_JPEG=0 build); nothing to fuzz")
        return 0
    rng = np.random.default_rng(seed)
    counts = {"decoded": 0, "refused": 0, "findings": 0}
    start = time.perf_counter()
    batch: list[bytes] = []
    for index in range(len(case_seeds) if case_seeds else files):
        case_seed = case_seeds[index] if case_seeds else int(rng.integers(0, 2**63))
        case = np.random.default_rng(case_seed)
        data = _mutate(case, _source(case))
        batch.append(data)
        try:
            try:
                mode = ("RGB", "GRAY", "UNCHANGED")[index % 3]
                _check(decode_jpeg(data, mode=mode, apply_exif_orientation=bool(index % 2)), (1, 3))
                _check(decode_image(data, size_hint=(int(case.integers(1, 64)), int(case.integers(1, 64)))), (3,))
                encoded = EncodedImage(data)
                height, width = encoded.size
                top, left = int(case.integers(0, height)), int(case.integers(0, width))
                box = [top, left, int(case.integers(1, height - top + 1)), int(case.integers(1, width - left + 1))]
                image, crop = encoded.decode_crop(box, (int(case.integers(1, 40)), int(case.integers(1, 40))))
                _check(image, (3,))
                if not (0 <= crop[0] and 0 <= crop[1] and crop[0] + crop[2] <= image.shape[1]
                        and crop[1] + crop[3] <= image.shape[2] and crop[2] > 0 and crop[3] > 0):
                    raise AssertionError(f"crop {crop} outside the decoded {tuple(image.shape)}")
                counts["decoded"] += 1
            except ImageDecodeError:
                counts["refused"] += 1
        except Exception as exc:  # noqa: BLE001 - every other exception is what we look for
            counts["findings"] += 1
            print(f"finding: case seed {case_seed}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if len(batch) == 64:
            try:
                decode_jpeg(batch, num_threads=2)
            except ImageDecodeError:
                pass
            batch.clear()
        if (index + 1) % 10000 == 0:
            print(f"{index + 1} files, {counts}, {time.perf_counter() - start:.0f} s", flush=True)
    print(f"fuzz_jpeg: {index + 1} files in {time.perf_counter() - start:.1f} s: {counts}")
    return 1 if counts["findings"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--case", type=int, action="append", help="replay this case seed (repeatable)")
    args = parser.parse_args()
    return run(args.files, args.seed, args.case)


if __name__ == "__main__":
    sys.exit(main())
