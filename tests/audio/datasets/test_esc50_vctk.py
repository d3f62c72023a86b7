"""ESC50 and VCTK_092: tiny zip archives in the real layouts (ESC-50-master/{audio,meta};
VCTK's txt/ and wav48_silence_trimmed/ with two microphones), served under the catalog's
file names."""

from __future__ import annotations

import pytest
from loopback import zip_archive

from triptych.audio.datasets import ESC50, VCTK_092

# filename, fold, target, category, esc10 (the real columns, plus src_file and take)
ESC_ROWS = [("1-100032-A-0.wav", 1, 0, "dog", "True"),
            ("1-100038-A-14.wav", 1, 14, "chirping_birds", "False"),
            ("2-100648-A-43.wav", 2, 43, "car_horn", "False"),
            ("2-102414-A-17.wav", 2, 17, "pouring_water", "False"),
            ("5-103415-A-1.wav", 5, 1, "rooster", "True"),
            ("5-9032-A-0.wav", 5, 0, "dog", "True")]


@pytest.fixture
def esc50(serve, clip):
    lines = ["filename,fold,target,category,esc10,src_file,take"]
    files = {"ESC-50-master/README.md": b"# ESC-50\n", "ESC-50-master/LICENSE": b"CC BY-NC\n"}
    for k, (name, fold, target, category, esc10) in enumerate(ESC_ROWS, 1):
        source, take = name.split("-")[1], name.split("-")[2]
        lines.append(f"{name},{fold},{target},{category},{esc10},{source},{take}")
        files[f"ESC-50-master/audio/{name}"] = clip(k / 64, 100 + k, 44100)
    files["ESC-50-master/meta/esc50.csv"] = ("\n".join(lines) + "\n").encode()
    return serve(ESC50, {"ESC-50-master.zip": zip_archive(files)})


def test_esc50_folds(esc50, tmp_path, check_clip):
    every = ESC50(tmp_path, download=True)
    assert len(every) == 6 and every.folds == [1, 2, 3, 4, 5]
    waveform, sample_rate, target, category = every[2]
    check_clip(waveform, sample_rate, 3 / 64, 103, 44100)
    assert (target, category) == (43, "car_horn") and every.classes[43] == "car_horn"
    train = ESC50(tmp_path, folds=[1, 2])
    test = ESC50(tmp_path, folds=5)
    assert [s[2] for s in train] == [0, 14, 43, 17] and [s[2] for s in test] == [1, 0]
    assert len(ESC50(tmp_path, folds=(3, 4))) == 0


def test_esc10_renumbers_its_classes(esc50, tmp_path, check_clip):
    ds = ESC50(tmp_path, esc10=True, download=True)
    assert ds.classes == ["dog", "rooster"]
    assert [(s[2], s[3]) for s in ds] == [(0, "dog"), (1, "rooster"), (0, "dog")]
    check_clip(*ds[1][:2], 5 / 64, 105, 44100)


@pytest.mark.parametrize("folds", [0, 6, [1, 7], [], True, "1"])
def test_esc50_bad_folds(folds, tmp_path):
    with pytest.raises(ValueError, match="folds must be ints from 1 to 5"):
        ESC50(tmp_path, folds=folds)


# VCTK 0.92: p225 has both microphones for 001 but only mic1 for 002; p226 has both.
VCTK_TEXT = {"p225_001": "Please call Stella.", "p225_002": "Ask her to bring these things.",
             "p226_001": "Please call Stella."}


@pytest.fixture
def vctk(serve, clip):
    files = {"README.txt": b"CSTR VCTK Corpus\n", "speaker-info.txt": b"ID  AGE  GENDER\n"}
    for k, (stem, text) in enumerate(VCTK_TEXT.items(), 1):
        speaker = stem.split("_")[0]
        files[f"txt/{speaker}/{stem}.txt"] = (text + "\n").encode()
        for m, mic in enumerate(("mic1", "mic2")):
            if (stem, mic) != ("p225_002", "mic2"):
                files[f"wav48_silence_trimmed/{speaker}/{stem}_{mic}.flac"] = clip(
                    (2 * k + m) / 64, 50 + k, 48000, "flac")
    return serve(VCTK_092, {"VCTK-Corpus-0.92.zip": zip_archive(files)})


def test_vctk_microphones(vctk, tmp_path, check_clip):
    mic2 = VCTK_092(tmp_path, download=True)
    assert len(mic2) == 2  # p225_002 has no mic2 recording
    waveform, sample_rate, transcript, speaker_id, utterance_id = mic2[1]
    check_clip(waveform, sample_rate, 7 / 64, 53, 48000)
    assert (transcript, speaker_id, utterance_id) == ("Please call Stella.", "p226", "001")
    mic1 = VCTK_092(tmp_path, mic_id="mic1")
    assert [s[3:] for s in mic1] == [("p225", "001"), ("p225", "002"), ("p226", "001")]
    check_clip(*mic1[1][:2], 4 / 64, 52, 48000)
    assert mic1[1][2] == "Ask her to bring these things."


def test_vctk_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="mic_id must be one of"):
        VCTK_092(tmp_path, mic_id="mic3")
    with pytest.raises(ValueError, match="audio_ext must be"):
        VCTK_092(tmp_path, audio_ext="flac")
