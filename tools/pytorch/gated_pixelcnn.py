#!/usr/bin/env python3
"""Independent PyTorch implementation of PixelCnn.ML's models, for cross-checks and benchmarks
(the PixelRNN architectures are in pixelrnn.py, the auxiliary-variable ones in auxiliary.py, next to this file).

Written from the papers and docs/architecture.md, not generated from the C# code; parameter names
match the C# state dicts so weights travel through safetensors. Runs with Debian's python3-torch
(/usr/bin/python3); needs no other package (safetensors is read and written here by hand).

  crosscheck --config C.json --weights W.safetensors --inputs I.safetensors --out O.safetensors
      forward the model on the inputs (x, and h when conditioned); write logits and bits/dim (for the
      auxiliary-variable architectures, each part's nats per image instead of logits).
  bench --preset S|M [--threads N] [--batch B] [--train-steps K] [--score-batches K]
      training and scoring throughput (images/s) and peak RSS, as JSON on stdout.
  train-epoch --preset S [--weights INIT.safetensors] [--order ORDER.bin] [--seed N] [--limit N]
      one epoch of Fashion-MNIST (Adam 1e-3, batch 32), then test bits/dim and wall time, as JSON.
"""
import argparse, gzip, json, math, os, resource, struct, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F

# ---------------------------------------------------------------- safetensors (minimal, strict)
_DT = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "U8": torch.uint8, "BOOL": torch.bool}
_DT_REV = {v: k for k, v in _DT.items()}


def st_load(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n].decode("utf-8"))
    buf = data[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(buf[b:end]), dtype=_DT[e["dtype"]]) if end > b else torch.empty(0, dtype=_DT[e["dtype"]])
        out[name] = t.reshape(e["shape"]).clone()
    return out


