"""Write the RoBERTa / XLM-R reference files that tests/text/test_text_models.py compares with.

Run once with Hugging Face ``transformers`` (and ``tokenizers``, ``sentencepiece``) installed,
independently of triptych's model code::

    /work/anchor/bin/python tests/text/make_text_model_fixtures.py

It writes, next to this file:

- ``roberta_base_layout.json``, ``xlmr_base_layout.json``: names and shapes of the tensors of
  ``RobertaForMaskedLM`` / ``XLMRobertaForMaskedLM`` (the layout of the hub files, under the
  ``roberta.`` prefix, with the ``lm_head``), of ``RobertaModel(add_pooling_layer=False)`` (the
  encoder) and of ``RobertaForSequenceClassification`` (2 labels), built from the published
  configs (random weights, on the meta device: nothing is downloaded).
- ``text_models/``: a reduced config of the same architectures (hidden 32, 2 layers, 4 heads)
  with seeded random weights saved in the hub layout, inputs with padding, and the reference
  outputs (last hidden states with and without ``attention_mask``, classification logits); a
  tiny byte-level BPE (``roberta_tokenizer/vocab.json`` + ``merges.txt``, trained with ``tokenizers``) and a tiny
  SentencePiece BPE model, with the ids the ``transformers`` tokenizers give for some texts.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

HERE = Path(__file__).parent
OUT = HERE / "text_models"

ROBERTA_BASE = dict(vocab_size=50265, max_position_embeddings=514, type_vocab_size=1,
                    layer_norm_eps=1e-5, pad_token_id=1, bos_token_id=0, eos_token_id=2)
XLMR_BASE = dict(ROBERTA_BASE, vocab_size=250002)
TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=37,
            max_position_embeddings=20, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1,
            bos_token_id=0, eos_token_id=2)
TEXTS = ["Hello world", "the lazy dog, again and again!", "", "naïve café — 東京 🙂",
         "  leading spaces and\ttabs\n"]


def shapes(model: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in model.state_dict().items()}


def layouts() -> None:
    from transformers import (
        RobertaConfig,
        RobertaForMaskedLM,
        RobertaForSequenceClassification,
        RobertaModel,
        XLMRobertaConfig,
        XLMRobertaForMaskedLM,
        XLMRobertaForSequenceClassification,
        XLMRobertaModel,
    )

    for name, config_cls, mlm, encoder, classifier, config, url in (
        ("roberta_base", RobertaConfig, RobertaForMaskedLM, RobertaModel,
         RobertaForSequenceClassification, ROBERTA_BASE,
         "https://huggingface.co/FacebookAI/roberta-base/resolve/"
         "e2da8e2f811d1448a5b465c236feacd80ffbac7b/model.safetensors"),
        ("xlmr_base", XLMRobertaConfig, XLMRobertaForMaskedLM, XLMRobertaModel,
         XLMRobertaForSequenceClassification, XLMR_BASE,
         "https://huggingface.co/FacebookAI/xlm-roberta-base/resolve/"
         "e73636d4f797dec63c3081bb6ed5c7b0bb3f2089/model.safetensors"),
    ):
        cfg = config_cls(**config, num_labels=2)
        with torch.device("meta"):
            manifest = {
                "checkpoint": url,
                "note": f"transformers {__import__('transformers').__version__}: "
                        f"{mlm.__name__} (hub layout), {encoder.__name__}(add_pooling_layer=False) "
                        f"and {classifier.__name__}(num_labels=2) built from {config}",
                "masked_lm": shapes(mlm(cfg)),
                "encoder": shapes(encoder(cfg, add_pooling_layer=False)),
                "sequence_classification": shapes(classifier(cfg)),
            }
        path = HERE / f"{name}_layout.json"
        path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        print(f"{path.name}: {len(manifest['encoder'])} encoder tensors")


def randomize(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Every parameter random (LayerNorm included), so that no part is tested at its init."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))


def model_fixtures() -> None:
    from transformers import (
        RobertaConfig,
        RobertaForMaskedLM,
        RobertaForSequenceClassification,
        XLMRobertaConfig,
        XLMRobertaForMaskedLM,
    )

    generator = torch.Generator().manual_seed(0)
    pad = TINY["pad_token_id"]
    # rows of different lengths, padded with pad_token_id; row 2 has no padding
    lengths = [9, 5, 7]
    ids = torch.full((3, 9), pad, dtype=torch.long)
    for row, n in enumerate(lengths):
        ids[row, :n] = torch.randint(3, 50, (n,), generator=generator)
        ids[row, 0], ids[row, n - 1] = 0, 2
    mask = (ids != pad).long()
    for name, config_cls, mlm_cls in (("roberta", RobertaConfig, RobertaForMaskedLM),
                                      ("xlmr", XLMRobertaConfig, XLMRobertaForMaskedLM)):
        cfg = config_cls(**TINY, vocab_size=50, attn_implementation="eager")
        model = mlm_cls(cfg).eval()
        randomize(model, generator)
        with torch.no_grad():
            masked = model.roberta(input_ids=ids, attention_mask=mask).last_hidden_state
            unmasked = model.roberta(input_ids=ids).last_hidden_state
        record = {"state_dict": {k: v.clone() for k, v in model.state_dict().items()},
                  "input_ids": ids, "attention_mask": mask, "last_hidden_state": masked,
                  "last_hidden_state_no_mask": unmasked}
        if name == "roberta":
            head = RobertaForSequenceClassification(
                config_cls(**TINY, vocab_size=50, num_labels=3, attn_implementation="eager")).eval()
            randomize(head, generator)
            with torch.no_grad():
                record["classifier_state_dict"] = {k: v.clone() for k, v in head.state_dict().items()}
                record["logits"] = head(input_ids=ids, attention_mask=mask).logits
        torch.save(record, OUT / f"{name}_tiny.pt")
        print(f"{name}_tiny.pt: {sum(v.numel() for v in record['state_dict'].values())} values")


def tokenizer_fixtures() -> None:
    import sentencepiece as spm
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer, XLMRobertaTokenizer

    corpus = ["Hello world, hello there.", "The lazy dog sleeps again and again.",
              "naïve café — 東京 is a city; 🙂 emoji.", "Numbers 12345 and words, words, words.",
              "A quick brown fox jumps over the lazy dog while the world watches.",
              "Tokenizers split text into pieces; encoders turn pieces into vectors.",
              "Leading  spaces\tand tabs are kept by byte-level BPE."] * 20
    roberta_dir, xlmr_dir = OUT / "roberta_tokenizer", OUT / "xlmr_tokenizer"
    roberta_dir.mkdir(exist_ok=True)
    xlmr_dir.mkdir(exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=2,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(roberta_dir))  # vocab.json, merges.txt
    roberta = RobertaTokenizer.from_pretrained(str(roberta_dir))

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_prefix=str(xlmr_dir / "sentencepiece.bpe"),
        vocab_size=80, model_type="unigram", normalization_rule_name="nmt_nfkc",
        character_coverage=1.0, bos_id=1, eos_id=2, unk_id=0, pad_id=-1, minloglevel=2)
    (xlmr_dir / "sentencepiece.bpe.vocab").unlink()
    xlmr = XLMRobertaTokenizer.from_pretrained(str(xlmr_dir))
    expected = {
        "texts": TEXTS,
        "roberta": [roberta(t)["input_ids"] for t in TEXTS],
        "xlmr": [xlmr(t)["input_ids"] for t in TEXTS],
        "xlmr_special": {"bos": xlmr.bos_token_id, "pad": xlmr.pad_token_id,
                         "eos": xlmr.eos_token_id, "unk": xlmr.unk_token_id},
        "roberta_special": {"bos": roberta.bos_token_id, "pad": roberta.pad_token_id,
                            "eos": roberta.eos_token_id, "unk": roberta.unk_token_id},
        "roberta_truncated": roberta(TEXTS[1], truncation=True, max_length=6)["input_ids"],
    }
    (OUT / "tokenizer_ids.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False)
                                            + "\n", encoding="utf-8")
    print("tokenizer_ids.json:", expected["xlmr"][0], expected["roberta"][0])


def main() -> None:
    OUT.mkdir(exist_ok=True)
    torch.manual_seed(0)
    layouts()
    model_fixtures()
    tokenizer_fixtures()


if __name__ == "__main__":
    main()
