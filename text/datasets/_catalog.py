"""The text entries of the dataset catalog (IMDB, AG News, WikiText-2): real URLs, sizes and sha256 values.

Every sha256 and size is copied from public material, named beside each entry (mostly
TensorFlow Datasets' ``url_checksums`` files and torchaudio's dataset modules); a dataset whose
sha256 could not be sourced is left out. URLs after the first are mirrors that serve the same
bytes; :func:`triptych.datasets.download` verifies every copy against the same sha256. Licenses
are given only where the authors state one (``None``: see the homepage).

Importing this module registers the entries; the catalog imports it on first use. It needs
neither torch nor the ``text`` extra.
"""

from __future__ import annotations

from triptych.datasets.catalog import Resource, register_dataset

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
