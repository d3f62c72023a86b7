"""Write the wav2vec2 test fixtures from torchaudio (the reference implementation).

Run once with an interpreter that has torchaudio (the anchor venv)::

    /work/anchor/bin/python tests/audio/make_wav2vec2_fixtures.py

It writes two files next to this script:

* ``wav2vec2_checkpoint_layout.json``: name -> shape of ``torchaudio.models.wav2vec2_base()``
  (the layout of the published ``WAV2VEC2_BASE`` file) and of ``wav2vec2_base(aux_num_out=29)``
  (``WAV2VEC2_ASR_BASE_960H`` after torchaudio drops fairseq's unused output rows 1-3).
  torch >= 2.1 names the weight-normalised positional convolution
  ``conv.parametrizations.weight.original0/1``; the published files (and torch's own load hook
  for them) use ``conv.weight_g`` / ``conv.weight_v``, so the manifest uses the file names.
* ``wav2vec2_reference.pt``: two reduced configurations of the same architecture (the base
  model's group-norm / post-norm variant and the large models' layer-norm / pre-norm variant),
  each with torchaudio's config, a random-weight state_dict (file names as above), a padded
  input batch with lengths, and torchaudio's outputs in eval mode. A few tens of kilobytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torchaudio

HERE = Path(__file__).parent
BASE_URL = "https://download.pytorch.org/torchaudio/models/"

# torch's parametrized weight norm -> the names in the published checkpoints
_FILE_NAMES = {"conv.parametrizations.weight.original0": "conv.weight_g",
               "conv.parametrizations.weight.original1": "conv.weight_v"}


def file_names(state: dict) -> dict:
    out = {}
    for key, value in state.items():
        for new, old in _FILE_NAMES.items():
            key = key.replace(new, old)
        out[key] = value
    return out


def layout(model: torch.nn.Module) -> dict:
    return {k: list(v.shape) for k, v in file_names(model.state_dict()).items()}


REDUCED = {
    "group_norm_post_norm": dict(
        extractor_mode="group_norm",
        extractor_conv_layer_config=[(8, 10, 5), (8, 3, 2), (8, 2, 2)],
        extractor_conv_bias=False, encoder_embed_dim=16, encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=8, encoder_pos_conv_groups=4, encoder_num_layers=2,
        encoder_num_heads=2, encoder_attention_dropout=0.1, encoder_ff_interm_features=24,
        encoder_ff_interm_dropout=0.0, encoder_dropout=0.1, encoder_layer_norm_first=False,
        encoder_layer_drop=0.05, aux_num_out=5),
    "layer_norm_pre_norm": dict(
        extractor_mode="layer_norm",
        extractor_conv_layer_config=[(8, 10, 5), (12, 3, 2), (12, 3, 2)],
        extractor_conv_bias=True, encoder_embed_dim=16, encoder_projection_dropout=0.1,
        encoder_pos_conv_kernel=7, encoder_pos_conv_groups=2, encoder_num_layers=2,
        encoder_num_heads=4, encoder_attention_dropout=0.1, encoder_ff_interm_features=24,
        encoder_ff_interm_dropout=0.1, encoder_dropout=0.1, encoder_layer_norm_first=True,
        encoder_layer_drop=0.05, aux_num_out=None),
}


def reference_case(config: dict, seed: int) -> dict:
    torch.manual_seed(seed)
    model = torchaudio.models.wav2vec2_model(**config).eval()
    with torch.no_grad():  # random weights of a realistic spread, norms and biases included
        for name, param in model.named_parameters():
            if "layer_norm" in name and name.endswith("weight"):
                param.copy_(1.0 + 0.2 * torch.randn_like(param))
            else:
                param.copy_(0.3 * torch.randn_like(param))
    waveforms = torch.randn(3, 400)
    lengths = torch.tensor([400, 333, 170])
    with torch.no_grad():
        output, output_lengths = model(waveforms, lengths)
        unpadded, _ = model(waveforms)
        features, _ = model.extract_features(waveforms, lengths)
    return {"config": {k: (list(map(list, v)) if k == "extractor_conv_layer_config" else v)
                       for k, v in config.items()},
            "state_dict": {k: v.contiguous() for k, v in file_names(model.state_dict()).items()},
            "waveforms": waveforms, "lengths": lengths, "output": output,
            "output_lengths": output_lengths, "output_unpadded": unpadded,
            "features": list(features)}


def main() -> None:
    manifest = {
        "source": f"torchaudio {torchaudio.__version__} (torchaudio.models.wav2vec2_base)",
        "note": "name -> shape. pos_conv_embed is a weight-normalised grouped Conv1d (768 -> 768, "
                "kernel 128, 16 groups, norm over dim 2): weight_g [1, 1, 128], weight_v "
                "[768, 48, 128], as in the published files. The published "
                "wav2vec2_fairseq_base_ls960_asr_ls960.pth holds aux with 32 rows (fairseq's "
                "dictionary); torchaudio (and triptych) drop rows 1, 2, 3 when loading it.",
        "layouts": {
            "wav2vec2_base": {"checkpoint": BASE_URL + "wav2vec2_fairseq_base_ls960.pth",
                              "tensors": layout(torchaudio.models.wav2vec2_base())},
            "wav2vec2_base_aux29": {
                "checkpoint": BASE_URL + "wav2vec2_fairseq_base_ls960_asr_ls960.pth",
                "tensors": layout(torchaudio.models.wav2vec2_base(aux_num_out=29))},
        },
    }
    path = HERE / "wav2vec2_checkpoint_layout.json"
    path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{path.name}: {len(manifest['layouts']['wav2vec2_base']['tensors'])} tensors")

    cases = {name: reference_case(config, seed) for seed, (name, config)
             in enumerate(REDUCED.items())}
    out = HERE / "wav2vec2_reference.pt"
    torch.save({"torchaudio": torchaudio.__version__, "cases": cases}, out)
    print(f"{out.name}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
