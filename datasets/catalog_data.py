"""The starter catalog: real datasets, their real URLs, sizes and sha256 values.

Every sha256 and size here is copied from public material, named beside each entry (mostly
TensorFlow Datasets' ``url_checksums`` files and torchaudio's dataset modules). A dataset whose
sha256 could not be sourced is left out. URLs after the first are mirrors that serve the same
bytes; :func:`triptych.datasets.download` verifies every copy against the same sha256, so a
mirror that drifts is reported, never trusted. Licenses are given only where the authors state
one; ``None`` means "see the homepage".

Importing this module registers the datasets (``triptych.datasets`` does it).
"""

from __future__ import annotations

from .catalog import Resource, register_dataset

# ---------------------------------------------------------------------------------- vision

# sha256/size: tensorflow/datasets url_checksums/cifar10.txt (the binary version: no pickle).
register_dataset(
    "cifar10",
    domain="vision",
    description="CIFAR-10: 60,000 32x32 colour images in 10 classes (50,000 train, 10,000 "
                "test), binary version.",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    resources=[Resource(
        "cifar-10-binary.tar.gz",
        ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        size=170052171,
    )],
)

# sha256/size: tensorflow/datasets url_checksums/cifar100.txt.
register_dataset(
    "cifar100",
    domain="vision",
    description="CIFAR-100: 60,000 32x32 colour images in 100 fine / 20 coarse classes, "
                "binary version.",
    homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    resources=[Resource(
        "cifar-100-binary.tar.gz",
        ["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"],
        "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
        size=168513733,
    )],
)


def _mnist(filename: str, sha256: str, size: int) -> Resource:
    # The ossci-datasets S3 copy is the one torchvision uses (alive); then the Google Cloud
    # copy TFDS hashed; then the original site (often refuses downloads now).
    return Resource(filename, [
        f"https://ossci-datasets.s3.amazonaws.com/mnist/{filename}",
        f"https://storage.googleapis.com/cvdf-datasets/mnist/{filename}",
        f"http://yann.lecun.com/exdb/mnist/{filename}",
    ], sha256, size=size)


# sha256/size: tensorflow/datasets url_checksums/mnist.txt (the same sha256 values are listed
# for the ossci-datasets and yann.lecun.com copies in other public loaders).
register_dataset(
    "mnist",
    domain="vision",
    description="MNIST handwritten digits: 70,000 28x28 grey images in 10 classes, IDX format.",
    homepage="http://yann.lecun.com/exdb/mnist/",
    resources={
        "train": [
            _mnist("train-images-idx3-ubyte.gz",
                   "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", 9912422),
            _mnist("train-labels-idx1-ubyte.gz",
                   "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", 28881),
        ],
        "test": [
            _mnist("t10k-images-idx3-ubyte.gz",
                   "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", 1648877),
            _mnist("t10k-labels-idx1-ubyte.gz",
                   "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", 4542),
        ],
    },
)


def _fashion(filename: str, sha256: str, size: int) -> Resource:
    return Resource(filename, [f"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{filename}"],
                    sha256, size=size)


# sha256/size: tensorflow/datasets url_checksums/fashion_mnist.txt. License: the project's
# repository is MIT-licensed.
register_dataset(
    "fashion_mnist",
    domain="vision",
    description="Fashion-MNIST: 70,000 28x28 grey images of clothing in 10 classes, IDX format.",
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    license="MIT",
    resources={
        "train": [
            _fashion("train-images-idx3-ubyte.gz",
                     "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", 26421880),
            _fashion("train-labels-idx1-ubyte.gz",
                     "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", 29515),
        ],
        "test": [
            _fashion("t10k-images-idx3-ubyte.gz",
                     "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", 4422102),
            _fashion("t10k-labels-idx1-ubyte.gz",
                     "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", 5148),
        ],
    },
)

# ----------------------------------------------------------------------------------- audio

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
)

# ------------------------------------------------------------------------------------ text

# sha256/size: tensorflow/datasets url_checksums/imdb_reviews.txt.
register_dataset(
    "imdb",
    domain="text",
    description="IMDB movie reviews: 50,000 reviews labelled positive/negative (25,000 train, "
                "25,000 test) plus 50,000 unlabelled.",
    homepage="https://ai.stanford.edu/~amaas/data/sentiment/",
    resources=[Resource(
        "aclImdb_v1.tar.gz",
        ["https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
         "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"],
        "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
        size=84125825,
    )],
)

# sha256/size: tensorflow/datasets url_checksums/ag_news_subset.txt (a Google Drive file: the
# URL has no file name, and Drive may answer with a web page, which download() reports).
register_dataset(
    "ag_news",
    domain="text",
    description="AG News: 127,600 news articles in 4 classes (120,000 train, 7,600 test), CSV.",
    homepage="http://groups.di.unipi.it/~gulli/AG_corpus_of_news_articles.html",
    resources=[Resource(
        "ag_news_csv.tar.gz",
        ["https://drive.google.com/uc?export=download&id=0Bz8a_Dbh9QhbUDNpeUdjb0wxRms"],
        "4e2fc37d369e6e317a8b62d0d2f11d379f8c3dde60c07c35a46b069a246498ad",
        size=11784327,
    )],
)

# sha256: listed for the research.metamind.io URL by several public loaders (e.g. Julia's
# MLDatasets, a checksum-asserting fetch script). Size not published. The smerity.com copy is
# the one most people use since the S3 bucket closed; download() checks it against the same
# sha256. License: CC BY-SA 3.0 (the WikiText paper).
register_dataset(
    "wikitext2",
    domain="text",
    description="WikiText-2 (v1, tokenised): 2M training tokens from verified Good and Featured "
                "Wikipedia articles, for language modelling.",
    homepage="https://arxiv.org/abs/1609.07843",
    license="CC BY-SA 3.0",
    resources=[Resource(
        "wikitext-2-v1.zip",
        ["https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
         "https://wikitext.smerity.com/wikitext-2-v1.zip"],
        "92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c",
        max_size=16 << 20,  # about 4.5 MB (public loaders); stopped past 16 MiB
    )],
)
