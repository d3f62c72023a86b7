"""The audio entries of the dataset catalog (LibriSpeech, Speech Commands, YesNo, LJSpeech, ESC-50,
VCTK): real URLs, sizes and sha256 values, sourced as :mod:`triptych.datasets.catalog` requires
(the source is named beside each entry). Importing this module registers them; it needs neither
torch nor the ``audio`` extra.
"""

from __future__ import annotations

from triptych.datasets.catalog import Resource, register_dataset

# sha256/size: tensorflow/datasets url_checksums/speech_commands.txt (the full archive's sha256
# is also in torchaudio). download.tensorflow.org is served from the Google Cloud Storage bucket
# of the same name, reachable over https. License: CC BY 4.0 (the dataset's README).
register_dataset(
    "speech_commands",
    domain="audio",
    description="Speech Commands v0.02: 105,829 one-second utterances of 35 words, 16 kHz WAV. "
                "'full' holds every clip plus the validation/testing lists; 'test_set' is the "
                "separately released test archive.",
    homepage="https://arxiv.org/abs/1804.03209",
    license="CC BY 4.0",
    resources={
        "full": [Resource(
            "speech_commands_v0.02.tar.gz",
            ["https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
             "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"],
            "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
            size=2428923189,
        )],
        "test_set": [Resource(
            "speech_commands_test_set_v0.02.tar.gz",
            ["https://storage.googleapis.com/download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz",
             "http://download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz"],
            "cc2a00c1147c2254e9be3fa0f779d8c17421dc349b86366567a8edfa9acd51df",
            size=112563277,
        )],
    },
    default_splits=["full"],
    dataset_class="triptych.audio.datasets.speechcommands:SPEECHCOMMANDS",
)


def _openslr(resource: int, filename: str, sha256: str, size: int | None,
             max_size: int | None = None) -> Resource:
    # OpenSLR's own host, then its US and EU mirrors (listed on openslr.org), then plain http.
    return Resource(filename, [
        f"https://www.openslr.org/resources/{resource}/{filename}",
        f"https://us.openslr.org/resources/{resource}/{filename}",
        f"https://openslr.elda.org/resources/{resource}/{filename}",
        f"http://www.openslr.org/resources/{resource}/{filename}",
    ], sha256, size=size, max_size=max_size)


# sha256/size: tensorflow/datasets url_checksums/librispeech.txt; the same sha256 values are in
# torchaudio's librispeech.py. License: CC BY 4.0 (openslr.org/12).
register_dataset(
    "librispeech",
    domain="audio",
    description="LibriSpeech: about 1,000 hours of read English speech at 16 kHz (FLAC), with "
                "transcripts; one split per subset. Default: dev-clean (338 MB).",
    homepage="https://www.openslr.org/12",
    license="CC BY 4.0",
    resources={
        "dev-clean": [_openslr(12, "dev-clean.tar.gz",
                               "76f87d090650617fca0cac8f88b9416e0ebf80350acb97b343a85fa903728ab3",
                               337926286)],
        "dev-other": [_openslr(12, "dev-other.tar.gz",
                               "12661c48e8c3fe1de2c1caa4c3e135193bfb1811584f11f569dd12645aa84365",
                               314305928)],
        "test-clean": [_openslr(12, "test-clean.tar.gz",
                                "39fde525e59672dc6d1551919b1478f724438a95aa55f874b576be21967e6c23",
                                346663984)],
        "test-other": [_openslr(12, "test-other.tar.gz",
                                "d09c181bba5cf717b3dee7d4d592af11a3ee3a09e08ae025c5506f6ebe961c29",
                                328757843)],
        "train-clean-100": [_openslr(
            12, "train-clean-100.tar.gz",
            "d4ddd1d5a6ab303066f14971d768ee43278a5f2a0aa43dc716b0e64ecbbbf6e2", 6387309499)],
        "train-clean-360": [_openslr(
            12, "train-clean-360.tar.gz",
            "146a56496217e96c14334a160df97fffedd6e0a04e66b9c5af0d40be3c792ecf", 23049477885)],
        "train-other-500": [_openslr(
            12, "train-other-500.tar.gz",
            "ddb22f27f96ec163645d53215559df6aa36515f26e01dd70798188350adcb6d2", 30593501606)],
    },
    default_splits=["dev-clean"],
    dataset_class="triptych.audio.datasets.librispeech:LIBRISPEECH",
)

