"""Draw docs/audio.md's figures from synthetic signals: ``.venv/bin/python docs/make_audio_figures.py``.

* ``audio_melspectrogram.png`` — the log-mel spectrogram (``MelSpectrogram`` + ``AmplitudeToDB``)
  of a made-up utterance: a rising chirp, a vowel-like harmonic stack and a noise burst.
* ``audio_resample_aliasing.png`` — a 0-22 kHz sweep at 44.1 kHz resampled to 16 kHz with
  torchaudio's filter (``quality="fast"``: the part of the sweep above 8 kHz folds back as a
  falling line) and with ours (``quality="hq"``: nothing folds back).

The PNGs go to ``docs/images/`` (written with Pillow) and are committed; the signals are
computed here, so a figure changes only when the code does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from triptych.audio.functional import resample
from triptych.audio.transforms import AmplitudeToDB, MelSpectrogram, Spectrogram

IMAGES = Path(__file__).resolve().parent / "images"
# A perceptual dark-blue -> green -> yellow ramp (viridis-like), interpolated.
RAMP = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=np.float64)


def colorize(db: torch.Tensor, floor: float = 80.0) -> Image.Image:
    """A ``(freq, time)`` dB image, low frequencies at the bottom, ``floor`` dB of range."""
    x = db.flip(0).double()
    x = ((x - (x.max() - floor)) / floor).clamp(0, 1).numpy() * (len(RAMP) - 1)
    low = np.floor(x).astype(int).clip(0, len(RAMP) - 2)
    frac = (x - low)[..., None]
    rgb = RAMP[low] * (1 - frac) + RAMP[low + 1] * frac
    return Image.fromarray(rgb.round().astype(np.uint8))


def utterance(sample_rate: int = 16000, seconds: float = 2.0) -> torch.Tensor:
    t = torch.arange(int(sample_rate * seconds), dtype=torch.float64) / sample_rate
    chirp = torch.sin(2 * math.pi * (200 * t + 1500 * t**2)) * (t < 1.0)
    vowel = sum(torch.sin(2 * math.pi * 140 * k * t) / k for k in range(1, 30)) * ((t > 1.1) & (t < 1.7))
    vowel = vowel * (1 + 0.5 * torch.sin(2 * math.pi * 4 * t))
    burst = torch.randn(len(t), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    burst = burst * ((t > 1.8) & (t < 1.95)) * 0.3
    return (0.3 * chirp + 0.1 * vowel + burst).float()


def figure_melspectrogram(out_dir: Path) -> Path:
    mel = MelSpectrogram(sample_rate=16000, n_fft=400, hop_length=160, n_mels=80)(utterance())
    image = colorize(AmplitudeToDB(top_db=80.0)(mel)).resize((400, 240), Image.NEAREST)
    path = out_dir / "audio_melspectrogram.png"
    image.save(path, optimize=True)
    return path


def figure_resample_aliasing(out_dir: Path) -> Path:
    rate, seconds = 44100, 2.0
    t = torch.arange(int(rate * seconds), dtype=torch.float64) / rate
    sweep = torch.sin(2 * math.pi * (rate / 2) / (2 * seconds) * t**2)  # 0 Hz -> 22.05 kHz
    spec = Spectrogram(n_fft=512, hop_length=128).double()
    panels = []
    for quality in ("fast", "hq"):
        db = AmplitudeToDB(top_db=120.0)(spec(resample(sweep, rate, 16000, quality=quality)))
        panel = colorize(db, floor=120.0).resize((300, 200), Image.BILINEAR)
        ImageDraw.Draw(panel).text((6, 4), f'quality="{quality}"', fill=(255, 255, 255))
        panels.append(panel)
    canvas = Image.new("RGB", (610, 200), (255, 255, 255))
    canvas.paste(panels[0], (0, 0))
    canvas.paste(panels[1], (310, 0))
    path = out_dir / "audio_resample_aliasing.png"
    canvas.save(path, optimize=True)
    return path


FIGURES = [figure_melspectrogram, figure_resample_aliasing]


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    for figure in FIGURES:
        print(figure(IMAGES))


if __name__ == "__main__":
    main()
