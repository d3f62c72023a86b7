"""The vision entries of the dataset catalog: real URLs, sizes and sha256 values, sourced as
:mod:`triptych.datasets.catalog` requires (the source is named beside each entry). Importing this
module registers them; it needs neither torch nor the ``vision`` extra.
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
    dataset_class="triptych.vision.datasets.cifar:CIFAR10",
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
    dataset_class="triptych.vision.datasets.cifar:CIFAR100",
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
    dataset_class="triptych.vision.datasets.mnist:MNIST",
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
    dataset_class="triptych.vision.datasets.mnist:FashionMNIST",
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


def _kmnist(filename: str, sha256: str, size: int) -> Resource:
    return Resource(filename, [f"http://codh.rois.ac.jp/kmnist/dataset/kmnist/{filename}",
                               f"https://codh.rois.ac.jp/kmnist/dataset/kmnist/{filename}"],
                    sha256, size=size)


# sha256/size: tensorflow/datasets url_checksums/kmnist.txt (the same sha256 values are in
# other public loaders). License: CC BY-SA 4.0, per the dataset's page.
register_dataset(
    "kmnist",
    domain="vision",
    description="Kuzushiji-MNIST: 70,000 28x28 grey images of cursive Japanese (Hiragana) "
                "characters in 10 classes, IDX format.",
    homepage="https://github.com/rois-codh/kmnist",
    license="CC BY-SA 4.0",
    dataset_class="triptych.vision.datasets.mnist:KMNIST",
    resources={
        "train": [
            _kmnist("train-images-idx3-ubyte.gz",
                    "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4", 18165135),
            _kmnist("train-labels-idx1-ubyte.gz",
                    "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17", 29497),
        ],
        "test": [
            _kmnist("t10k-images-idx3-ubyte.gz",
                    "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5", 3041136),
            _kmnist("t10k-labels-idx1-ubyte.gz",
                    "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c", 5120),
        ],
    },
)

# sha256/size: tensorflow/datasets url_checksums/emnist.txt (the itl.nist.gov address; NIST now
# serves the file from biometrics.nist.gov, listed as a mirror: verified against the same hash).
# One zip holds every split, so each split names the same file.
_EMNIST_ZIP = Resource(
    "gzip.zip",
    ["https://www.itl.nist.gov/iaui/vip/cs_links/EMNIST/gzip.zip",
     "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip"],
    "fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e",
    size=561753746,
)
register_dataset(
    "emnist",
    domain="vision",
    description="EMNIST: handwritten digits and letters, 28x28 grey, IDX format, in six splits "
                "(byclass, bymerge, balanced, letters, digits, mnist).",
    homepage="https://www.nist.gov/itl/products-and-services/emnist-dataset",
    dataset_class="triptych.vision.datasets.mnist:EMNIST",
    resources={split: [_EMNIST_ZIP] for split in
               ("byclass", "bymerge", "balanced", "letters", "digits", "mnist")},
)


def _svhn(split: str, sha256: str, size: int) -> list[Resource]:
    return [Resource(f"{split}_32x32.mat",
                     [f"http://ufldl.stanford.edu/housenumbers/{split}_32x32.mat"],
                     sha256, size=size)]


# sha256/size: tensorflow/datasets url_checksums/svhn_cropped.txt. Terms: non-commercial use
# only, per the dataset's page.
register_dataset(
    "svhn",
    domain="vision",
    description="SVHN cropped digits: 32x32 colour images of house-number digits in 10 "
                "classes (73,257 train, 26,032 test, 531,131 extra), MATLAB .mat files.",
    homepage="http://ufldl.stanford.edu/housenumbers/",
    dataset_class="triptych.vision.datasets.svhn:SVHN",
    default_splits=["train", "test"],
    resources={
        "train": _svhn("train", "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",
                       182040794),
        "test": _svhn("test", "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",
                      64275384),
        "extra": _svhn("extra", "a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3",
                       1329278602),
    },
)

# sha256/size: tensorflow/datasets url_checksums/stl10.txt. One archive holds every split.
_STL10 = Resource(
    "stl10_binary.tar.gz",
    ["http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz"],
    "f31fd99273a1acb8609c8db427cebb1de3f71de77758cdc0e22956e1289b9866",
    size=2640397119,
)
register_dataset(
    "stl10",
    domain="vision",
    description="STL-10: 96x96 colour images in 10 classes (5,000 train, 8,000 test, 100,000 "
                "unlabeled), binary version.",
    homepage="https://cs.stanford.edu/~acoates/stl10/",
    dataset_class="triptych.vision.datasets.stl10:STL10",
    resources={split: [_STL10] for split in ("train", "test", "unlabeled", "train+unlabeled")},
)


def _voc(filename: str, sha256: str, size: int, folder: str) -> Resource:
    # host.robots.ox.ac.uk is the challenge's own site; pjreddie.com the copy TFDS hashed.
    return Resource(filename, [f"http://host.robots.ox.ac.uk/pascal/VOC/{folder}/{filename}",
                               f"http://pjreddie.com/media/files/{filename}"], sha256, size=size)


# sha256/size: tensorflow/datasets url_checksums/voc.txt. Splits are "<year>-<image set>".
_VOC2012 = _voc("VOCtrainval_11-May-2012.tar",
                "e14f763270cf193d0b5f74b169f44157a4b0c6efa708f4dd0ff78ee691763bcb", 1999639040,
                "voc2012")
_VOC2007 = _voc("VOCtrainval_06-Nov-2007.tar",
                "7d8cd951101b0957ddfd7a530bdc8a94f06121cfc1e511bb5937e973020c7508", 460032000,
                "voc2007")
_VOC2007_TEST = _voc("VOCtest_06-Nov-2007.tar",
                     "6836888e2e01dca84577a849d339fa4f73e1e4f135d312430c4856b5609b4892",
                     451020800, "voc2007")
register_dataset(
    "voc",
    domain="vision",
    description="Pascal VOC 2007 and 2012: 20 object classes with boxes (detection) and "
                "per-pixel classes (segmentation); splits '<year>-<image set>'.",
    homepage="http://host.robots.ox.ac.uk/pascal/VOC/",
    dataset_class="triptych.vision.datasets.voc:VOCDetection",
    default_splits=["2012-trainval"],
    resources={
        **{f"2012-{s}": [_VOC2012] for s in ("train", "val", "trainval")},
        **{f"2007-{s}": [_VOC2007] for s in ("train", "val", "trainval")},
        "2007-test": [_VOC2007_TEST],
    },
)


# sha256/size: tensorflow/datasets url_checksums/coco2017.txt. Each split: its images zip and
# the annotations zip (both splits' instances_*.json files are in it).
_COCO_ANNOTATIONS = Resource(
    "annotations_trainval2017.zip",
    ["http://images.cocodataset.org/annotations/annotations_trainval2017.zip"],
    "113a836d90195ee1f884e704da6304dfaaecff1f023f49b6ca93c4aaae470268", size=252907541)
register_dataset(
    "coco2017",
    domain="vision",
    description="COCO 2017 detection: 118k train / 5k val images with boxes, 80 categories "
                "and instance masks (polygons, RLE).",
    homepage="https://cocodataset.org/",
    license="CC BY 4.0 (annotations); images: Flickr terms of use",
    dataset_class="triptych.vision.datasets.coco:CocoDetection",
    default_splits=["val"],
    resources={
        "train": [Resource("train2017.zip", ["http://images.cocodataset.org/zips/train2017.zip"],
                           "69a8bb58ea5f8f99d24875f21416de2e9ded3178e903f1f7603e283b9e06d929",
                           size=19336861798), _COCO_ANNOTATIONS],
        "val": [Resource("val2017.zip", ["http://images.cocodataset.org/zips/val2017.zip"],
                         "4f7e2ccb2866ec5041993c9cf2a952bbed69647b115d0f74da7ce8f4bef82f05",
                         size=815585330), _COCO_ANNOTATIONS],
    },
)


# sha256/size: tensorflow/datasets url_checksums/oxford_iiit_pet.txt. License: CC BY-SA 4.0,
# per the dataset's page.
_PET = [Resource(name, [f"https://www.robots.ox.ac.uk/~vgg/data/pets/data/{name}",
                        f"http://www.robots.ox.ac.uk/~vgg/data/pets/data/{name}"], sha, size=size)
        for name, sha, size in (
            ("images.tar.gz", "67195c5e1c01f1ab5f9b6a5d22b8c27a580d896ece458917e61d459337fa318d",
             791918971),
            ("annotations.tar.gz",
             "52425fb6de5c424942b7626b428656fcbd798db970a937df61750c0f1d358e91", 19173078))]
register_dataset(
    "oxford_iiit_pet",
    domain="vision",
    description="Oxford-IIIT Pet: 7,349 images of 37 cat and dog breeds with trimap "
                "segmentations (trainval 3,680, test 3,669).",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/pets/",
    license="CC BY-SA 4.0",
    dataset_class="triptych.vision.datasets.pets_flowers_food:OxfordIIITPet",
    resources={"trainval": _PET, "test": _PET},
)

# sha256/size: tensorflow/datasets url_checksums/oxford_flowers102.txt.
_FLOWERS = [Resource(name, [f"https://www.robots.ox.ac.uk/~vgg/data/flowers/102/{name}"], sha,
                     size=size)
            for name, sha, size in (
                ("102flowers.tgz",
                 "2d01ecc807db462958cfe3d92f57a8c252b4abd240eb955770201e45f783b246", 344862509),
                ("imagelabels.mat",
                 "4903e94206bac23bf772aadf06451916df56b58fc483a62db32a97b82656651d", 502),
                ("setid.mat",
                 "46b8678f91fd95d3c8f4feab80d271a6c834a1dd896fe29fd3e6ad9ce5c8dccd", 14989))]
register_dataset(
    "flowers102",
    domain="vision",
    description="Oxford 102 Flowers: 8,189 images of 102 flower categories (train 1,020, val "
                "1,020, test 6,149).",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    dataset_class="triptych.vision.datasets.pets_flowers_food:Flowers102",
    resources={"train": _FLOWERS, "val": _FLOWERS, "test": _FLOWERS},
)

# sha256/size: tensorflow/datasets url_checksums/food101.txt.
_FOOD = [Resource("food-101.tar.gz", ["http://data.vision.ee.ethz.ch/cvl/food-101.tar.gz"],
                  "d97d15e438b7f4498f96086a4f7e2fa42a32f2712e87d3295441b2b6314053a4",
                  size=4996278331)]
register_dataset(
    "food101",
    domain="vision",
    description="Food-101: 101,000 images of 101 dishes (75,750 train, 25,250 test).",
    homepage="https://data.vision.ee.ethz.ch/cvl/datasets_extra/food-101/",
    dataset_class="triptych.vision.datasets.pets_flowers_food:Food101",
    resources={"train": _FOOD, "test": _FOOD},
)
