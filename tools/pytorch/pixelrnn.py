"""Independent PyTorch implementation of PixelCnn.ML's PixelRNN architectures (Row LSTM, Diagonal BiLSTM).

Written from the PixelRNN paper and docs/architecture.md in the most literal form, not from the C# code:
the Diagonal BiLSTM skews the layer's *input* map row by row and runs each direction on its own (the
mirrored one on flipped maps), where the C# network computes the 1x1 input-to-state convolution before
skewing and runs both directions in one grouped scan. Parameter names match the C# state dicts.
Used by gated_pixelcnn.py's build() for architecture RowLstm / DiagonalBiLstm.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from gated_pixelcnn import MaskedConv2d, LayerCondition, SpatialConditionNet, OutputStack, groups, build_mask


def lstm_update(pre, cell, h):
    """pre: [N, 4h, L] (gates i, f, o, g); cell: [N, h, L]. Returns hidden, cell."""
    i, f, o, g = pre[:, :h], pre[:, h:2 * h], pre[:, 2 * h:3 * h], pre[:, 3 * h:]
    c = torch.sigmoid(i) * torch.tanh(g) + torch.sigmoid(f) * cell
    return torch.sigmoid(o) * torch.tanh(c), c


def skew(t):
    n, c, height, width = t.shape
    out = t.new_zeros(n, c, height, width + height - 1)
    for i in range(height):
        out[:, :, i, i:i + width] = t[:, :, i]
    return out


def unskew(t, width):
    return torch.stack([t[:, :, i, i:i + width] for i in range(t.shape[2])], 2)


def gate_groups(h, c):
    return groups(h, c) * 4


class RowLstmLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, c, k = cfg["hiddenChannels"], cfg["channels"], cfg["kernelSize"]
        self.h = h
        feat_g, hid_g = groups(2 * h, c), groups(h, c)
        self.input_to_state = MaskedConv2d(2 * h, 4 * h, 1, k, build_mask(gate_groups(h, c), feat_g, 1, k, 0, k // 2, False), (k // 2, k // 2, 0, 0))
        self.state_to_state = MaskedConv2d(h, 4 * h, 1, k, None, (k // 2, k // 2, 0, 0))
        self.residual = MaskedConv2d.pointwise(hid_g, feat_g)
        self.skip = MaskedConv2d.pointwise(hid_g, feat_g) if cfg["skipConnections"] else None
        if cfg["conditioning"] != "None":
            self.cond = LayerCondition(cfg, 4 * h)

    def hidden(self, f, cond, image):
        n, _, height, width = f.shape
        pre = self.input_to_state(f)
        if cond is not None:
            pre = pre + self.cond(cond)
        hid = f.new_zeros(n, self.h, width)
        cell = f.new_zeros(n, self.h, width)
        rows = []
        for i in range(height):
            p = pre[:, :, i] + self.state_to_state(hid[:, :, None, :])[:, :, 0]
            hid, cell = lstm_update(p, cell, self.h)
            rows.append(hid)
        return torch.stack(rows, 2)


class DiagonalBiLstmLayer(nn.Module):
    def __init__(self, cfg, first):
        super().__init__()
        h, c = cfg["hiddenChannels"], cfg["channels"]
        self.h = h
        feat_g, hid_g = groups(2 * h, c), groups(h, c)
        self.input_to_state = MaskedConv2d.pointwise(feat_g, gate_groups(h, c))
        self.state_to_state = MaskedConv2d(h, 4 * h, 2, 1, None, (0, 0, 1, 0))
        self.input_to_state_r = MaskedConv2d.pointwise(feat_g, gate_groups(h, c))
        self.state_to_state_r = MaskedConv2d(h, 4 * h, 2, 1, None, (0, 0, 1, 0))
        self.image_to_state_r = MaskedConv2d(c, 4 * h, 1, 1, None, (0, 0, 0, 0)) if first else None
        self.residual = MaskedConv2d.pointwise(hid_g, feat_g)
        self.skip = MaskedConv2d.pointwise(hid_g, feat_g) if cfg["skipConnections"] else None
        if cfg["conditioning"] != "None":
            self.cond, self.cond_r = LayerCondition(cfg, 4 * h), LayerCondition(cfg, 4 * h)
        self.spatial = cfg["conditioning"] == "Spatial"

    def direction(self, f, cond, image, input_to_state, state_to_state, layer_cond, image_to_state):
        n, _, height, width = f.shape
        pre = input_to_state(skew(f))  # the 1x1 convolution of the skewed input map
        if cond is not None:
            c = layer_cond(cond)
            pre = pre + (skew(c) if self.spatial else c)
        if image_to_state is not None:
            pre = pre + image_to_state(skew(image))
        hid = f.new_zeros(n, self.h, height)
        cell = f.new_zeros(n, self.h, height)
        rows = torch.arange(height)
        out = []
        for k in range(width + height - 1):
            # 2x1 over the previous column: rows i - 1 (zero above the top) and i.
            p = pre[:, :, :, k] + state_to_state(hid[:, :, :, None])[:, :, :, 0]
            hid, cell = lstm_update(p, cell, self.h)
            inside = ((k - rows >= 0) & (k - rows < width)).to(f.dtype)  # state is zero outside the image
            hid, cell = hid * inside, cell * inside
            out.append(hid)
        return unskew(torch.stack(out, 3), width)

    def hidden(self, f, cond, image):
        left = self.direction(f, cond, image, self.input_to_state, self.state_to_state, getattr(self, "cond", None), None)
        mirrored_cond = cond.flip(3) if cond is not None and self.spatial else cond
        right = self.direction(f.flip(3), mirrored_cond, image.flip(3), self.input_to_state_r, self.state_to_state_r,
                               getattr(self, "cond_r", None), self.image_to_state_r).flip(3)
        right = F.pad(right, (0, 0, 1, 0))[:, :, :f.shape[2]]  # one row down: row i sees the right direction of row i - 1
        return left + right


class PixelRnn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        c, h = cfg["channels"], cfg["hiddenChannels"]
        self.input_conv = MaskedConv2d(c, 2 * h, 7, 7, build_mask(groups(2 * h, c), groups(c, c), 7, 7, 3, 3, True), (3, 3, 3, 3))
        if cfg["conditioning"] == "Spatial":
            self.cond_net = SpatialConditionNet(cfg["conditionSize"], cfg["spatialConditionChannels"], cfg["height"], cfg["width"])
        row = cfg["architecture"] == "RowLstm"
        self.layers = nn.ModuleList([RowLstmLayer(cfg) if row else DiagonalBiLstmLayer(cfg, i == 0) for i in range(cfg["layers"])])
        self.head = OutputStack(cfg, 2 * h)

    def forward(self, x, h=None):
        cond = self.cond_net(h) if hasattr(self, "cond_net") else h
        image = x / 127.5 - 1.0
        f = self.input_conv(image)
        skip = None
        for layer in self.layers:
            hid = layer.hidden(f, cond, image)
            f = f + layer.residual(hid)
            if layer.skip is not None:
                s = layer.skip(hid)
                skip = s if skip is None else skip + s
        return self.head(skip if skip is not None else f)
