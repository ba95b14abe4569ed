// A convolution with an optional autoregressive mask and asymmetric zero padding: the building
// block of every causal layer here. The mask multiplies the weight on each forward, so masked
// taps get exactly zero gradient and never learn.
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch;

namespace PixelCnn.ML.Models;

public sealed class MaskedConv2d : nn.Module
{
    public readonly Tensor weight;
    public readonly Tensor bias;
    private readonly Tensor? _mask;
    private readonly long[] _pad; // left, right, top, bottom

    /// <param name="mask">[out, in, kh, kw] 0/1 values, or null for no mask (all taps on).</param>
    /// <param name="pad">Zero padding (left, right, top, bottom).</param>
    internal MaskedConv2d(int inChannels, int outChannels, int kh, int kw, float[]? mask, long[] pad, Generator? generator = null)
    {
        long fanIn = (long)inChannels * kh * kw;
        weight = register_parameter("weight", nn.init.default_uniform_(empty([outChannels, inChannels, kh, kw]), fanIn, generator));
        bias = register_parameter("bias", nn.init.default_uniform_(empty([outChannels]), fanIn, generator));
        if (mask != null && mask.Any(v => v == 0f))
            _mask = register_buffer("mask", tensor(mask, outChannels, inChannels, kh, kw), persistent: false);
        _pad = pad;
    }

    /// <summary>A 1x1 convolution respecting colour groups (mask B at its only tap), or unmasked for one colour.</summary>
    internal static MaskedConv2d Pointwise(int[] inGroups, int[] outGroups, MaskType type = MaskType.B, Generator? g = null) =>
        new(inGroups.Length, outGroups.Length, 1, 1, ColourMasks.Build(outGroups, inGroups, 1, 1, 0, 0, type), [0, 0, 0, 0], g);

    /// <summary>The effective (masked) weight.</summary>
    public Tensor EffectiveWeight() => _mask is null ? weight.alias() : weight * _mask;

    public bool IsMasked => _mask is not null;

    public Tensor forward(Tensor x)
    {
        using var w = _mask is null ? null : weight * _mask;
        bool symmetric = _pad[0] == _pad[1] && _pad[2] == _pad[3];
        if (symmetric)
            return nn.functional.conv2d(x, w ?? weight, bias, padding: [_pad[2], _pad[0]]);
        using var padded = nn.functional.pad(x, _pad);
        return nn.functional.conv2d(padded, w ?? weight, bias);
    }
}
