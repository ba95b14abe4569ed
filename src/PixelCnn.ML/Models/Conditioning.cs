// Conditioning on a vector h (a one-hot class label or any embedding), both forms of the Gated
// PixelCNN paper: a per-layer global bias V^T h, or a location-dependent bias V * s through an
// unmasked 1x1 conv of s = m(h), where m is a small deconvolution network computed once per batch.
// An image condition (an auxiliary view: the grey image, the upsampled lower level of a pyramid)
// takes the spatial route with m an unmasked convolution stack over the image.
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

/// <summary>
/// m(h) for an image condition: h [N, A·H·W] (CHW-flattened values 0..255) read as A planes, scaled to [-1, 1], then a 3x3
/// convolution to <c>hidden</c> channels, <c>blocks</c> residual blocks (ELU, 3x3, ELU, 3x3) and a 1x1 convolution to the
/// output channels. Nothing is masked: every output location may see the whole condition within its receptive field.
/// </summary>
public sealed class ImageConditionNet : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d input, output;
    private readonly ModuleList<Conv2d> convs;
    private readonly int _planes, _height, _width;

    public ImageConditionNet(int planes, int height, int width, int hidden, int blocks, int outChannels, Generator? g = null)
        : base(nameof(ImageConditionNet))
    {
        (_planes, _height, _width) = (planes, height, width);
        input = Layers.Conv2d(planes, hidden, 3, stride: 1, padding: 1, g);
        convs = nn.ModuleList<Conv2d>();
        for (int b = 0; b < 2 * blocks; b++) convs.Add(Layers.Conv2d(hidden, hidden, 3, stride: 1, padding: 1, g));
        output = Layers.Conv2d(hidden, outChannels, 1, stride: 1, padding: 0, g);
        RegisterComponents();
    }

    /// <summary>[N, A·H·W] (or [N, A, H, W]) values 0..255 → [N, outChannels, H, W].</summary>
    public override Tensor forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        var f = input.forward(PixelCnnNetwork.Scale(h.reshape(-1, _planes, _height, _width)));
        for (int b = 0; b < convs.Count; b += 2)
        {
            var r = convs[b + 1].forward(nn.functional.elu(convs[b].forward(nn.functional.elu(f, 1.0)), 1.0));
            f = f + r;
        }
        return output.forward(nn.functional.elu(f, 1.0)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The direct route from an image condition to the logits: for sub-pixel (i, j, c) the condition's value v at (i, j) in
/// the plane channel c reads (plane 0 for a one-plane condition, plane c when there is a plane per channel), rounded to
/// 0..255, selects a learned row of L logits that is added to the head's output. Zero at initialisation. An auxiliary
/// view fixes most of a sub-pixel's value (a 4-bit grey view its top bits, a 2x2 mean its neighbourhood); through the
/// convolution stack alone, a 256-way softmax learns to put its mass there slowly, while this table learns it from
/// every sub-pixel it sees. It depends on the condition only, so causality is untouched.
/// </summary>
public sealed class ConditionLogits : nn.Module<Tensor, Tensor>
{
    private readonly Parameter table;
    private readonly int _channels, _planes, _levels, _height, _width;

    public ConditionLogits(int channels, int planes, int levels, int height, int width) : base(nameof(ConditionLogits))
    {
        if (planes != 1 && planes != channels)
            throw new ArgumentException($"a condition of {planes} planes has no plane per channel of {channels}", nameof(planes));
        (_channels, _planes, _levels, _height, _width) = (channels, planes, levels, height, width);
        table = new Parameter(zeros(channels, 256, levels));
        register_parameter("table", table);
    }

    /// <summary>True when a condition of <paramref name="planes"/> planes can feed <paramref name="channels"/> channels this way.</summary>
    public static bool Fits(int channels, int planes) => planes == 1 || planes == channels;

    /// <summary>[N, C, H, W] long: the condition value each sub-pixel reads, from h [N, planes·H·W].</summary>
    public Tensor Values(Tensor h)
    {
        using var scope = NewDisposeScope();
        var v = h.reshape(-1, _planes, _height, _width).round().clamp(0, 255).to(ScalarType.Int64);
        return (_planes == _channels ? v : v.expand(-1, _channels, _height, _width)).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The rows of channel <paramref name="c"/> for condition values <paramref name="values"/> (any shape): [..., L].</summary>
    public Tensor Rows(int c, Tensor values)
    {
        using var flat = values.flatten();
        using var channel = table.select(0, c);
        using var rows = channel.index_select(0, flat);
        return rows.view([.. values.shape, _levels]);
    }

    /// <summary>Logits [N, C·L, H, W] to add to the head's output for h [N, planes·H·W].</summary>
    public override Tensor forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        var v = Values(h);
        var parts = Enumerable.Range(0, _channels).Select(c => Rows(c, v.select(1, c)).permute(0, 3, 1, 2)).ToArray();
        return cat(parts, 1).MoveToOuterDisposeScope();
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
        else if (config.Conditioning is ConditioningKind.Spatial or ConditioningKind.Image)
            conv = Layers.Conv2d(config.SpatialConditionChannels, outChannels, 1, stride: 1, padding: 0, g);
        else
            throw new ArgumentException("LayerCondition needs a conditioned configuration");
        RegisterComponents();
    }

    /// <param name="condition">h [N, D] for global conditioning, s [N, Cs, H, W] for spatial and image conditions.</param>
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
