"""PixelCNNs with auxiliary variables (Kolesnikov & Lampert 2017), independent of the C# code: the grayscale model
p(x̂) p(x | x̂) and the pyramid model p(x_K) prod_k p(x_k | x_{k+1}), written from docs/architecture.md with the
state-dict names of PixelCnn.ML (prior./conditional., base_level./levels.K.), for gated_pixelcnn.py's crosscheck."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from gated_pixelcnn import (ConditionLogits, GatedPixelCnn, ImageConditionNet, MaskedConv2d, OutputStack, build_mask, groups,
                            levels, nll_nats, params_per_channel, scale)


# ---------------------------------------------------------------- views (integer arithmetic)
def grayscale(x, bits):
    xi = x.long()
    g = xi if xi.shape[1] == 1 else (xi[:, 0:1] * 299 + xi[:, 1:2] * 587 + xi[:, 2:3] * 114 + 500) // 1000
    if bits < 8:
        g = g // (1 << (8 - bits))
    return g.float()


def downsample(x):
    n, c, h, w = x.shape
    s = x.long().view(n, c, h // 2, 2, w // 2, 2).sum(dim=(3, 5))
    return ((s + 2) // 4).float()


def upsample(x):
    return x.repeat_interleave(2, 2).repeat_interleave(2, 3)


# ---------------------------------------------------------------- grayscale
class GrayscalePixelCnn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.bits, self.cfg = cfg["auxiliaryBits"], cfg
        self.prior_cfg = dict(cfg, architecture="GatedPixelCnn", channels=1, levels=1 << self.bits)
        self.cond_cfg = dict(cfg, architecture="GatedPixelCnn", conditioning="Image", conditionSize=cfg["height"] * cfg["width"])
        self.prior = GatedPixelCnn(self.prior_cfg)
        self.conditional = GatedPixelCnn(self.cond_cfg)

    def part_nats(self, x, h=None):
        n = x.shape[0]
        v = grayscale(x, self.bits)
        a = nll_nats(self.prior_cfg, self.prior(v, h), v)
        cond = (v if self.bits == 8 else v * (255.0 / ((1 << self.bits) - 1))).reshape(n, -1)
        b = nll_nats(self.cond_cfg, self.conditional(x, cond), x)
        return torch.stack([a.reshape(n, -1).sum(1), b.reshape(n, -1).sum(1)], 1)


# ---------------------------------------------------------------- pyramid
class SuperResolutionPixelCnn(nn.Module):
    """A level given the level below (upsampled): conv stack over the lower level + one masked window over this level."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        p, c, k = cfg["hiddenChannels"], cfg["channels"], cfg["superResolutionKernelSize"]
        r = k // 2
        self.cond_net = ImageConditionNet(c, cfg["height"], cfg["width"], p, cfg["superResolutionBlocks"], p)
        self.local = MaskedConv2d(c, p, r + 1, r + 2, build_mask(groups(p, c), groups(c, c), r + 1, r + 2, r, r, True), (r, 1, r, 0))
        self.head = OutputStack(cfg, p)
        self.cond_logits = ConditionLogits(c, c, params_per_channel(cfg), cfg["height"], cfg["width"])

    def forward(self, x, h):
        out = self.head(self.local(scale(x, levels(self.cfg))) + self.cond_net(h)) + self.cond_logits(h)
        return out + support_logits(x, h)


OUTSIDE_SUPPORT = -1e4


def support_logits(x, h):
    """0 for the values a sub-pixel can take given its 2x2 block's rounded mean (the lower level, upsampled in h) and
    the block's earlier sub-pixels, OUTSIDE_SUPPORT elsewhere: [N, C*256, H, W]."""
    n, c, hh, ww = x.shape
    mean = h.reshape(n, c, hh, ww)
    partial = torch.zeros_like(x)
    remaining = torch.zeros(hh, ww, dtype=x.dtype, device=x.device)
    # raster order inside a block: (0,0), (0,1), (1,0), (1,1)
    a, b, cc = x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2], x[:, :, 1::2, 0::2]
    partial[:, :, 0::2, 1::2] = a
    partial[:, :, 1::2, 0::2] = a + b
    partial[:, :, 1::2, 1::2] = a + b + cc
    remaining[0::2, 0::2], remaining[0::2, 1::2], remaining[1::2, 0::2] = 3, 2, 1
    low = (4 * mean - 2 - partial - 255 * remaining).clamp(min=0)
    high = (4 * mean + 1 - partial).clamp(max=255)
    v = torch.arange(256, dtype=x.dtype, device=x.device).view(1, 1, 256, 1, 1)
    inside = (v >= low.unsqueeze(2)) & (v <= high.unsqueeze(2))
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    return torch.where(inside, zero, zero + OUTSIDE_SUPPORT).reshape(n, c * 256, hh, ww)


