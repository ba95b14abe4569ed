// Gated PixelCNN (van den Oord et al., 2016): a vertical stack that sees the rows above and a
// horizontal stack that sees the current row to the left, so the receptive field has no blind spot.
//
// Per block, with p feature maps:
//   v_pre = v_conv(v)                      (k/2+1) x k conv over rows <= i
//   h_pre = h_conv(h) + v_to_h(down(v_pre)) 1 x (k/2+1) conv over columns <= j, centre masked by colour;
//                                          the link is taken before the gate, from v shifted down a row
//   (+ V h or V * s in both stacks when conditioned)
//   v' = tanh(v_pre[:p]) * σ(v_pre[p:]);   g = tanh(h_pre[:p]) * σ(h_pre[p:])
//   h' = h + h_res(g) (no residual in the first block);  skip += h_skip(g) when enabled
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class GatedBlock : nn.Module<Tensor, Tensor, Tensor?, (Tensor v, Tensor h, Tensor? skip)>
{
    private readonly int _p;
    private readonly MaskedConv2d v_conv, h_conv, v_to_h;
    private readonly MaskedConv2d? h_res, h_skip;
    private readonly LayerCondition? cond_v, cond_h;

    public GatedBlock(PixelCnnConfig c, bool first, Generator? g = null) : base(nameof(GatedBlock))
    {
        int p = _p = c.HiddenChannels;
        int inCh = first ? c.Channels : p;
        int k = c.KernelSize, half = k / 2;
        var inGroups = first ? ColourMasks.Groups(c.Channels, c.Channels) : ColourMasks.Groups(p, c.Channels);
        var gatedGroups = ColourMasks.GatedGroups(p, c.Channels);
        var pGroups = ColourMasks.Groups(p, c.Channels);

        // Vertical: rows i-k/2..i, all columns j-k/2..j+k/2; it only reaches h shifted down, so no mask.
        v_conv = new MaskedConv2d(inCh, 2 * p, half + 1, k, null, [half, half, half, 0], g);
        // Horizontal: columns j-k/2..j of row i; the centre tap (last column) follows the colour rule.
        var hMask = ColourMasks.Build(gatedGroups, inGroups, 1, half + 1, 0, half, first ? MaskType.A : MaskType.B);
        h_conv = new MaskedConv2d(inCh, 2 * p, 1, half + 1, hMask, [half, 0, 0, 0], g);
        v_to_h = new MaskedConv2d(2 * p, 2 * p, 1, 1, null, [0, 0, 0, 0], g);
        if (!first) h_res = MaskedConv2d.Pointwise(pGroups, pGroups, MaskType.B, g);
        if (c.SkipConnections) h_skip = MaskedConv2d.Pointwise(pGroups, pGroups, MaskType.B, g);
        if (c.Conditioning != ConditioningKind.None)
        {
            cond_v = new LayerCondition(c, 2 * p, g);
            cond_h = new LayerCondition(c, 2 * p, g);
        }
        RegisterComponents(); // in field order: v_conv, h_conv, v_to_h, h_res, h_skip, cond_v, cond_h
    }

    // The parts, for the cached sampler (Sampling/CachedGatedStepper.cs), which evaluates this same
    // math one row (vertical stack) or one pixel (horizontal stack) at a time.
    internal int HiddenChannels => _p;
    internal MaskedConv2d VConv => v_conv;
    internal MaskedConv2d HConv => h_conv;
    internal MaskedConv2d VToH => v_to_h;
    internal MaskedConv2d? HRes => h_res;
    internal MaskedConv2d? HSkip => h_skip;
    internal LayerCondition? CondV => cond_v;
    internal LayerCondition? CondH => cond_h;

    /// <summary>One block. <paramref name="condition"/> is h (global) or s = m(h) (spatial).</summary>
    public override (Tensor v, Tensor h, Tensor? skip) forward(Tensor v, Tensor h, Tensor? condition)
    {
        // Sums go in place into fresh convolution outputs (no backward needs those values), and
        // the shifted copy is released as soon as the link has used it: both lower peak memory.
        using var scope = NewDisposeScope();
        var vPre = v_conv.forward(v);
        var hPre = h_conv.forward(h);
        using (var padded = nn.functional.pad(vPre, [0, 0, 1, 0]))
        using (var down = padded.narrow(2, 0, vPre.shape[2]))
        using (var link = v_to_h.forward(down))
            hPre.add_(link);
        if (condition is not null)
        {
            using (var b = cond_v!.forward(condition)) vPre.add_(b);
            using (var b = cond_h!.forward(condition)) hPre.add_(b);
        }
        var vOut = Gate(vPre, _p);
        var gated = Gate(hPre, _p);
        var hOut = h_res is null ? gated : h_res.forward(gated).add_(h);
        var skip = h_skip?.forward(gated);
        skip?.MoveToOuterDisposeScope();
        return (vOut.MoveToOuterDisposeScope(), hOut.MoveToOuterDisposeScope(), skip);
    }

    /// <summary>The gated activation tanh(pre[:p]) ⊙ σ(pre[p:]) over dim 1, the one definition used by the network and the cached sampler.</summary>
    internal static Tensor Gate(Tensor pre, long p) => pre.narrow(1, 0, p).tanh() * pre.narrow(1, p, p).sigmoid();

    /// <summary>
    /// <see cref="Gate"/> computed in place for preallocated halves <paramref name="a"/> = pre[:p] and
    /// <paramref name="b"/> = pre[p:], leaving the result in <paramref name="a"/> (the cached sampler's step).
    /// </summary>
    internal static void GateInPlace(Tensor a, Tensor b)
    {
        a.tanh_();
        b.sigmoid_();
        a.mul_(b);
    }
}

