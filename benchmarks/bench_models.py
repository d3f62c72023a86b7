"""Model inference, one thread: triptych's prototypes vs the anchors' same architectures.

Each model runs in eval mode under ``torch.inference_mode`` on a fixed input, random weights
(the speed of a network does not depend on its weights), in three forms where they apply:

* ``eager``    the plain module;
* ``compiled`` ``torch.compile(model)`` (inductor; the compile time is spent in the untimed
  warm-up call);
* ``int8``     ``triptych.quantize_int8(model)`` on our side and torch's dynamic int8
  quantisation of the Linear layers on the anchor's side.

The anchors are torchvision (vision), torchaudio (audio: ``wav2vec2_base``) and transformers
(text: ``RobertaModel`` in roberta-base's configuration, without the pooler, as ours) in the
anchor Python; both sides use the same inputs. ``small_cnn`` and ``kws_cnn`` have no anchor. Our process runs torch 2.13, the anchor's its own
version (2.9.1 here), so ``compiled`` compares two inductor versions as well as two codebases.

    python benchmarks/bench_models.py                     # every model, every form
    python benchmarks/bench_models.py --models resnet18 --forms eager,compiled
"""

from __future__ import annotations

import argparse
import sys

from common import compare, serve_anchor


def _torchvision(name: str):
    def build():
        import torchvision.models

        return getattr(torchvision.models, name)()
    return build


def _torchaudio_wav2vec2():
    import torchaudio

    return torchaudio.models.wav2vec2_base()


def _transformers_roberta():
    from transformers import RobertaConfig, RobertaModel

    return RobertaModel(RobertaConfig(vocab_size=50265, max_position_embeddings=514,
                                      type_vocab_size=1, layer_norm_eps=1e-5),
                        add_pooling_layer=False)


# name -> (input kind, batch, size, units per item, anchor builder or None).
# Inputs: "image" (batch, 3, size, size) floats; "audio" (batch, size samples at 16 kHz) —
# throughput in seconds of audio per second; "tokens" (batch, size) ids — tokens per second;
# "logmel" (batch, 1, 40, size) features for the keyword spotter.
MODELS = {
    "small_cnn": ("image", 32, 32, 1, None),
    "resnet18": ("image", 4, 224, 1, _torchvision("resnet18")),
    "resnet50": ("image", 2, 224, 1, _torchvision("resnet50")),
    "mobilenet_v3_small": ("image", 8, 224, 1, _torchvision("mobilenet_v3_small")),
    "mobilenet_v3_large": ("image", 4, 224, 1, _torchvision("mobilenet_v3_large")),
    "vit_b_16": ("image", 1, 224, 1, _torchvision("vit_b_16")),
    "kws_cnn": ("logmel", 32, 101, 1, None),
    "wav2vec2_base": ("audio", 1, 80000, 5.0, _torchaudio_wav2vec2),
    "roberta_base": ("tokens", 4, 128, 128, _transformers_roberta),
}
FORMS = ("eager", "compiled", "int8")
UNITS = {"image": "img/s", "logmel": "clips/s", "audio": "s audio/s", "tokens": "tokens/s"}


def _inputs(kind: str, batch: int, size: int):
    import torch

    g = torch.Generator().manual_seed(0)
    if kind == "image":
        return (torch.rand(batch, 3, size, size, generator=g),)
    if kind == "logmel":
        return (torch.randn(batch, 1, 40, size, generator=g),)
    if kind == "audio":
        return (torch.randn(batch, size, generator=g) * 0.1,)
    if kind == "tokens":
        ids = torch.randint(3, 1000, (batch, size), generator=g)
        ids[:, 0], ids[:, -1] = 0, 2
        return (ids, torch.ones_like(ids))
    raise ValueError(f"unknown input kind {kind!r}")


def _ours_model(name: str):
    from triptych.models import get_model

    return get_model(name)


def _anchor_model(name: str):
    build = MODELS[name][4]
    return None if build is None else build()


def _int8_ours(model):
    import triptych

    return triptych.quantize_int8(model)


def _int8_anchor(model):
    import torch

    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def _case(name: str, form: str, build, int8):
    """A benchmark case: build the model in ``form`` and return the timed call."""
    def make():
        import torch

        torch.manual_seed(0)
        model = build(name)
        if model is None:
            raise LookupError(name)
        model = model.eval()
        if form == "compiled":
            model = torch.compile(model)
        elif form == "int8":
            model = int8(model)
        inputs = _inputs(*MODELS[name][:3])

        def run():
            with torch.inference_mode():
                return model(*inputs)
        return run
    return make


def _cases(names, forms, build, int8) -> dict:
    return {f"{name} {form}": _case(name, form, build, int8)
            for name in names for form in forms}


def _anchor_cases(names, forms) -> dict:
    cases = {}
    for key, make in _cases(names, forms, _anchor_model, _int8_anchor).items():
        if MODELS[key.split()[0]][4] is not None:
            cases[key] = make
    return cases


def _versions():
    import importlib

    import torch

    found = {"torch": torch.__version__}
    for module in ("torchvision", "torchaudio", "transformers"):
        try:
            found[module] = importlib.import_module(module).__version__
        except ImportError:
            pass
    if "torchvision" not in found:
        raise ImportError("torchvision")
    return found


def _parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS),
                        help="comma-separated model names (default: all)")
    parser.add_argument("--forms", default=",".join(FORMS), help="eager,compiled,int8")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--anchor-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = [m for m in args.models.split(",") if m]
    args.forms = [f for f in args.forms.split(",") if f]
    for m in args.models:
        if m not in MODELS:
            parser.error(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    for f in args.forms:
        if f not in FORMS:
            parser.error(f"unknown form {f!r}; choose from {', '.join(FORMS)}")
    return args


def main(argv=None) -> None:
    args = _parse(argv)
    if args.anchor_worker:  # every case; the parent asks only for the ones it times
        import torch

        torch.set_num_threads(args.threads)
        serve_anchor(_anchor_cases(MODELS, FORMS), _versions)
        return
    ours = _cases(args.models, args.forms, _ours_model, _int8_ours)
    units = {}
    for key in ours:
        kind, batch, _, per_item, _ = MODELS[key.split()[0]]
        units[key] = (UNITS[kind], batch * per_item)
    compare("model inference (1 thread): triptych.models vs torchvision/torchaudio/transformers",
            __file__, ours, units=units, rounds=args.rounds, threads=args.threads, min_time=0.5)


if __name__ == "__main__":
    main(sys.argv[1:])
