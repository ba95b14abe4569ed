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
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Torch.torch;

namespace PixelCnn.ML.Models;

public sealed class GatedBlock : nn.Module
{
    private readonly int _p;
    private readonly MaskedConv2d v_conv, h_conv, v_to_h;
    private readonly MaskedConv2d? h_res, h_skip;
    private readonly LayerCondition? cond_v, cond_h;

    public GatedBlock(PixelCnnConfig c, bool first, Generator? g = null)
    {
        int p = _p = c.HiddenChannels;
        int inCh = first ? c.Channels : p;
        int k = c.KernelSize, half = k / 2;
        var inGroups = first ? ColourMasks.Groups(c.Channels, c.Channels) : ColourMasks.Groups(p, c.Channels);
        var gatedGroups = ColourMasks.GatedGroups(p, c.Channels);
        var pGroups = ColourMasks.Groups(p, c.Channels);

        // Vertical: rows i-k/2..i, all columns j-k/2..j+k/2; it only reaches h shifted down, so no mask.
        v_conv = register_module("v_conv", new MaskedConv2d(inCh, 2 * p, half + 1, k, null, [half, half, half, 0], g));
        // Horizontal: columns j-k/2..j of row i; the centre tap (last column) follows the colour rule.
        var hMask = ColourMasks.Build(gatedGroups, inGroups, 1, half + 1, 0, half, first ? MaskType.A : MaskType.B);
        h_conv = register_module("h_conv", new MaskedConv2d(inCh, 2 * p, 1, half + 1, hMask, [half, 0, 0, 0], g));
        v_to_h = register_module("v_to_h", new MaskedConv2d(2 * p, 2 * p, 1, 1, null, [0, 0, 0, 0], g));
        if (!first) h_res = register_module("h_res", MaskedConv2d.Pointwise(pGroups, pGroups, MaskType.B, g));
        if (c.SkipConnections) h_skip = register_module("h_skip", MaskedConv2d.Pointwise(pGroups, pGroups, MaskType.B, g));
        if (c.Conditioning != ConditioningKind.None)
        {
            cond_v = register_module("cond_v", new LayerCondition(c, 2 * p, g));
            cond_h = register_module("cond_h", new LayerCondition(c, 2 * p, g));
        }
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
    public (Tensor v, Tensor h, Tensor? skip) forward(Tensor v, Tensor h, Tensor? condition)
    {
        using var scope = NewDisposeScope();
        var vPre = v_conv.forward(v);
        var height = vPre.shape[2];
        var down = nn.functional.pad(vPre, [0, 0, 1, 0]).narrow(2, 0, height);
        var hPre = h_conv.forward(h) + v_to_h.forward(down);
        if (condition is not null)
        {
            vPre = vPre + cond_v!.forward(condition);
            hPre = hPre + cond_h!.forward(condition);
        }
        var vOut = Gate(vPre);
        var gated = Gate(hPre);
        var hOut = h_res is null ? gated : h + h_res.forward(gated);
        var skip = h_skip?.forward(gated);
        skip?.MoveToOuterDisposeScope();
        return (vOut.MoveToOuterDisposeScope(), hOut.MoveToOuterDisposeScope(), skip);
    }

    private Tensor Gate(Tensor pre) => pre.narrow(1, 0, _p).tanh() * pre.narrow(1, _p, _p).sigmoid();
}

public sealed class GatedPixelCnn : PixelCnnNetwork
{
    private readonly nn.ModuleList<GatedBlock> blocks;
    private readonly SpatialConditionNet? cond_net;
    private readonly OutputStack head;

    public GatedPixelCnn(PixelCnnConfig config, Generator? generator = null) : base(config)
    {
        if (config.Conditioning == ConditioningKind.Spatial)
            cond_net = register_module("cond_net", new SpatialConditionNet(config.ConditionSize, config.SpatialConditionChannels, config.Height, config.Width, generator));
        blocks = register_module("blocks", new nn.ModuleList<GatedBlock>());
        for (int l = 0; l < config.Layers; l++) blocks.Add(new GatedBlock(config, l == 0, generator));
        head = register_module("head", new OutputStack(config, config.HiddenChannels, Head.ParametersPerChannel, generator));
    }

    internal IReadOnlyList<GatedBlock> Blocks => blocks;
    internal SpatialConditionNet? CondNet => cond_net;
    internal OutputStack OutputLayers => head;

    public override Tensor forward(Tensor x, Tensor? h = null)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var condition = cond_net is null ? h : cond_net.forward(h!);
        var v = Scale(x);
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
            if (s is not null)
            {
                var sum = skip is null ? s : skip + s;
                if (!ReferenceEquals(sum, s)) { skip!.Dispose(); s.Dispose(); }
                skip = sum;
            }
        }
        return head.forward(skip ?? hs).MoveToOuterDisposeScope();
    }
}