# sha256: torchaudio's yesno.py (the current value; an older torchaudio release carried the
# TEDLIUM sha256 here by mistake). Size not published: openslr.org/1 lists it as "4.5M", so a
# download is stopped past 16 MiB.
register_dataset(
    "yesno",
    domain="audio",
    description="YesNo: 60 recordings of one man saying eight Hebrew yes/no words, 8 kHz WAV.",
    homepage="https://www.openslr.org/1",
    resources=[_openslr(1, "waves_yesno.tar.gz",
                        "c3f49e0cca421f96b75b41640749167b52118f232498667ca7a5f9416aef8e73", None,
                        max_size=16 << 20)],
    dataset_class="triptych.audio.datasets.yesno:YESNO",
)

# sha256/size: tensorflow/datasets url_checksums/ljspeech.txt; the same sha256 is in
# torchaudio's ljspeech.py. License: public domain (keithito.com/LJ-Speech-Dataset).
register_dataset(
    "ljspeech",
    domain="audio",
    description="LJSpeech 1.1: 13,100 clips (about 24 hours) of one speaker reading, 22.05 kHz "
                "WAV, with transcripts and normalized transcripts.",
    homepage="https://keithito.com/LJ-Speech-Dataset/",
    license="Public domain",
    resources=[Resource(
        "LJSpeech-1.1.tar.bz2",
        ["https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2"],
        "be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5",
        size=2748572632,
    )],
    dataset_class="triptych.audio.datasets.ljspeech:LJSPEECH",
)

# The authors publish ESC-50 only as GitHub's archive of the master branch, which GitHub
# builds on request: its bytes are not stable (public records give two different sha256
# values for it), so no sha256 can be pinned for that URL. The entry points instead at a copy
# of that archive pinned to a commit of the Hugging Face dataset repository confit/esc50,
# whose sha256 and size are that file's Git LFS pointer (oid sha256, size) in that commit.
# License: CC BY-NC 3.0 (the dataset's LICENSE).
register_dataset(
    "esc50",
    domain="audio",
    description="ESC-50: 2,000 five-second clips of 50 environmental sound classes (ESC-10: "
                "10 of them), 44.1 kHz WAV, in five cross-validation folds.",
    homepage="https://github.com/karolpiczak/ESC-50",
    license="CC BY-NC 3.0",
    resources=[Resource(
        "ESC-50-master.zip",
        ["https://huggingface.co/datasets/confit/esc50/resolve/"
         "26cf8df183e1175fb3c4c4972254d52785b8cb91/ESC-50-master.zip"],
        "d32cc4432c656db311b39bd474cdc0e9644d03633ea5457dcbba2d7fa7cb55ad",
        size=645694876,
    )],
    dataset_class="triptych.audio.datasets.esc50:ESC50",
)

# sha256/size: tensorflow/datasets url_checksums/vctk.txt; the same sha256 is in torchaudio's
# vctk.py. datashare.ed.ac.uk is the repository's current name for the same host.
# License: CC BY 4.0 (the dataset's page).
register_dataset(
    "vctk_092",
    domain="audio",
    description="VCTK 0.92: about 44,000 sentences read by 110 English speakers, 48 kHz FLAC "
                "from two microphones (silence trimmed), with transcripts.",
    homepage="https://datashare.ed.ac.uk/handle/10283/3443",
    license="CC BY 4.0",
    resources=[Resource(
        "VCTK-Corpus-0.92.zip",
        ["https://datashare.is.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip",
         "https://datashare.ed.ac.uk/bitstream/handle/10283/3443/VCTK-Corpus-0.92.zip"],
        "f96258be9fdc2cbff6559541aae7ea4f59df3fcaf5cf963aae5ca647357e359c",
        size=11747302977,
    )],
    dataset_class="triptych.audio.datasets.vctk:VCTK_092",
)
