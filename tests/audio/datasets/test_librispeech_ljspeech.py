"""LIBRISPEECH and LJSPEECH: tiny archives in the real layouts (FLAC + .trans.txt; WAV +
metadata.csv in a .tar.bz2), served under the catalog's file names."""

from __future__ import annotations

import pytest
from loopback import tar_archive, tar_gz

from triptych.audio.datasets import LIBRISPEECH, LJSPEECH
from triptych.datasets import dataset_info

SUBSETS = list(dataset_info("librispeech").splits)


def librispeech_archive(clip, subset: str, chapters: dict) -> bytes:
    """``chapters``: {(speaker, chapter): [(utterance, text, value)]} -> the subset's archive."""
    root = f"LibriSpeech/{subset}"
    files = {"LibriSpeech/README.TXT": b"LibriSpeech ASR corpus\n",
             "LibriSpeech/SPEAKERS.TXT": b";ID |SEX| SUBSET |MINUTES| NAME\n"}
    for (speaker, chapter), utterances in chapters.items():
        lines = []
        for utterance, text, value in utterances:
            fileid = f"{speaker}-{chapter}-{utterance:04d}"
            files[f"{root}/{speaker}/{chapter}/{fileid}.flac"] = clip(value, 200, 16000, "flac")
            lines.append(f"{fileid} {text}")
        files[f"{root}/{speaker}/{chapter}/{speaker}-{chapter}.trans.txt"] = (
            "\n".join(lines) + "\n").encode()
    return tar_gz(files)


@pytest.fixture
def librispeech(serve, clip):
    archives = {f"{s}.tar.gz": tar_gz({f"LibriSpeech/{s}/README": b"not used"}) for s in SUBSETS}
    archives["dev-clean.tar.gz"] = librispeech_archive(clip, "dev-clean", {
        (84, 121123): [(0, "GO DO YOU HEAR", 0.125), (1, "BUT IN LESS THAN FIVE MINUTES", 0.25)],
        (1272, 128104): [(0, "MISTER QUILTER IS THE APOSTLE", 0.375)]})
    archives["test-clean.tar.gz"] = librispeech_archive(clip, "test-clean", {
        (61, 70968): [(0, "HE BEGAN A CONFUSED COMPLAINT", 0.5)]})
    return serve(LIBRISPEECH, archives)


def test_librispeech_subset_samples(librispeech, tmp_path, check_clip):
    ds = LIBRISPEECH(tmp_path, url="dev-clean", download=True)
    assert len(ds) == 3
    waveform, sample_rate, transcript, speaker, chapter, utterance = ds[0]  # "1272-..." < "84-..."
    check_clip(waveform, sample_rate, 0.375, 200, 16000)
    assert (transcript, speaker, chapter, utterance) == (
        "MISTER QUILTER IS THE APOSTLE", 1272, 128104, 0)
    assert ds[2][2:] == ("BUT IN LESS THAN FIVE MINUTES", 84, 121123, 1)
    assert ds.get_metadata(1)[:3] == ("84/121123/84-121123-0000.flac", 16000, "GO DO YOU HEAR")
    test = LIBRISPEECH(tmp_path, url="test-clean", download=True)
    assert len(test) == 1 and test[0][2:] == ("HE BEGAN A CONFUSED COMPLAINT", 61, 70968, 0)
    # each subset fetches only its own archive
    assert librispeech.stats("librispeech/dev-other.tar.gz").requests == 0


def test_librispeech_default_is_train_clean_100(tmp_path):
    with pytest.raises(RuntimeError, match="train-clean-100.tar.gz not found") as error:
        LIBRISPEECH(tmp_path)
    # the command it suggests fetches that subset, not the CLI's default (dev-clean)
    assert str(error.value).endswith(
        f"triptych datasets download librispeech --root {tmp_path} --split train-clean-100")
    with pytest.raises(ValueError, match="url must be one of 'dev-clean'"):
        LIBRISPEECH(tmp_path, url="dev-cleaner")


def test_librispeech_missing_transcript(serve, clip, tmp_path):
    archive = librispeech_archive(clip, "dev-clean", {(84, 121123): [(0, "GO", 0.125)]})
    broken = tar_gz({"LibriSpeech/dev-other/84/121123/84-121123-0000.flac":
                     clip(0.125, 10, 16000, "flac"),
                     "LibriSpeech/dev-other/84/121123/84-121123.trans.txt": b"84-121123-0009 X\n"})
    serve(LIBRISPEECH, {f"{s}.tar.gz": archive if s == "dev-clean" else broken for s in SUBSETS})
    assert len(LIBRISPEECH(tmp_path, url="dev-clean", download=True)) == 1
    with pytest.raises(RuntimeError, match="no transcript for 84-121123-0000"):
        LIBRISPEECH(tmp_path, url="dev-other", download=True)


LJ_METADATA = (
    'LJ001-0001|Printing, in the only sense|Printing, in the only sense\n'
    'LJ001-0002|in being comparatively modern.|in being comparatively modern.\n'
    'LJ002-0010|"the 1st of May, 1827"|"the first of May, eighteen twenty-seven"\n')


@pytest.fixture
def ljspeech(serve, clip):
    files = {"LJSpeech-1.1/README": b"LJ Speech Dataset\n",
             "LJSpeech-1.1/metadata.csv": LJ_METADATA.encode()}
    for k, fileid in enumerate(("LJ001-0001", "LJ001-0002", "LJ002-0010"), 1):
        files[f"LJSpeech-1.1/wavs/{fileid}.wav"] = clip(k / 64, 300 + k, 22050)
    return serve(LJSPEECH, {"LJSpeech-1.1.tar.bz2": tar_archive(files, "w:bz2")})


def test_ljspeech_samples_in_metadata_order(ljspeech, tmp_path, check_clip):
    ds = LJSPEECH(tmp_path, download=True)
    assert len(ds) == 3
    waveform, sample_rate, transcript, normalized = ds[2]
    check_clip(waveform, sample_rate, 3 / 64, 303, 22050)
    # quotes are text, not CSV quoting
    assert transcript == '"the 1st of May, 1827"'
    assert normalized == '"the first of May, eighteen twenty-seven"'
    assert ds[0][2] == "Printing, in the only sense"


def test_ljspeech_malformed_metadata(serve, clip, tmp_path):
    serve(LJSPEECH, {"LJSpeech-1.1.tar.bz2": tar_archive({
        "LJSpeech-1.1/metadata.csv": b"LJ001-0001|one|one\nLJ001-0002|two\n",
        "LJSpeech-1.1/wavs/LJ001-0001.wav": clip(0.25, 10, 22050)}, "w:bz2")})
    with pytest.raises(ValueError, match="metadata.csv line 2 has 2 fields"):
        LJSPEECH(tmp_path, download=True)
