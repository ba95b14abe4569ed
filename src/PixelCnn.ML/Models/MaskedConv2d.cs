// A convolution with an optional autoregressive mask and asymmetric zero padding: the building
// block of every causal layer here. The mask multiplies the weight on each forward, so masked
// taps get exactly zero gradient and never learn.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class MaskedConv2d : nn.Module<Tensor, Tensor>
{
    // Field names equal the registered names: Module.to(device) swaps the tensors in by name.
    public Parameter weight;
    public Parameter bias;
    // The mask is derived from the configuration, so it is no part of the state dict. It follows the
    // weight to whatever device the module is moved to, and is released with the module. It sits in
    // a holder rather than a Tensor field, since RegisterComponents would make a field a buffer.
    private readonly long[]? _maskShape;
    private readonly float[]? _maskValues;
    private readonly MaskHolder _held = new();

    private sealed class MaskHolder
    {
        public Tensor? Mask;
    }
    private readonly long[] _pad; // left, right, top, bottom

    /// <param name="mask">[out, in, kh, kw] 0/1 values, or null for no mask (all taps on).</param>
    /// <param name="pad">Zero padding (left, right, top, bottom).</param>
    internal MaskedConv2d(int inChannels, int outChannels, int kh, int kw, float[]? mask, long[] pad, Generator? generator = null)
        : base(nameof(MaskedConv2d))
    {
        long fanIn = (long)inChannels * kh * kw;
        weight = new Parameter(Layers.DefaultUniform(empty(outChannels, inChannels, kh, kw), fanIn, generator));
        bias = new Parameter(Layers.DefaultUniform(empty(outChannels), fanIn, generator));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
        if (mask != null && mask.Any(v => v == 0f))
        {
            _maskValues = mask;
            _maskShape = [outChannels, inChannels, kh, kw];
            _held.Mask = tensor(mask, _maskShape).DetachFromDisposeScope();
        }
        _pad = pad;
    }

    /// <summary>A 1x1 convolution respecting colour groups (mask B at its only tap), or unmasked for one colour.</summary>
    internal static MaskedConv2d Pointwise(int[] inGroups, int[] outGroups, MaskType type = MaskType.B, Generator? g = null) =>
        new(inGroups.Length, outGroups.Length, 1, 1, ColourMasks.Build(outGroups, inGroups, 1, 1, 0, 0, type), [0, 0, 0, 0], g);

    /// <summary>The 0/1 mask on the weight's device, or null when every tap is on.</summary>
    private Tensor? Mask
    {
        get
        {
            if (_maskValues is null) return null;
            var mask = _held.Mask;
            if (mask is null || mask.device.type != weight.device.type || mask.device.index != weight.device.index)
            {
                mask?.Dispose();
                _held.Mask = mask = tensor(_maskValues, _maskShape!, device: weight.device).DetachFromDisposeScope();
            }
            return mask;
        }
    }

    /// <summary>The effective (masked) weight.</summary>
    public Tensor EffectiveWeight() => Mask is { } m ? weight * m : weight.alias();

    public bool IsMasked => _maskValues is not null;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _held.Mask?.Dispose();
            _held.Mask = null;
        }
        base.Dispose(disposing);
    }

    public override Tensor forward(Tensor x)
    {
        var mask = Mask;
        using var w = mask is null ? null : weight * mask;
        bool symmetric = _pad[0] == _pad[1] && _pad[2] == _pad[3];
        if (symmetric)
            return nn.functional.conv2d(x, w ?? weight, bias, padding: [_pad[2], _pad[0]]);
        using var padded = nn.functional.pad(x, _pad);
        return nn.functional.conv2d(padded, w ?? weight, bias);
    }
}
