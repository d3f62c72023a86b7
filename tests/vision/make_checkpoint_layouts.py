"""Write the checkpoint-layout manifests (name -> shape) of torchvision's published ImageNet
checkpoints for ResNet-50, MobileNetV3-Small/Large and ViT-B/16.

Derived from the architectures' facts (torchvision's module names, block tables and widths),
written out here by hand, independently of triptych's model code, so that the tests compare two
derivations. Run once: ``python tests/vision/make_checkpoint_layouts.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent


def bn(prefix: str, c: int) -> dict:
    return {f"{prefix}.weight": [c], f"{prefix}.bias": [c], f"{prefix}.running_mean": [c],
            f"{prefix}.running_var": [c], f"{prefix}.num_batches_tracked": []}


def resnet50() -> dict:
    t = {"conv1.weight": [64, 3, 7, 7], **bn("bn1", 64)}
    cin = 64
    for stage, (width, blocks) in enumerate(zip((64, 128, 256, 512), (3, 4, 6, 3)), 1):
        for b in range(blocks):
            p = f"layer{stage}.{b}"
            t[f"{p}.conv1.weight"] = [width, cin, 1, 1]
            t.update(bn(f"{p}.bn1", width))
            t[f"{p}.conv2.weight"] = [width, width, 3, 3]
            t.update(bn(f"{p}.bn2", width))
            t[f"{p}.conv3.weight"] = [width * 4, width, 1, 1]
            t.update(bn(f"{p}.bn3", width * 4))
            if b == 0:  # channel change (and stride 2 in stages 2-4)
                t[f"{p}.downsample.0.weight"] = [width * 4, cin, 1, 1]
                t.update(bn(f"{p}.downsample.1", width * 4))
            cin = width * 4
    t["fc.weight"] = [1000, 2048]
    t["fc.bias"] = [1000]
    return t


def make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


# (in, kernel, expanded, out, use_se): torchvision's _mobilenet_v3_conf at width 1.0
LARGE = [(16, 3, 16, 16, False), (16, 3, 64, 24, False), (24, 3, 72, 24, False),
         (24, 5, 72, 40, True), (40, 5, 120, 40, True), (40, 5, 120, 40, True),
         (40, 3, 240, 80, False), (80, 3, 200, 80, False), (80, 3, 184, 80, False),
         (80, 3, 184, 80, False), (80, 3, 480, 112, True), (112, 3, 672, 112, True),
         (112, 5, 672, 160, True), (160, 5, 960, 160, True), (160, 5, 960, 160, True)]
SMALL = [(16, 3, 16, 16, True), (16, 3, 72, 24, False), (24, 3, 88, 24, False),
         (24, 5, 96, 40, True), (40, 5, 240, 40, True), (40, 5, 240, 40, True),
         (40, 5, 120, 48, True), (48, 5, 144, 48, True), (48, 5, 288, 96, True),
         (96, 5, 576, 96, True), (96, 5, 576, 96, True)]


def mobilenet_v3(table, last_channel: int) -> dict:
    t = {"features.0.0.weight": [16, 3, 3, 3], **bn("features.0.1", 16)}
    for n, (cin, k, exp, cout, se) in enumerate(table, 1):
        p, i = f"features.{n}.block", 0
        if exp != cin:
            t[f"{p}.{i}.0.weight"] = [exp, cin, 1, 1]
            t.update(bn(f"{p}.{i}.1", exp))
            i += 1
        t[f"{p}.{i}.0.weight"] = [exp, 1, k, k]  # depthwise
        t.update(bn(f"{p}.{i}.1", exp))
        i += 1
        if se:
            sq = make_divisible(exp // 4)
            t[f"{p}.{i}.fc1.weight"] = [sq, exp, 1, 1]
            t[f"{p}.{i}.fc1.bias"] = [sq]
            t[f"{p}.{i}.fc2.weight"] = [exp, sq, 1, 1]
            t[f"{p}.{i}.fc2.bias"] = [exp]
            i += 1
        t[f"{p}.{i}.0.weight"] = [cout, exp, 1, 1]
        t.update(bn(f"{p}.{i}.1", cout))
    last_in = table[-1][3]
    n = len(table) + 1
    t[f"features.{n}.0.weight"] = [6 * last_in, last_in, 1, 1]
    t.update(bn(f"features.{n}.1", 6 * last_in))
    t["classifier.0.weight"] = [last_channel, 6 * last_in]
    t["classifier.0.bias"] = [last_channel]
    t["classifier.3.weight"] = [1000, last_channel]
    t["classifier.3.bias"] = [1000]
    return t


def vit_b_16() -> dict:
    d, mlp, layers, tokens = 768, 3072, 12, (224 // 16) ** 2 + 1
    t = {"class_token": [1, 1, d], "conv_proj.weight": [d, 3, 16, 16], "conv_proj.bias": [d],
         "encoder.pos_embedding": [1, tokens, d]}
    for n in range(layers):
        p = f"encoder.layers.encoder_layer_{n}"
        t.update({f"{p}.ln_1.weight": [d], f"{p}.ln_1.bias": [d],
                  f"{p}.self_attention.in_proj_weight": [3 * d, d],
                  f"{p}.self_attention.in_proj_bias": [3 * d],
                  f"{p}.self_attention.out_proj.weight": [d, d],
                  f"{p}.self_attention.out_proj.bias": [d],
                  f"{p}.ln_2.weight": [d], f"{p}.ln_2.bias": [d],
                  f"{p}.mlp.0.weight": [mlp, d], f"{p}.mlp.0.bias": [mlp],
                  f"{p}.mlp.3.weight": [d, mlp], f"{p}.mlp.3.bias": [d]})
    t.update({"encoder.ln.weight": [d], "encoder.ln.bias": [d],
              "heads.head.weight": [1000, d], "heads.head.bias": [1000]})
    return t


MANIFESTS = {
    "resnet50": ("https://download.pytorch.org/models/resnet50-11ad3fa6.pth", resnet50,
                 "torchvision ResNet-50 (v1.5) layout: conv1/bn1, layer1..4 of 3/4/6/3 Bottlenecks "
                 "(conv1 1x1, conv2 3x3 strided, conv3 1x1 x4, bn1..3; downsample.0/.1 in each "
                 "first block), fc 2048->1000. The V1 file (resnet50-0676ba61.pth) has the same "
                 "layout."),
    "mobilenet_v3_large": ("https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth",
                           lambda: mobilenet_v3(LARGE, 1280),
                           "torchvision MobileNetV3-Large layout: features.0 stem, features.1-15 "
                           "InvertedResidual .block (expand 1x1 if expanded != in, depthwise, "
                           "SqueezeExcitation fc1/fc2 with squeeze make_divisible(exp//4, 8), "
                           "project), features.16 1x1 to 960, classifier.0 960->1280, "
                           "classifier.3 1280->1000."),
    "mobilenet_v3_small": ("https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth",
                           lambda: mobilenet_v3(SMALL, 1024),
                           "torchvision MobileNetV3-Small layout: as Large with 11 blocks, "
                           "features.12 1x1 to 576, classifier.0 576->1024, classifier.3 "
                           "1024->1000."),
    "vit_b_16": ("https://download.pytorch.org/models/vit_b_16-c867db91.pth", vit_b_16,
                 "torchvision ViT-B/16 layout: conv_proj 16x16/16 3->768, class_token, "
                 "encoder.pos_embedding (197 tokens), 12 encoder_layer_N (ln_1, self_attention "
                 "packed in_proj + out_proj, ln_2, mlp.0 768->3072, mlp.3 3072->768), encoder.ln, "
                 "heads.head 768->1000."),
}


def main() -> None:
    for name, (url, build, note) in MANIFESTS.items():
        manifest = {"checkpoint": url, "note": note + " num_batches_tracked is a 0-dim int64 "
                    "buffer.", "tensors": build()}
        path = HERE / f"{name}_checkpoint_layout.json"
        path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        params = sum(_numel(s) for k, s in manifest["tensors"].items()
                     if not k.endswith(("running_mean", "running_var", "num_batches_tracked")))
        print(f"{path.name}: {len(manifest['tensors'])} tensors, {params} parameters")


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


if __name__ == "__main__":
    main()
