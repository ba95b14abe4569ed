// One doubling of the pyramid: a small PixelCNN over a level given the level below, upsampled to
// this level's size. The lower level is read by an unmasked residual conv stack (computed once per
// image); the level's own sub-pixels are read by one masked (type A) convolution over the k/2 rows
// above (columns j − k/2 .. j + 1) and the k/2 pixels to the left, whose sum with the lower level's
// features goes through the 1x1 output head, plus a learned row of logits per value of the lower
// level at the same place (ConditionLogits). So sub-pixel (i, j, c) depends on the lower level and
// on the earlier sub-pixels of this level inside that window only; reaching one column to the
// right in the rows above, pixel (i, j) needs (i − 1, j + 1) and no pixel further right, so all
// pixels with the same 2i + j are independent given the ones before: the sampler fills such a
// wavefront per step, W + 2(H − 1) steps instead of H·W.
//
// Exact support: the lower level is the rounded mean of each 2x2 block, m = ⌊(s + 2) / 4⌋ with s the block's sum, so
// given m and the block's earlier sub-pixels (sum P, k of them still to come, raster order) a value v is possible only
// when max(0, 4m − 2 − P − 255k) ≤ v ≤ min(255, 4m + 1 − P): the block's last value has at most four. Logits outside
// that range get OutsideSupport, whose exp is exactly 0 in float32: p(x | lower) is zero where x could not have
// produced the lower level, and the mass goes where it could. The block's earlier sub-pixels are inside the window, so
// causality and the wavefront order are unchanged.
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class SuperResolutionPixelCnn : PixelCnnNetwork
{
    // Field names are the state-dict names.
    private readonly ImageConditionNet cond_net;
    private readonly MaskedConv2d local;
    private readonly OutputStack head;
    private readonly ConditionLogits cond_logits;

    public SuperResolutionPixelCnn(PixelCnnConfig config, Generator? generator = null) : base(nameof(SuperResolutionPixelCnn), config)
    {
        if (config.Conditioning != ConditioningKind.Image || config.ConditionPlanes != config.Channels)
            throw new ArgumentException($"a super-resolution level is conditioned on the level below as an image of {config.Channels} planes", nameof(config));
        int p = config.HiddenChannels, c = config.Channels, k = config.SuperResolutionKernelSize, r = k / 2;
        cond_net = new ImageConditionNet(c, config.Height, config.Width, p, config.SuperResolutionBlocks, p, generator);
        var mask = ColourMasks.Build(ColourMasks.Groups(p, c), ColourMasks.Groups(c, c), r + 1, r + 2, r, r, MaskType.A);
        local = new MaskedConv2d(c, p, r + 1, r + 2, mask, [r, 1, r, 0], generator);
        head = new OutputStack(config, p, Head.ParametersPerChannel, generator);
        cond_logits = new ConditionLogits(c, c, Head.ParametersPerChannel, config.Height, config.Width);
        RegisterComponents();
    }

    /// <summary>k/2: the rows above and the columns to the left a sub-pixel sees of its own level (to the right: one, in the rows above).</summary>
    public int Reach => Config.SuperResolutionKernelSize / 2;

    internal ImageConditionNet CondNet => cond_net;
    internal MaskedConv2d Local => local;
    internal OutputStack OutputLayers => head;
    internal ConditionLogits CondLogits => cond_logits;

    /// <summary>Added to the logits of values outside a sub-pixel's support (exp(−1e4) is 0 in float32; a finite value keeps
    /// an inconsistent input's log-softmax finite).</summary>
    internal const float OutsideSupport = -1e4f;

    /// <summary>
    /// The support bounds of sub-pixels with block mean <paramref name="mean"/>, sum of the block's earlier sub-pixels
    /// <paramref name="partial"/> and <paramref name="remaining"/> sub-pixels of the block after them (any matching shapes).
    /// </summary>
    internal static (Tensor Low, Tensor High) SupportBounds(Tensor mean, Tensor partial, Tensor remaining)
    {
        var low = (mean * 4 - 2 - partial - remaining * 255).clamp_min_(0);
        var high = (mean * 4 + 1 - partial).clamp_max_(255);
        return (low, high);
    }

    /// <summary>0 for values 0..255 inside [<paramref name="low"/>, <paramref name="high"/>], OutsideSupport outside, along a new
    /// dimension <paramref name="dim"/> of length 256.</summary>
    internal static Tensor SupportLogits(Tensor low, Tensor high, long dim)
    {
        using var outside = Outside(low, high, dim);
        return where(outside, OutsideSupport, 0f);
    }

    /// <summary>True for values 0..255 outside [<paramref name="low"/>, <paramref name="high"/>], along a new dimension
    /// <paramref name="dim"/> of length 256 (the sampler fills its logits there with <see cref="OutsideSupport"/>).</summary>
    internal static Tensor Outside(Tensor low, Tensor high, long dim)
    {
        using var scope = NewDisposeScope();
        var shape = Enumerable.Repeat(1L, (int)low.dim() + 1).ToArray();
        shape[dim] = 256;
        var values = arange(0, 256, dtype: ScalarType.Float32, device: low.device).view(shape);
        return values.lt(low.unsqueeze(dim)).logical_or_(values.gt(high.unsqueeze(dim))).MoveToOuterDisposeScope();
    }

    /// <summary>The support logits [N, C·256, H, W] of every sub-pixel of <paramref name="x"/> [N, C, H, W] given the upsampled
    /// lower level <paramref name="h"/> [N, C·H·W].</summary>
    internal static Tensor SupportLogits(Tensor x, Tensor h)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], height = x.shape[2], width = x.shape[3];
        var blocks = x.view(n, c, height / 2, 2, width / 2, 2);
        var a = blocks.select(5, 0).select(3, 0);
        var ab = a + blocks.select(5, 1).select(3, 0);
        var abc = ab + blocks.select(5, 0).select(3, 1);
        var partial = stack([stack([zeros_like(a), a], -1), stack([ab, abc], -1)], 3).view(n, c, height, width);
        var remaining = tensor(new float[] { 3, 2, 1, 0 }, device: x.device).view(2, 1, 2).repeat(height / 2, width / 2, 1).view(height, width);
        var (low, high) = SupportBounds(h.view(n, c, height, width), partial, remaining);
        return SupportLogits(low, high, 2).view(n, c * 256, height, width).MoveToOuterDisposeScope();
    }

    /// <param name="x">This level, [N, C, H, W] values 0..255.</param>
    /// <param name="h">The level below upsampled to H x W, [N, C·H·W] values 0..255.</param>
    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var features = local.forward(ScaleInput(x));
        using (var lower = cond_net.forward(h!)) features.add_(lower);
        var output = head.forward(features);
        using (var direct = cond_logits.forward(h!)) output.add_(direct);
        using (var support = SupportLogits(x, h!)) output.add_(support);
        return output.MoveToOuterDisposeScope();
    }
}
