"""SyntheticKeywords: deterministic per (seed, index), exact shapes, labels that carry the class,
clear errors; and the runnable example of docs/audio-keywords.md."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from triptych.audio.datasets import SyntheticKeywords
from triptych.audio.transforms import AmplitudeToDB, MelSpectrogram

DOC = Path(__file__).resolve().parents[2] / "docs" / "audio-keywords.md"


def test_same_seed_and_index_give_the_same_clip_in_any_order():
    a = SyntheticKeywords(20, seed=5)
    b = SyntheticKeywords(20, seed=5)
    later = [b[i] for i in reversed(range(20))][::-1]
    for i in range(20):
        wave, label = a[i]
        assert torch.equal(wave, later[i][0]) and label == later[i][1]
    assert torch.equal(a[-1][0], a[19][0])


def test_another_seed_gives_other_clips():
    a, b = SyntheticKeywords(8, seed=0), SyntheticKeywords(8, seed=1)
    assert not any(torch.equal(a[i][0], b[i][0]) for i in range(8))


def test_dataloader_workers_give_the_same_clips_as_indexing():
    ds = SyntheticKeywords(12, seed=2, duration=0.5)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2)
    waves, labels = map(torch.cat, zip(*loader))
    assert torch.equal(waves, torch.stack([ds[i][0] for i in range(12)]))
    assert labels.tolist() == [ds[i][1] for i in range(12)]


@pytest.mark.parametrize(("sample_rate", "duration"), [(16000, 1.0), (8000, 0.25), (22050, 0.7)])
def test_shape_dtype_and_range(sample_rate, duration):
    ds = SyntheticKeywords(6, sample_rate=sample_rate, duration=duration, seed=3)
    frames = round(sample_rate * duration)
    for i in range(6):
        wave, label = ds[i]
        assert wave.shape == (1, frames) and wave.dtype == torch.float32
        assert torch.isfinite(wave).all() and wave.abs().max() <= 1.0
        assert wave.pow(2).mean() > 0  # never digital silence: there is background noise
        assert isinstance(label, int) and 0 <= label < len(ds.classes)
    assert ds.sample_rate == sample_rate and len(ds) == 6


def test_classes_follow_the_speech_commands_12_class_layout():
    assert SyntheticKeywords(1).classes == ["_silence_", "_unknown_", *SyntheticKeywords.all_keywords]
    assert len(SyntheticKeywords.all_keywords) == 10
    assert SyntheticKeywords(1, num_classes=4).classes == ["_silence_", "_unknown_", "badi", "diba"]


def test_every_class_is_drawn():
    ds = SyntheticKeywords(300, seed=0, duration=0.25, sample_rate=8000)
    counts = Counter(ds[i][1] for i in range(300))
    assert sorted(counts) == list(range(12))
    assert min(counts.values()) >= 10  # 25 expected each


def test_unknown_words_are_never_a_chosen_keyword():
    from triptych.audio.datasets.synthetic import _KEYWORDS

    drawn = {}
    for num_classes in (3, 12):
        ds = SyntheticKeywords(1, num_classes=num_classes)
        chosen = {_KEYWORDS[k] for k in ds.classes[2:]}
        rng = np.random.default_rng(0)
        words = {tuple(ds._unknown_word(rng)) for _ in range(3000)}
        assert not chosen & words
        assert {len(w) for w in words} == {1, 2, 3}
        drawn[num_classes] = words
    # with 3 classes the other keywords are unknown words like any other
    assert set(_KEYWORDS.values()) - {_KEYWORDS["badi"]} & drawn[3]


def _log_mel_profile(wave: torch.Tensor) -> torch.Tensor:
    mel = AmplitudeToDB(top_db=80.0)(MelSpectrogram(sample_rate=16000, n_mels=40,
                                                    hop_length=160)(wave))[0]
    return (mel - mel.mean()).mean(-1)  # (40,): the average spectral shape


def test_labels_carry_the_class():
    # A nearest-centroid classifier on the clips' average spectral shape, fitted on one seed and
    # scored on another, is above chance (labels drawn at random would score 1/6 +- 0.03): the
    # label describes what was synthesised. It stays far below what the CNN of the example
    # reaches: the average spectrum ignores syllable order, so the task is not trivial.
    def features(seed, n):
        ds = SyntheticKeywords(n, seed=seed, num_classes=6)
        pairs = [ds[i] for i in range(n)]
        return torch.stack([_log_mel_profile(w) for w, _ in pairs]), torch.tensor([y for _, y in pairs])

    x, y = features(0, 360)
    centroids = torch.stack([x[y == c].mean(0) for c in range(6)])
    tx, ty = features(1, 180)
    accuracy = (torch.cdist(tx, centroids).argmin(1) == ty).float().mean().item()
    assert accuracy > 0.25


def test_transforms_apply():
    ds = SyntheticKeywords(3, seed=0, transform=lambda w: w * 0, target_transform=str)
    wave, label = ds[1]
    assert not wave.any() and isinstance(label, str)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"num_samples": -1}, "num_samples"), ({"num_samples": 2.0}, "num_samples"),
    ({"sample_rate": 4000}, "sample_rate"), ({"sample_rate": 16000.0}, "sample_rate"),
    ({"duration": 0.1}, "duration"), ({"duration": float("nan")}, "duration"),
    ({"num_classes": 1}, "num_classes"), ({"num_classes": 13}, "num_classes"),
    ({"seed": -1}, "seed"), ({"seed": True}, "seed"),
])
def test_bad_arguments_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        SyntheticKeywords(**{"num_samples": 4, **kwargs})


def test_bad_transform_and_index():
    with pytest.raises(TypeError, match="transform"):
        SyntheticKeywords(4, transform="nope")
    with pytest.raises(IndexError, match="out of range"):
        SyntheticKeywords(4)[4]


def test_docs_page_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert blocks, "docs/audio-keywords.md has no python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert tuple(namespace["features"].shape) == (8, 1, 40, 101)
    assert tuple(namespace["logits"].shape) == (8, 12)
