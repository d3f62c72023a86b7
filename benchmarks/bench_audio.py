"""Audio: features, resampling, a biquad and file loading, one thread; ours vs torchaudio,
librosa and soxr (the anchor Python), alternating rounds.

Throughput is in "x realtime": seconds of audio processed per second. The batch is 16 clips
of 10 s at 16 kHz (44.1/48 kHz before resampling), random noise scaled to [-0.5, 0.5]; the
file cases load ../shared/data/audio (skipped where missing). Resample cases compare against
torchaudio's default filter (which aliases, see docs/audio.md) and against soxr "HQ" (the
quality class our default matches) — called once on the (frames, channels) batch as in
soxr's docs, and once per clip ("per clip" rows: a loop of 1-D calls, sometimes faster).
``--only mel,resample`` runs the cases whose names contain one of the words.
"""

from __future__ import annotations

from pathlib import Path

from common import main

BATCH, SECONDS = 16, 10
AUDIO = Path(__file__).resolve().parents[2] / "shared" / "data" / "audio"
FILES = {"WAV": "speech16k.wav", "FLAC": "speech44k_stereo.flac", "OGG": "speech48k.ogg", "MP3": "speech22k.mp3"}
MEL = {"sample_rate": 16000, "n_fft": 400, "hop_length": 160, "n_mels": 80}


def _batch(rate):
    import torch

    g = torch.Generator().manual_seed(0)
    return torch.rand(BATCH, SECONDS * rate, generator=g) - 0.5


def _file_seconds(name):
    import soundfile

    path = AUDIO / FILES[name]
    return soundfile.info(str(path)).duration if path.exists() else 0.0


# ---------------------------------------------------------------------------------- ours


def _ours_mel():
    from triptych.audio.transforms import MelSpectrogram

    x, t = _batch(16000), MelSpectrogram(**MEL)
    return lambda: t(x)


def _ours_mfcc():
    from triptych.audio.transforms import MFCC

    x, t = _batch(16000), MFCC(sample_rate=16000, n_mfcc=40, melkwargs={k: v for k, v in MEL.items() if k != "sample_rate"})
    return lambda: t(x)


def _ours_resample(orig):
    def make():
        from triptych.audio.transforms import Resample

        x, t = _batch(orig), Resample(orig, 16000).float()
        return lambda: t(x)

    return make


def _ours_biquad():
    from triptych.audio.functional import lowpass_biquad

    x = _batch(16000)
    return lambda: lowpass_biquad(x, 16000, 1000.0)


def _ours_load(name):
    def make():
        from triptych.audio.io import load

        path = AUDIO / FILES[name]
        return lambda: load(path)

    return make


# ---------------------------------------------------------------------------------- anchors


def _ta_mel():
    import torchaudio

    x, t = _batch(16000), torchaudio.transforms.MelSpectrogram(**MEL)
    return lambda: t(x)


def _librosa_mel():
    import librosa

    x = _batch(16000).numpy()
    return lambda: librosa.feature.melspectrogram(y=x, sr=16000, n_fft=400, hop_length=160, n_mels=80)


def _ta_mfcc():
    import torchaudio

    x = _batch(16000)
    t = torchaudio.transforms.MFCC(sample_rate=16000, n_mfcc=40,
                                   melkwargs={k: v for k, v in MEL.items() if k != "sample_rate"})
    return lambda: t(x)


def _librosa_mfcc():
    import librosa

    x = _batch(16000).numpy()
    return lambda: librosa.feature.mfcc(y=x, sr=16000, n_mfcc=40, n_fft=400, hop_length=160, n_mels=80)


def _ta_resample(orig):
    def make():
        import torchaudio

        x, t = _batch(orig), torchaudio.transforms.Resample(orig, 16000)
        return lambda: t(x)

    return make