class BlockSuperResolutionPixelCnn(nn.Module):
    """A level given the level below in the Blocks order: sub-pixels by position q in the 2x2 block, then channel c
    (plane k = q*C + c), each plane from a conv stack over the lower level, one k x k convolution over the earlier planes
    (a channel mask, every tap), a 1x1 head of its own (grouped), its own row of direct logits and the block's support."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        p, c, k = cfg["hiddenChannels"], cfg["channels"], cfg["superResolutionKernelSize"]
        g, hh, ww, oh = 4 * c, cfg["height"] // 2, cfg["width"] // 2, cfg["outputHiddenChannels"]
        self.c, self.g, self.p = c, g, p
        mask = torch.zeros(g * p, g, k, k)
        for o in range(g * p):
            mask[o, : o // p] = 1  # output group o // p reads the planes before it
        self.cond_net = ImageConditionNet(c, hh, ww, p, cfg["superResolutionBlocks"], g * p)
        self.local = MaskedConv2d(g, g * p, k, k, mask, (k // 2,) * 4)
        self.hidden = nn.Conv2d(g * p, g * oh, 1, groups=g)
        self.out = nn.Conv2d(g * oh, g * 256, 1, groups=g)
        self.cond_logits = ConditionLogits(g, g, params_per_channel(cfg), hh, ww)

    def forward(self, x, h):
        n, c, g = x.shape[0], self.c, self.g
        positions = [(0, 0), (0, 1), (1, 0), (1, 1)]
        lower = h.reshape(n, c, x.shape[2], x.shape[3])[:, :, 0::2, 0::2]
        planes = torch.cat([x[:, ch : ch + 1, di::2, dj::2] for di, dj in positions for ch in range(c)], 1)
        f = F.relu(self.local(scale(planes)) + self.cond_net(lower))
        logits = self.out(F.relu(self.hidden(f))) + self.cond_logits(lower.repeat(1, 4, 1, 1))
        out = torch.empty(n, c * 256, x.shape[2], x.shape[3], dtype=x.dtype)
        for q, (di, dj) in enumerate(positions):
            for ch in range(c):
                k = q * c + ch
                partial = sum((planes[:, e * c + ch] for e in range(q)), torch.zeros_like(lower[:, ch]))
                low = (4 * lower[:, ch] - 2 - partial - 255 * (3 - q)).clamp(min=0)
                high = (4 * lower[:, ch] + 1 - partial).clamp(max=255)
                v = torch.arange(256, dtype=x.dtype).view(1, 256, 1, 1)
                inside = (v >= low.unsqueeze(1)) & (v <= high.unsqueeze(1))
                support = torch.where(inside, torch.zeros(()), torch.full((), OUTSIDE_SUPPORT))
                out[:, ch * 256 : (ch + 1) * 256, di::2, dj::2] = logits[:, k * 256 : (k + 1) * 256] + support
        return out


class PyramidPixelCnn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        K = self.depth = cfg["pyramidLevels"]
        base_layers = cfg.get("pyramidBaseLayers") or cfg["layers"]  # absent or null: the model's own layers
        self.base_cfg = dict(cfg, architecture="GatedPixelCnn", height=cfg["height"] >> K, width=cfg["width"] >> K, layers=base_layers)
        self.level_cfgs = []
        for k in range(K):
            shift = K - 1 - k
            hh, ww = cfg["height"] >> shift, cfg["width"] >> shift
            self.level_cfgs.append(dict(cfg, height=hh, width=ww, conditioning="Image", conditionSize=cfg["channels"] * hh * ww))
        self.base_level = GatedPixelCnn(self.base_cfg)
        blocks = cfg.get("superResolutionOrder", "Raster") == "Blocks"
        self.levels = nn.ModuleList([(BlockSuperResolutionPixelCnn if blocks else SuperResolutionPixelCnn)(c) for c in self.level_cfgs])

    def part_nats(self, x, h=None):
        n, K = x.shape[0], self.depth
        views = [x]
        for _ in range(K):
            views.append(downsample(views[-1]))
        parts = [nll_nats(self.base_cfg, self.base_level(views[K], h), views[K])]
        for k in range(K):
            fine, lower = views[K - 1 - k], views[K - k]
            parts.append(nll_nats(self.level_cfgs[k], self.levels[k](fine, upsample(lower).reshape(n, -1)), fine))
        return torch.stack([q.reshape(n, -1).sum(1) for q in parts], 1)


def build_auxiliary(cfg):
    return GrayscalePixelCnn(cfg) if cfg["architecture"] == "Grayscale" else PyramidPixelCnn(cfg)
