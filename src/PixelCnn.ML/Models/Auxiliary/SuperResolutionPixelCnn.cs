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
        return output.MoveToOuterDisposeScope();
    }
}
