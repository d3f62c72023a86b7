"""YESNO and SPEECHCOMMANDS: tiny archives in the real layouts, served under the catalog's file
names, downloaded, verified and extracted by the dataset classes."""

from __future__ import annotations

import shutil

import pytest
from loopback import tar_gz

from triptych.audio.datasets import SPEECHCOMMANDS, YESNO

YESNO_NAMES = ["1_1_0_0_1_0_1_1", "0_0_0_0_1_1_1_1", "0_1_0_1_0_0_1_0"]


@pytest.fixture
def yesno(serve, clip):
    files = {f"waves_yesno/{name}.wav": clip((i + 1) / 64, 80 + i, 8000)
             for i, name in enumerate(YESNO_NAMES)}
    files["waves_yesno/README"] = b"60 .wav files, sampled at 8 kHz\n"
    archive = tar_gz(files)
    return serve(YESNO, {"waves_yesno.tar.gz": archive}), archive


def test_yesno_samples_in_name_order(yesno, tmp_path, check_clip):
    ds = YESNO(tmp_path, download=True)
    assert len(ds) == 3
    order = sorted(range(3), key=lambda i: YESNO_NAMES[i])
    for n, i in enumerate(order):
        waveform, sample_rate, labels = ds[n]
        check_clip(waveform, sample_rate, (i + 1) / 64, 80 + i, 8000)
        assert labels == [int(w) for w in YESNO_NAMES[i].split("_")]
    assert (tmp_path / "yesno" / "waves_yesno.tar.gz").is_file()
    assert len(YESNO(tmp_path)) == 3  # already there: no download needed


def test_yesno_missing_files_say_how_to_get_them(tmp_path):
    with pytest.raises(RuntimeError, match="waves_yesno.tar.gz not found.*download=True"):
        YESNO(tmp_path)


def test_yesno_archive_not_extracted_is_a_clear_error(yesno, tmp_path):
    YESNO(tmp_path, download=True)
    shutil.rmtree(tmp_path / "yesno" / "waves_yesno")
    with pytest.raises(RuntimeError, match="not extracted"):
        YESNO(tmp_path)
    assert len(YESNO(tmp_path, download=True)) == 3  # extracted again from the verified file
    assert yesno[0].stats("yesno/waves_yesno.tar.gz").requests == 1


def test_yesno_folder_in_archive(yesno, tmp_path):
    with pytest.raises(RuntimeError, match="waves_yesno/waves is not a folder"):
        YESNO(tmp_path, folder_in_archive="waves", download=True)
    for bad in ("", "../yesno", "/waves_yesno", 3):
        with pytest.raises(ValueError, match="folder_in_archive must be a relative folder"):
            YESNO(tmp_path, folder_in_archive=bad)


def test_yesno_url_is_a_mirror_tried_first(yesno, tmp_path):
    server, archive = yesno
    mirror = server.add_file("mirror/waves_yesno.tar.gz", archive)
    assert len(YESNO(tmp_path, url=mirror, download=True)) == 3
    assert server.stats("mirror/waves_yesno.tar.gz").requests == 1
    assert server.stats("yesno/waves_yesno.tar.gz").requests == 0


def test_yesno_url_must_name_its_file(yesno, tmp_path):
    with pytest.raises(ValueError, match="url must be .*waves_yesno.tar.gz"):
        YESNO(tmp_path, url="https://example.org/other.tar.gz", download=True)


# Speech Commands: word folders, background noise, the two lists (as in the real archive:
# no top folder).
WORDS = {"right/0a7c2a8d_nohash_0.wav": 1, "right/988e2f9a_nohash_1.wav": 2,
         "yes/0a7c2a8d_nohash_0.wav": 3, "yes/c1d39ce8_nohash_2.wav": 4,
         "no/f2e59fea_nohash_0.wav": 5}


@pytest.fixture
def speech_commands(serve, clip):
    files = {name: clip(k / 64, 160 + k, 16000) for name, k in WORDS.items()}
    files["_background_noise_/white_noise.wav"] = clip(0.5, 400, 16000)
    files["validation_list.txt"] = b"yes/c1d39ce8_nohash_2.wav\n"
    files["testing_list.txt"] = b"right/988e2f9a_nohash_1.wav\nno/f2e59fea_nohash_0.wav\n"
    files["LICENSE"] = b"CC BY 4.0\n"
    server = serve(SPEECHCOMMANDS, {
        "speech_commands_v0.02.tar.gz": tar_gz(files),
        "speech_commands_test_set_v0.02.tar.gz": tar_gz({"yes/x_nohash_0.wav": b""})})
    return server


def test_speechcommands_subsets(speech_commands, tmp_path, check_clip):
    every = SPEECHCOMMANDS(tmp_path, download=True)
    assert [every.get_metadata(n)[0] for n in range(len(every))] == sorted(WORDS)
    training = SPEECHCOMMANDS(tmp_path, subset="training")
    assert [training.get_metadata(n)[0] for n in range(len(training))] == [
        "right/0a7c2a8d_nohash_0.wav", "yes/0a7c2a8d_nohash_0.wav"]
    validation = SPEECHCOMMANDS(tmp_path, subset="validation")
    assert len(validation) == 1 and validation.get_metadata(0)[0] == "yes/c1d39ce8_nohash_2.wav"
    testing = SPEECHCOMMANDS(tmp_path, subset="testing")  # the list's order, not sorted
    assert [testing.get_metadata(n)[0] for n in range(2)] == [
        "right/988e2f9a_nohash_1.wav", "no/f2e59fea_nohash_0.wav"]
    waveform, sample_rate, label, speaker_id, utterance_number = testing[0]
    check_clip(waveform, sample_rate, 2 / 64, 162, 16000)
    assert (label, speaker_id, utterance_number) == ("right", "988e2f9a", 1)
    assert validation[0][2:] == ("yes", "c1d39ce8", 2)
    # only the archive with the lists was fetched, not the separate test set
    assert speech_commands.stats("speech_commands/speech_commands_test_set_v0.02.tar.gz"
                                 ).requests == 0


def test_speechcommands_bad_arguments(speech_commands, tmp_path):
    with pytest.raises(ValueError, match="subset must be one of"):
        SPEECHCOMMANDS(tmp_path, subset="train")
    with pytest.raises(ValueError, match="url must name speech_commands_v0.02.tar.gz"):
        SPEECHCOMMANDS(tmp_path, url="test_set")
    with pytest.raises(ValueError, match="url must be"):
        SPEECHCOMMANDS(tmp_path, url="speech_commands_v0.01")


def test_speechcommands_list_naming_a_missing_file(serve, clip, tmp_path):
    serve(SPEECHCOMMANDS, {
        "speech_commands_v0.02.tar.gz": tar_gz({
            "yes/0a7c2a8d_nohash_0.wav": clip(0.25, 10, 16000),
            "validation_list.txt": b"yes/ffffffff_nohash_0.wav\n", "testing_list.txt": b""}),
        "speech_commands_test_set_v0.02.tar.gz": b"unused"})
    assert len(SPEECHCOMMANDS(tmp_path, subset="testing", download=True)) == 0
    with pytest.raises(RuntimeError, match="validation_list.txt names 'yes/ffffffff_nohash_0"):
        SPEECHCOMMANDS(tmp_path, subset="validation")
