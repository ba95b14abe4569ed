// Conditioning on a vector h (a one-hot class label or any embedding), both forms of the Gated
// PixelCNN paper: a per-layer global bias V^T h, or a location-dependent bias V * s through an
// unmasked 1x1 conv of s = m(h), where m is a small deconvolution network computed once per batch.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

/// <summary>m(h): Linear to a coarse map, then two stride-2 transposed convolutions up to H x W.</summary>
public sealed class SpatialConditionNet : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc;
    private readonly ConvTranspose2d up1, up2;
    private readonly int _c0, _h0, _w0, _height, _width;

    public SpatialConditionNet(int conditionSize, int outChannels, int height, int width, Generator? g = null)
        : base(nameof(SpatialConditionNet))
    {
        (_height, _width) = (height, width);
        _h0 = (height + 3) / 4;
        _w0 = (width + 3) / 4;
        _c0 = Math.Max(outChannels, 16);
        fc = Layers.Linear(conditionSize, (long)_c0 * _h0 * _w0, g);
        up1 = Layers.ConvTranspose2d(_c0, _c0, 4, stride: 2, padding: 1, g);
        up2 = Layers.ConvTranspose2d(_c0, outChannels, 4, stride: 2, padding: 1, g);
        RegisterComponents();
    }

    /// <summary>[N, conditionSize] → [N, outChannels, H, W].</summary>
    public override Tensor forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        var s = nn.functional.elu(fc.forward(h), 1.0).view(-1, _c0, _h0, _w0);
        s = nn.functional.elu(up1.forward(s), 1.0);
        s = up2.forward(s); // [N, C, 4*h0, 4*w0]
        if (4 * _h0 != _height) s = s.narrow(2, 0, _height);
        if (4 * _w0 != _width) s = s.narrow(3, 0, _width);
        return s.contiguous().MoveToOuterDisposeScope();
    }
}

/// <summary>One layer's conditioning bias: Linear(h) as [N, C, 1, 1], or a 1x1 conv of the map s.</summary>
public sealed class LayerCondition : nn.Module<Tensor, Tensor>
{
    private readonly Linear? linear;
    private readonly Conv2d? conv;

    public LayerCondition(PixelCnnConfig config, int outChannels, Generator? g = null) : base(nameof(LayerCondition))
    {
        if (config.Conditioning == ConditioningKind.Global)
            linear = Layers.Linear(config.ConditionSize, outChannels, g);
        else if (config.Conditioning == ConditioningKind.Spatial)
            conv = Layers.Conv2d(config.SpatialConditionChannels, outChannels, 1, stride: 1, padding: 0, g);
        else
            throw new ArgumentException("LayerCondition needs a conditioned configuration");
        RegisterComponents();
    }

    /// <param name="condition">h [N, D] for global conditioning, s [N, Cs, H, W] for spatial.</param>
    public override Tensor forward(Tensor condition)
    {
        if (linear is not null)
        {
            using var b = linear.forward(condition);
            return b.unsqueeze(-1).unsqueeze(-1);
        }
        return conv!.forward(condition);
    }
}
