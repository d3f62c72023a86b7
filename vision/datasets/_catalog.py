"""The vision entries of the dataset catalog (CIFAR-10/100, MNIST, Fashion-MNIST): real URLs, sizes and sha256 values.

Every sha256 and size is copied from public material, named beside each entry (mostly
TensorFlow Datasets' ``url_checksums`` files and torchaudio's dataset modules); a dataset whose
sha256 could not be sourced is left out. URLs after the first are mirrors that serve the same
bytes; :func:`triptych.datasets.download` verifies every copy against the same sha256. Licenses
are given only where the authors state one (``None``: see the homepage).

Importing this module registers the entries; the catalog imports it on first use. It needs
neither torch nor the ``vision`` extra.
"""

from __future__ import annotations

from triptych.datasets.catalog import Resource, register_dataset

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
