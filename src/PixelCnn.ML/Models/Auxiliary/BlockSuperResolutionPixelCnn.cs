// One doubling of the pyramid in the Blocks order (SuperResolutionOrder.Blocks): the level's
// sub-pixels are drawn by their position q in the 2x2 block (top-left, top-right, bottom-left,
// bottom-right), then channel c, every block at once. The network works on the blocks' grid (the
// lower level's size h x w): the level is laid out as G = 4·C planes k = q·C + c (space to depth),
// and plane k is predicted from
//   - an unmasked residual conv stack over the lower level itself (G·p features, p per plane),
//   - one k x k convolution over the planes before k (a channel mask: output group k reads planes
//     0..k−1 at every tap, so 2k x 2k pixels around the block, on all sides),
//   - a 1x1 head of its own (grouped convolutions: plane k's hidden units read plane k's features
//     only), the direct logits of the lower level's value (ConditionLogits, one table per plane) and
//     the exact support of the block's mean given its earlier sub-pixels (as SuperResolutionPixelCnn).
// So sub-pixel (q, c) of a block depends on the lower level and on the sub-pixels of the earlier
// planes only, and all of a plane's sub-pixels are independent given the earlier planes: the
// sampler fills one plane per step, 4·C steps per level instead of the raster order's
// W + 2(H − 1) wavefronts. The order within a block is raster, so the support bounds are the
// raster ones. Reed et al. (2017) use this order on every doubling of their parallel multiscale
// PixelCNN; here it serves one doubling of the pyramid.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class BlockSuperResolutionPixelCnn : PixelCnnNetwork
{
    // Field names are the state-dict names.
    private readonly ImageConditionNet cond_net;
    private readonly MaskedConv2d local;
    private readonly Conv2d hidden, @out;
    private readonly ConditionLogits cond_logits;
    private readonly int _planes, _features;

    public BlockSuperResolutionPixelCnn(PixelCnnConfig config, Generator? generator = null) : base(nameof(BlockSuperResolutionPixelCnn), config)
    {
        if (config.Conditioning != ConditioningKind.Image || config.ConditionPlanes != config.Channels)
            throw new ArgumentException($"a super-resolution level is conditioned on the level below as an image of {config.Channels} planes", nameof(config));
        if (config.Height % 2 != 0 || config.Width % 2 != 0)
            throw new ArgumentException($"the Blocks order needs an even height and width, got {config.Height}x{config.Width}", nameof(config));
        int c = config.Channels, p = config.HiddenChannels, k = config.SuperResolutionKernelSize, g = 4 * c, levels = Head.ParametersPerChannel;
        int h = config.Height / 2, w = config.Width / 2;
        (_planes, _features) = (g, p);
        cond_net = new ImageConditionNet(c, h, w, p, config.SuperResolutionBlocks, g * p, generator);
        local = new MaskedConv2d(g, g * p, k, k, EarlierPlanesMask(g, p, k), [k / 2, k / 2, k / 2, k / 2], generator);
        hidden = Layers.Conv2d(g * p, g * config.OutputHiddenChannels, 1, stride: 1, padding: 0, generator, groups: g);
        @out = Layers.Conv2d(g * config.OutputHiddenChannels, g * levels, 1, stride: 1, padding: 0, generator, groups: g);
        cond_logits = new ConditionLogits(g, g, levels, h, w);
        RegisterComponents();
    }

    /// <summary>[G·p, G, k, k]: output group o (p channels each) reads planes 0..o−1 at every tap.</summary>
    private static float[] EarlierPlanesMask(int planes, int p, int k)
    {
        var mask = new float[planes * p * planes * k * k];
        for (int o = 0; o < planes * p; o++)
            for (int i = 0; i < o / p; i++)
                Array.Fill(mask, 1f, (o * planes + i) * k * k, k * k);
        return mask;
    }

    /// <summary>G = 4·C: the planes of the space-to-depth layout, drawn one per step.</summary>
    public int Planes => _planes;
    /// <summary>Features per plane (the hidden channels).</summary>
    internal int Features => _features;
    internal ImageConditionNet CondNet => cond_net;
    internal MaskedConv2d Local => local;
    internal Conv2d Hidden => hidden;
    internal Conv2d Output => @out;
    internal ConditionLogits CondLogits => cond_logits;

    /// <summary>[N, C, H, W] → [N, 4·C, H/2, W/2], plane k = q·C + c holding position q (raster in the 2x2 block) of channel c.</summary>
    public static Tensor SpaceToDepth(Tensor x)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2] / 2, w = x.shape[3] / 2;
        using var blocks = x.view(n, c, h, 2, w, 2).permute(0, 3, 5, 1, 2, 4);
        return blocks.reshape(n, 4 * c, h, w);
    }

    /// <summary>The inverse of <see cref="SpaceToDepth"/> for <paramref name="perPlane"/> values per plane: [N, 4·C·V, h, w] → [N, C·V, 2h, 2w].</summary>
    public static Tensor DepthToSpace(Tensor planes, int channels, int perPlane)
    {
        long n = planes.shape[0], h = planes.shape[2], w = planes.shape[3];
        using var blocks = planes.view(n, 2, 2, channels, perPlane, h, w).permute(0, 3, 4, 5, 1, 6, 2);
        return blocks.reshape(n, (long)channels * perPlane, 2 * h, 2 * w);
    }

    /// <summary>The lower level [N, C, H/2, W/2] from the condition, the level below upsampled to H x W ([N, C·H·W]).</summary>
    public Tensor LowerOf(Tensor h)
    {
        using var up = h.view(-1, Config.Channels, Config.Height / 2, 2, Config.Width / 2, 2);
        return up.select(5, 0).select(3, 0).contiguous();
    }

    /// <summary>The lower level as one plane per drawn plane (plane k = q·C + c reads channel c): [N, G·h·w].</summary>
    internal Tensor PlaneCondition(Tensor lower) => lower.repeat(1, 4, 1, 1).reshape(lower.shape[0], -1);

    /// <summary>
    /// The support logits [N, G·256, h, w] of the planes [N, G, h, w] given the lower level [N, C, h, w]: the raster bounds
    /// within each block, the earlier positions' sum as the partial sum.
    /// </summary>
    internal static Tensor SupportLogits(Tensor planes, Tensor lower)
    {
        using var scope = NewDisposeScope();
        long n = planes.shape[0], c = lower.shape[1], h = planes.shape[2], w = planes.shape[3];
        var byPosition = planes.view(n, 4, c, h, w);
        var partial = byPosition.cumsum(1) - byPosition;
        var remaining = tensor(new float[] { 3, 2, 1, 0 }, device: planes.device).view(1, 4, 1, 1, 1);
        var (low, high) = SuperResolutionPixelCnn.SupportBounds(lower.unsqueeze(1), partial, remaining);
        return SuperResolutionPixelCnn.SupportLogits(low, high, 3).view(n, 4 * c * 256, h, w).MoveToOuterDisposeScope();
    }

    /// <param name="x">This level, [N, C, H, W] values 0..255.</param>
    /// <param name="h">The level below upsampled to H x W, [N, C·H·W] values 0..255.</param>
    public override Tensor forward(Tensor x, Tensor? h)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var lower = LowerOf(h!);
        var planes = SpaceToDepth(x);
        var features = local.forward(ScaleInput(planes)).add_(cond_net.forward(lower));
        var logits = @out.forward(hidden.forward(features.relu_()).relu_());
        logits.add_(cond_logits.forward(PlaneCondition(lower)));
        logits.add_(SupportLogits(planes, lower));
        return DepthToSpace(logits, Config.Channels, Head.ParametersPerChannel).MoveToOuterDisposeScope();
    }
}