public sealed class GatedPixelCnn : PixelCnnNetwork
{
    private readonly nn.Module<Tensor, Tensor>? cond_net;
    private readonly ModuleList<GatedBlock> blocks;
    private readonly OutputStack head;
    private readonly ConditionLogits? cond_logits;

    public GatedPixelCnn(PixelCnnConfig config, Generator? generator = null) : base(nameof(GatedPixelCnn), config)
    {
        if (config.Conditioning == ConditioningKind.Spatial)
            cond_net = new SpatialConditionNet(config.ConditionSize, config.SpatialConditionChannels, config.Height, config.Width, generator);
        else if (config.Conditioning == ConditioningKind.Image)
            cond_net = new ImageConditionNet(config.ConditionPlanes, config.Height, config.Width, config.HiddenChannels, 1,
                                             config.SpatialConditionChannels, generator);
        blocks = nn.ModuleList<GatedBlock>();
        for (int l = 0; l < config.Layers; l++) blocks.Add(new GatedBlock(config, l == 0, generator));
        head = new OutputStack(config, config.HiddenChannels, Head.ParametersPerChannel, generator);
        if (config.Conditioning == ConditioningKind.Image && ConditionLogits.Fits(config.Channels, config.ConditionPlanes))
            cond_logits = new ConditionLogits(config.Channels, config.ConditionPlanes, Head.ParametersPerChannel, config.Height, config.Width);
        RegisterComponents();
    }

    internal IList<GatedBlock> Blocks => blocks;
    internal ConditionLogits? CondLogits => cond_logits;
    internal nn.Module<Tensor, Tensor>? CondNet => cond_net;
    internal OutputStack OutputLayers => head;

    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var condition = cond_net is null ? h : cond_net.forward(h!);
        var v = ScaleInput(x);
        var hs = v;
        Tensor? skip = null;
        foreach (var block in blocks)
        {
            var (nv, nh, s) = block.forward(v, hs, condition);
            // Drop this scope's handles on the previous stacks now (autograd keeps what backward needs), so
            // memory does not grow with depth: without this, scoring preset M held every block's outputs.
            v.Dispose();
            hs.Dispose();
            (v, hs) = (nv, nh);
            skip = AddSkip(skip, s);
        }
        var output = head.forward(skip ?? hs);
        if (cond_logits is not null) output.add_(cond_logits.forward(h!));
        return output.MoveToOuterDisposeScope();
    }
}
