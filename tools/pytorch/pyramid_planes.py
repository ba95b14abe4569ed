#!/usr/bin/env python3
"""Bits/dim of a saved pyramid model (a PixelCnn.ML model zip) by level and by position in the 2x2 block, on the first
N Fashion-MNIST test images, with the independent PyTorch implementation (auxiliary.py). Shows where a pyramid's bits
go: the first sub-pixel of a block sees only the level below, the later ones also the block's earlier ones.

  /usr/bin/python3 tools/pytorch/pyramid_planes.py MODEL.zip [--images N]
"""
import argparse, gzip, json, math, os, sys, tempfile, zipfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import auxiliary  # noqa: E402
import gated_pixelcnn  # noqa: E402

TEST_IMAGES = os.path.join(os.environ.get("PIXELCNN_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"), "t10k-images-idx3-ubyte.gz")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--images", type=int, default=2000)
    a = ap.parse_args()
    with zipfile.ZipFile(a.model) as z:
        cfg = json.loads(z.read("config.json"))["config"]
        with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
            f.write(z.read("weights.safetensors"))
            f.flush()
            state = gated_pixelcnn.st_load(f.name)
    if cfg["architecture"] != "Pyramid" or cfg["channels"] != 1 or (cfg["height"], cfg["width"]) != (28, 28):
        sys.exit("a grey 28x28 pyramid model is needed")
    model = auxiliary.build_auxiliary(cfg)
    model.load_state_dict(state, strict=True)
    model.eval()
    raw = gzip.open(TEST_IMAGES).read()[16:16 + a.images * 784]
    x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, 1, 28, 28).float()
    dims, nats_to_bits = 28 * 28, 1 / math.log(2)
    result = {"images": x.shape[0], "levels": []}
    with torch.no_grad():
        result["base"] = model.part_nats(x)[:, 0].mean().item() / dims * nats_to_bits  # the smallest level, as auxiliary.py scores it
        views = [x]
        for _ in range(model.depth):
            views.append(auxiliary.downsample(views[-1]))
        for k, level in enumerate(model.levels):
            fine, lower = views[model.depth - 1 - k], views[model.depth - k]
            out = level(fine, auxiliary.upsample(lower).reshape(x.shape[0], -1))
            nll = -out.log_softmax(1).gather(1, fine.long()).squeeze(1)  # [N, H, W] nats per sub-pixel
            positions = [nll[:, di::2, dj::2].sum((1, 2)).mean().item() / dims * nats_to_bits for di, dj in [(0, 0), (0, 1), (1, 0), (1, 1)]]
            result["levels"].append({"size": fine.shape[2], "positions": positions, "total": sum(positions)})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