def st_save(tensors, path):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        raw = t.numpy().tobytes()
        header[name] = {"dtype": _DT_REV[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ---------------------------------------------------------------- colour masks
def groups(count, colours):
    return [0 if colours == 1 else (i * colours) // count for i in range(count)]


def gated_groups(p, colours):
    g = groups(p, colours)
    return g + g


def block_groups(colours, per):
    return [i // per for i in range(colours * per)]


def build_mask(out_g, in_g, kh, kw, cy, cx, mask_a):
    m = torch.zeros(len(out_g), len(in_g), kh, kw)
    for a, go in enumerate(out_g):
        for b, gi in enumerate(in_g):
            for y in range(kh):
                for x in range(kw):
                    centre = y == cy and x == cx
                    ok = y < cy or (y == cy and x < cx) or (centre and (gi < go if mask_a else gi <= go))
                    m[a, b, y, x] = 1.0 if ok else 0.0
    return m


class MaskedConv2d(nn.Module):
    def __init__(self, cin, cout, kh, kw, mask, pad):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, kh, kw))
        self.bias = nn.Parameter(torch.empty(cout))
        bound = 1 / math.sqrt(cin * kh * kw)
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)
        self.register_buffer("mask", mask if mask is not None and bool((mask == 0).any()) else None, persistent=False)
        self.pad = pad  # left, right, top, bottom

    @staticmethod
    def pointwise(in_g, out_g):
        return MaskedConv2d(len(in_g), len(out_g), 1, 1, build_mask(out_g, in_g, 1, 1, 0, 0, False), (0, 0, 0, 0))

    def forward(self, x):
        w = self.weight if self.mask is None else self.weight * self.mask
        l, r, t, b = self.pad
        if l == r and t == b:
            return F.conv2d(x, w, self.bias, padding=(t, l))
        return F.conv2d(F.pad(x, (l, r, t, b)), w, self.bias)


def levels(cfg):
    return cfg.get("levels", 256)


def scale(x, n_levels=256):
    """Values 0..L-1 to [-1, 1]."""
    return x / ((n_levels - 1) / 2.0) - 1.0


# ---------------------------------------------------------------- conditioning
class ImageConditionNet(nn.Module):
    """m(h) for an image condition: 3x3 conv, residual ELU-3x3-ELU-3x3 blocks, ELU, 1x1; nothing masked."""

    def __init__(self, planes, height, width, hidden, blocks, cout):
        super().__init__()
        self.planes, self.height, self.width = planes, height, width
        self.input = nn.Conv2d(planes, hidden, 3, padding=1)
        self.convs = nn.ModuleList([nn.Conv2d(hidden, hidden, 3, padding=1) for _ in range(2 * blocks)])
        self.output = nn.Conv2d(hidden, cout, 1)

    def forward(self, h):
        f = self.input(scale(h.reshape(-1, self.planes, self.height, self.width)))
        for b in range(0, len(self.convs), 2):
            f = f + self.convs[b + 1](F.elu(self.convs[b](F.elu(f))))
        return self.output(F.elu(f))


class ConditionLogits(nn.Module):
    """Logits added per sub-pixel from the image condition's value there (plane 0, or the channel's own plane)."""

    def __init__(self, channels, planes, n_levels, height, width):
        super().__init__()
        self.channels, self.planes, self.height, self.width = channels, planes, height, width
        self.table = nn.Parameter(torch.zeros(channels, 256, n_levels))

    def forward(self, h):
        v = h.reshape(-1, self.planes, self.height, self.width).round().clamp(0, 255).long()
        if self.planes != self.channels:
            v = v.expand(-1, self.channels, self.height, self.width)
        return torch.cat([self.table[c][v[:, c]].permute(0, 3, 1, 2) for c in range(self.channels)], 1)


class SpatialConditionNet(nn.Module):
    def __init__(self, d, cout, height, width):
        super().__init__()
        self.h0, self.w0, self.height, self.width = (height + 3) // 4, (width + 3) // 4, height, width
        self.c0 = max(cout, 16)
        self.fc = nn.Linear(d, self.c0 * self.h0 * self.w0)
        self.up1 = nn.ConvTranspose2d(self.c0, self.c0, 4, stride=2, padding=1)
        self.up2 = nn.ConvTranspose2d(self.c0, cout, 4, stride=2, padding=1)

    def forward(self, h):
        s = F.elu(self.fc(h)).view(-1, self.c0, self.h0, self.w0)
        s = self.up2(F.elu(self.up1(s)))
        return s[:, :, :self.height, :self.width].contiguous()


class LayerCondition(nn.Module):
    def __init__(self, cfg, cout):
        super().__init__()
        if cfg["conditioning"] == "Global":
            self.linear = nn.Linear(cfg["conditionSize"], cout)
        else:
            self.conv = nn.Conv2d(cfg["spatialConditionChannels"], cout, 1)
        self.glob = cfg["conditioning"] == "Global"

    def forward(self, c):
        return self.linear(c)[:, :, None, None] if self.glob else self.conv(c)


# ---------------------------------------------------------------- heads
def params_per_channel(cfg):
    return levels(cfg) if cfg["output"] == "Softmax256" else 3 * cfg["mixtureComponents"]


def mixture_log_prob(logits, means, log_scales, x, dim):
    xs = x / 127.5 - 1.0
    log_s = log_scales.clamp(min=-7.0)
    inv_s = torch.exp(-log_s)
    centred = xs - means
    plus_in = inv_s * (centred + 1.0 / 255.0)
    min_in = inv_s * (centred - 1.0 / 255.0)
    sp_plus, sp_min = F.softplus(plus_in), F.softplus(min_in)
    log_cdf_plus = plus_in - sp_plus
    log_one_minus_cdf_min = -sp_min
    log_mid = min_in + torch.log(torch.expm1(plus_in - min_in)) - sp_plus - sp_min
    log_bin = torch.where(x < 0.5, log_cdf_plus, torch.where(x > 254.5, log_one_minus_cdf_min, log_mid))
    return torch.logsumexp(log_bin + F.log_softmax(logits, dim=dim), dim=dim)


def nll_nats(cfg, out, x):
    n, _, hgt, wid = out.shape
    c, p = cfg["channels"], params_per_channel(cfg)
    o = out.view(n, c, p, hgt, wid)
    if cfg["output"] == "Softmax256":
        return F.cross_entropy(o.transpose(1, 2), x.long(), reduction="none")
    k = cfg["mixtureComponents"]
    return -mixture_log_prob(o[:, :, :k], o[:, :, k:2 * k], o[:, :, 2 * k:], x.unsqueeze(2), 2)


class OutputStack(nn.Module):
    def __init__(self, cfg, cin):
        super().__init__()
        c = cfg["channels"]
        in_g, hid_g = groups(cin, c), groups(cfg["outputHiddenChannels"], c)
        self.hidden = MaskedConv2d.pointwise(in_g, hid_g)
        setattr(self, "out", MaskedConv2d.pointwise(hid_g, block_groups(c, params_per_channel(cfg))))

    def forward(self, f):
        return getattr(self, "out")(F.relu(self.hidden(F.relu(f))))


# ---------------------------------------------------------------- Gated PixelCNN
class GatedBlock(nn.Module):
    def __init__(self, cfg, first):
        super().__init__()
        p, c, k = cfg["hiddenChannels"], cfg["channels"], cfg["kernelSize"]
        half, cin = k // 2, (cfg["channels"] if first else cfg["hiddenChannels"])
        in_g = groups(c, c) if first else groups(p, c)
        self.p = p
        self.v_conv = MaskedConv2d(cin, 2 * p, half + 1, k, None, (half, half, half, 0))
        self.h_conv = MaskedConv2d(cin, 2 * p, 1, half + 1, build_mask(gated_groups(p, c), in_g, 1, half + 1, 0, half, first), (half, 0, 0, 0))
        self.v_to_h = MaskedConv2d(2 * p, 2 * p, 1, 1, None, (0, 0, 0, 0))
        self.h_res = None if first else MaskedConv2d.pointwise(groups(p, c), groups(p, c))
        self.h_skip = MaskedConv2d.pointwise(groups(p, c), groups(p, c)) if cfg["skipConnections"] else None
        if cfg["conditioning"] != "None":
            self.cond_v, self.cond_h = LayerCondition(cfg, 2 * p), LayerCondition(cfg, 2 * p)

    def gate(self, t):
        return torch.tanh(t[:, :self.p]) * torch.sigmoid(t[:, self.p:])

    def forward(self, v, h, cond):
        v_pre = self.v_conv(v)
        down = F.pad(v_pre, (0, 0, 1, 0))[:, :, :v_pre.shape[2]]
        h_pre = self.h_conv(h) + self.v_to_h(down)
        if cond is not None:
            v_pre = v_pre + self.cond_v(cond)
            h_pre = h_pre + self.cond_h(cond)
        g = self.gate(h_pre)
        h_out = g if self.h_res is None else h + self.h_res(g)
        return self.gate(v_pre), h_out, (self.h_skip(g) if self.h_skip is not None else None)


class GatedPixelCnn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        if cfg["conditioning"] == "Spatial":
            self.cond_net = SpatialConditionNet(cfg["conditionSize"], cfg["spatialConditionChannels"], cfg["height"], cfg["width"])
        elif cfg["conditioning"] == "Image":
            planes = cfg["conditionSize"] // (cfg["height"] * cfg["width"])
            self.cond_net = ImageConditionNet(planes, cfg["height"], cfg["width"], cfg["hiddenChannels"], 1, cfg["spatialConditionChannels"])
            if planes in (1, cfg["channels"]):
                self.cond_logits = ConditionLogits(cfg["channels"], planes, params_per_channel(cfg), cfg["height"], cfg["width"])
        self.blocks = nn.ModuleList([GatedBlock(cfg, i == 0) for i in range(cfg["layers"])])
        self.head = OutputStack(cfg, cfg["hiddenChannels"])

    def forward(self, x, h=None):
        cond = self.cond_net(h) if hasattr(self, "cond_net") else h
        v = hs = scale(x, levels(self.cfg))
        skip = None
        for b in self.blocks:
            v, hs, s = b(v, hs, cond)
            if s is not None:
                skip = s if skip is None else skip + s
        out = self.head(skip if skip is not None else hs)
        return out + self.cond_logits(h) if hasattr(self, "cond_logits") else out


class PixelCnnBaseline(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, p, k = cfg["channels"], cfg["hiddenChannels"], cfg["kernelSize"]
        img_g, p_g = groups(c, c), groups(p, c)
        self.input_conv = MaskedConv2d(c, p, 7, 7, build_mask(p_g, img_g, 7, 7, 3, 3, True), (3, 3, 3, 3))
        self.layers = nn.ModuleList([MaskedConv2d(p, p, k, k, build_mask(p_g, p_g, k, k, k // 2, k // 2, False), (k // 2,) * 4)
                                     for _ in range(cfg["layers"])])
        if cfg["conditioning"] == "Spatial":
            self.cond_net = SpatialConditionNet(cfg["conditionSize"], cfg["spatialConditionChannels"], cfg["height"], cfg["width"])
        if cfg["conditioning"] != "None":
            self.input_condition = LayerCondition(cfg, p)
            self.conditions = nn.ModuleList([LayerCondition(cfg, p) for _ in range(cfg["layers"])])
        self.head = OutputStack(cfg, p)
        self.conditioned = cfg["conditioning"] != "None"

    def forward(self, x, h=None):
        cond = self.cond_net(h) if hasattr(self, "cond_net") else h
        f = self.input_conv(x / 127.5 - 1.0)
        if self.conditioned:
            f = f + self.input_condition(cond)
        for i, layer in enumerate(self.layers):
            r = layer(F.relu(f))
            if self.conditioned:
                r = r + self.conditions[i](cond)
            f = f + r
        return self.head(f)


def build(cfg):
    arch = cfg["architecture"]
    if arch in ("Grayscale", "Pyramid"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from auxiliary import build_auxiliary
        return build_auxiliary(cfg)
    if arch in ("RowLstm", "DiagonalBiLstm"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from pixelrnn import PixelRnn
        return PixelRnn(cfg)
    return GatedPixelCnn(cfg) if arch == "GatedPixelCnn" else PixelCnnBaseline(cfg)


PRESETS = {
    "S": dict(layers=8, hiddenChannels=32, kernelSize=3, outputHiddenChannels=128),
    "M": dict(layers=12, hiddenChannels=64, kernelSize=5, outputHiddenChannels=256),
}


def preset(name, **over):
    cfg = dict(channels=1, height=28, width=28, architecture="GatedPixelCnn", skipConnections=False, output="Softmax256",
               mixtureComponents=5, conditioning="None", conditionSize=0, spatialConditionChannels=16, batchSize=32,
               learningRate=1e-3)
    cfg.update(PRESETS[name.upper()])
    cfg.update(over)
    return cfg


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return torch.frombuffer(bytearray(data[4 + 4 * nd:]), dtype=torch.uint8).reshape(dims)


# ---------------------------------------------------------------- commands
def cmd_crosscheck(a):
    with open(a.config) as f:
        cfg = json.load(f)
    cfg = cfg.get("config", cfg)
    model = build(cfg)
    sd = st_load(a.weights)
    missing, unexpected = model.load_state_dict(sd, strict=True)
    inputs = st_load(a.inputs)
    model.eval()
    dims = cfg["channels"] * cfg["height"] * cfg["width"]
    with torch.no_grad():
        if hasattr(model, "part_nats"):
            parts = model.part_nats(inputs["x"], inputs.get("h"))
            bpd = parts.double().sum(1) / (dims * math.log(2))
            st_save({"part_nats": parts, "bits_per_dim": bpd}, a.out)
            return
        out = model(inputs["x"], inputs.get("h"))
        nats = nll_nats(cfg, out, inputs["x"])
        bpd = nats.double().view(nats.shape[0], -1).sum(1) / (dims * math.log(2))
    st_save({"logits": out, "bits_per_dim": bpd}, a.out)


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def cmd_bench(a):
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    cfg = preset(a.preset)
    torch.manual_seed(0)
    model = build(cfg).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["learningRate"])
    x = torch.randint(0, 256, (a.batch, 1, 28, 28)).float().to(dev)
    res = {"implementation": "pytorch", "torch": torch.__version__, "preset": a.preset.upper(), "threads": torch.get_num_threads(),
           "device": str(dev), "batch": a.batch, "params": sum(p.numel() for p in model.parameters())}
    model.train()

    def train_step():
        opt.zero_grad()
        loss = nll_nats(cfg, model(x), x).mean()
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        train_step()
    sync(dev)
    t = time.perf_counter()
    for _ in range(a.train_steps):
        train_step()
    sync(dev)
    res["train_images_per_s"] = a.train_steps * a.batch / (time.perf_counter() - t)
    model.eval()
    xs = torch.randint(0, 256, (a.score_batch, 1, 28, 28)).float().to(dev)
    with torch.no_grad():
        nll_nats(cfg, model(xs), xs).sum().item()
        t = time.perf_counter()
        for _ in range(a.score_batches):
            nll_nats(cfg, model(xs), xs).sum().item()
        res["score_images_per_s"] = a.score_batches * a.score_batch / (time.perf_counter() - t)
    res["score_batch"] = a.score_batch
    res["peak_rss_mib"] = peak_rss_mib()
    if dev.type == "cuda":
        res["peak_device_mib"] = torch.cuda.max_memory_allocated(dev) / 1048576.0
    print(json.dumps(res))


def cmd_train_epoch(a):
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    cfg = preset(a.preset)
    torch.manual_seed(a.seed)
    model = build(cfg)
    if a.weights:
        model.load_state_dict(st_load(a.weights), strict=True)
    model.to(dev)
    d = a.data_dir
    xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))[:, None].float()
    xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))[:, None].float()
    if a.limit:
        xtr = xtr[:a.limit]
    if a.order:
        with open(a.order, "rb") as f:
            raw = f.read()
        order = torch.tensor(struct.unpack("<%di" % (len(raw) // 4), raw), dtype=torch.long)
    else:
        order = torch.randperm(len(xtr))
    opt = torch.optim.Adam(model.parameters(), lr=cfg["learningRate"])
    b = cfg["batchSize"]
    model.train()
    t = time.perf_counter()
    for s in range(0, len(order), b):
        xb = xtr[order[s:s + b]].to(dev)
        opt.zero_grad()
        loss = nll_nats(cfg, model(xb), xb).mean()
        loss.backward()
        opt.step()
    sync(dev)
    train_s = time.perf_counter() - t
    model.eval()
    total = 0.0
    with torch.no_grad():
        for s in range(0, len(xte), 500):
            xb = xte[s:s + 500].to(dev)
            total += nll_nats(cfg, model(xb), xb).double().sum().item()
    bpd = total / (len(xte) * 784 * math.log(2))
    print(json.dumps({"implementation": "pytorch", "torch": torch.__version__, "preset": a.preset.upper(), "threads": torch.get_num_threads(),
                      "train_images": len(order), "train_seconds": train_s, "test_bits_per_dim": bpd,
                      "train_images_per_s": len(order) / train_s}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("crosscheck")
    for k in ("config", "weights", "inputs", "out"):
        c.add_argument("--" + k, required=True)
    b = sub.add_parser("bench")
    b.add_argument("--preset", default="S")
    b.add_argument("--device", default="cpu")
    b.add_argument("--threads", type=int, default=os.cpu_count())
    b.add_argument("--batch", type=int, default=32)
    b.add_argument("--warmup", type=int, default=3)
    b.add_argument("--train-steps", type=int, default=20)
    b.add_argument("--score-batch", type=int, default=256)
    b.add_argument("--score-batches", type=int, default=4)
    t = sub.add_parser("train-epoch")
    t.add_argument("--preset", default="S")
    t.add_argument("--device", default="cpu")
    t.add_argument("--threads", type=int, default=os.cpu_count())
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--weights")
    t.add_argument("--order")
    t.add_argument("--limit", type=int, default=0)
    t.add_argument("--data-dir", default=os.environ.get("PIXELCNN_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
    a = ap.parse_args()
    {"crosscheck": cmd_crosscheck, "bench": cmd_bench, "train-epoch": cmd_train_epoch}[a.cmd](a)


if __name__ == "__main__":
    main()