def _soxr_resample(orig):
    def make():
        import numpy as np
        import soxr

        x = np.ascontiguousarray(_batch(orig).numpy().T)  # (frames, channels)
        return lambda: soxr.resample(x, orig, 16000, quality="HQ")

    return make


def _soxr_resample_per_channel(orig):
    def make():
        import soxr

        rows = list(_batch(orig).numpy())  # one contiguous 1-D call per clip
        return lambda: [soxr.resample(row, orig, 16000, quality="HQ") for row in rows]

    return make


def _ta_biquad():
    import torchaudio

    x = _batch(16000)
    return lambda: torchaudio.functional.lowpass_biquad(x, 16000, 1000.0)


def _sf_load(name):
    def make():
        import soundfile
        import torch

        path = AUDIO / FILES[name]
        return lambda: torch.from_numpy(soundfile.read(str(path), dtype="float32", always_2d=True)[0]).t()

    return make


def _versions():
    import librosa
    import soundfile
    import soxr
    import torchaudio

    return {"torchaudio": torchaudio.__version__, "librosa": librosa.__version__, "soxr": soxr.__version__,
            "soundfile": soundfile.__version__}


CLIP = BATCH * SECONDS
OURS = {
    "MelSpectrogram vs torchaudio": _ours_mel,
    "MelSpectrogram vs librosa": _ours_mel,
    "MFCC vs torchaudio": _ours_mfcc,
    "MFCC vs librosa": _ours_mfcc,
    "resample 44.1k->16k vs torchaudio": _ours_resample(44100),
    "resample 44.1k->16k vs soxr HQ": _ours_resample(44100),
    "resample 48k->16k vs torchaudio": _ours_resample(48000),
    "resample 48k->16k vs soxr HQ": _ours_resample(48000),
    "resample 44.1k->16k vs soxr HQ per clip": _ours_resample(44100),
    "resample 48k->16k vs soxr HQ per clip": _ours_resample(48000),
    "lowpass biquad vs torchaudio": _ours_biquad,
}
ANCHOR = {
    "MelSpectrogram vs torchaudio": _ta_mel,
    "MelSpectrogram vs librosa": _librosa_mel,
    "MFCC vs torchaudio": _ta_mfcc,
    "MFCC vs librosa": _librosa_mfcc,
    "resample 44.1k->16k vs torchaudio": _ta_resample(44100),
    "resample 44.1k->16k vs soxr HQ": _soxr_resample(44100),
    "resample 48k->16k vs torchaudio": _ta_resample(48000),
    "resample 48k->16k vs soxr HQ": _soxr_resample(48000),
    "resample 44.1k->16k vs soxr HQ per clip": _soxr_resample_per_channel(44100),
    "resample 48k->16k vs soxr HQ per clip": _soxr_resample_per_channel(48000),
    "lowpass biquad vs torchaudio": _ta_biquad,
}
UNITS = {name: ("x realtime", CLIP) for name in OURS}
for _fmt in FILES:
    if (AUDIO / FILES[_fmt]).exists():
        OURS[f"load {_fmt} vs soundfile.read"] = _ours_load(_fmt)
        ANCHOR[f"load {_fmt} vs soundfile.read"] = _sf_load(_fmt)


if __name__ == "__main__":
    import sys

    if "--only" in sys.argv:  # --only mel,resample: the cases whose name contains one of these
        i = sys.argv.index("--only")
        wanted = sys.argv[i + 1].lower().split(",")
        del sys.argv[i:i + 2]
        OURS = {k: v for k, v in OURS.items() if any(w in k.lower() for w in wanted)}
    if "--anchor-worker" not in sys.argv:
        for _fmt in FILES:
            if (AUDIO / FILES[_fmt]).exists():
                UNITS[f"load {_fmt} vs soundfile.read"] = ("x realtime", _file_seconds(_fmt))
    main("audio: features, resampling, biquad, loading (one thread)", __file__, OURS, ANCHOR, _versions,
         units=UNITS)
