// The size of the network a configuration builds, computed from the configuration alone, before any tensor
// exists. Model readers check it against PixelCnnModel.MaxParameterBytes, so a crafted config.json (hidden
// channels 4096, a huge condition size) is refused before it allocates anything. The count is exact, and a
// test compares it with the built network's for every architecture and conditioning; a new layer must be
// counted here too.
namespace PixelCnn.ML.Models;

internal static class ModelSize
{
    /// <summary>Trainable values of <see cref="PixelCnnNetwork.Create"/>(<paramref name="c"/>), without building it.</summary>
    public static long Parameters(PixelCnnConfig c) => c.IsAutoencoder
        ? Encoder(c) + Decoder(c with { EmbeddingSize = 0 })
        : Decoder(c);

    /// <summary>
    /// Bytes the network holds once built (float32 weights, plus the 0/1 masks that masked convolutions keep both
    /// as an array and as a tensor), a bound used before reading the weights.
    /// </summary>
    public static long ResidentBytes(PixelCnnConfig c) => 3 * 4 * Parameters(c);

    private static long Decoder(PixelCnnConfig c) => c.Architecture switch
    {
        PixelCnnArchitecture.GatedPixelCnn => Gated(c),
        PixelCnnArchitecture.PixelCnn => Baseline(c),
        PixelCnnArchitecture.RowLstm or PixelCnnArchitecture.DiagonalBiLstm => Recurrent(c),
        PixelCnnArchitecture.Grayscale => Gated(GrayscalePixelCnn.PriorConfig(c)) + Gated(GrayscalePixelCnn.ConditionalConfig(c)),
        PixelCnnArchitecture.Pyramid when c.Conditioning != ConditioningKind.Image =>
            Gated(PyramidPixelCnn.BaseConfig(c)) + Enumerable.Range(0, c.PyramidLevels).Sum(k => Decoder(PyramidPixelCnn.LevelConfig(c, k))),
        PixelCnnArchitecture.Pyramid when c.SuperResolutionOrder == SuperResolutionOrder.Blocks => BlockSuperResolution(c),
        PixelCnnArchitecture.Pyramid => SuperResolution(c),
        _ => throw new ArgumentOutOfRangeException(nameof(c), c.Architecture, "unknown architecture"),
    };

    // A convolution (or a linear layer: 1x1) with bias; grouped convolutions read inChannels / groups inputs.
    private static long Conv(long inChannels, long outChannels, long kh = 1, long kw = 1, long groups = 1) =>
        inChannels / groups * outChannels * kh * kw + outChannels;

    private static long PerChannel(PixelCnnConfig c) => OutputHead.For(c).ParametersPerChannel;

    private static long Head(PixelCnnConfig c, long inChannels) =>
        Conv(inChannels, c.OutputHiddenChannels) + Conv(c.OutputHiddenChannels, c.Channels * PerChannel(c));

    private static long LayerCondition(PixelCnnConfig c, long outChannels) => c.Conditioning switch
    {
        ConditioningKind.None => 0,
        ConditioningKind.Global => Conv(c.ConditionSize, outChannels),
        _ => Conv(c.SpatialConditionChannels, outChannels),
    };

    private static long SpatialNet(PixelCnnConfig c)
    {
        long c0 = Math.Max(c.SpatialConditionChannels, 16), h0 = (c.Height + 3) / 4, w0 = (c.Width + 3) / 4;
        return Conv(c.ConditionSize, c0 * h0 * w0) + Conv(c0, c0, 4, 4) + Conv(c0, c.SpatialConditionChannels, 4, 4);
    }

    private static long ImageNet(long planes, long hidden, long blocks, long outChannels) =>
        Conv(planes, hidden, 3, 3) + 2 * blocks * Conv(hidden, hidden, 3, 3) + Conv(hidden, outChannels);

    private static long ConditionLogits(long channels, long levels) => channels * 256 * levels;

    private static long Gated(PixelCnnConfig c)
    {
        long p = c.HiddenChannels, k = c.KernelSize, half = k / 2, total = 0;
        if (c.Conditioning == ConditioningKind.Spatial) total += SpatialNet(c);
        else if (c.Conditioning == ConditioningKind.Image) total += ImageNet(c.ConditionPlanes, p, 1, c.SpatialConditionChannels);
        for (int l = 0; l < c.Layers; l++)
        {
            long inChannels = l == 0 ? c.Channels : p;
            total += Conv(inChannels, 2 * p, half + 1, k) + Conv(inChannels, 2 * p, 1, half + 1) + Conv(2 * p, 2 * p);
            if (l > 0) total += Conv(p, p);
            if (c.SkipConnections) total += Conv(p, p);
            total += 2 * LayerCondition(c, 2 * p);
        }
        total += Head(c, p);
        if (c.Conditioning == ConditioningKind.Image && Models.ConditionLogits.Fits(c.Channels, c.ConditionPlanes))
            total += ConditionLogits(c.Channels, PerChannel(c));
        return total;
    }

    private static long Baseline(PixelCnnConfig c)
    {
        long p = c.HiddenChannels, ik = PixelCnnBaseline.InputKernelSize;
        long total = Conv(c.Channels, p, ik, ik) + c.Layers * Conv(p, p, c.KernelSize, c.KernelSize);
        if (c.Conditioning == ConditioningKind.Spatial) total += SpatialNet(c);
        total += (c.Layers + 1) * LayerCondition(c, p);
        return total + Head(c, p);
    }

    private static long Recurrent(PixelCnnConfig c)
    {
        long h = c.HiddenChannels, k = c.KernelSize, f = 2 * h, ik = PixelRnn.InputKernelSize;
        long total = Conv(c.Channels, f, ik, ik);
        if (c.Conditioning == ConditioningKind.Spatial) total += SpatialNet(c);
        for (int l = 0; l < c.Layers; l++)
        {
            total += Conv(h, f) + (c.SkipConnections ? Conv(h, f) : 0); // residual, skip
            if (c.Architecture == PixelCnnArchitecture.RowLstm)
                total += Conv(f, 4 * h, 1, k) + Conv(h, 4 * h, 1, k) + LayerCondition(c, 4 * h);
            else
                total += 2 * (Conv(f, 4 * h) + Conv(h, 4 * h, 2, 1) + LayerCondition(c, 4 * h)) + (l == 0 ? Conv(c.Channels, 4 * h) : 0);
        }
        return total + Head(c, f);
    }

    private static long SuperResolution(PixelCnnConfig c)
    {
        long p = c.HiddenChannels, ch = c.Channels, r = c.SuperResolutionKernelSize / 2;
        return ImageNet(ch, p, c.SuperResolutionBlocks, p) + Conv(ch, p, r + 1, r + 2) + Head(c, p) + ConditionLogits(ch, PerChannel(c));
    }

    private static long BlockSuperResolution(PixelCnnConfig c)
    {
        long p = c.HiddenChannels, g = 4L * c.Channels, k = c.SuperResolutionKernelSize, q = c.OutputHiddenChannels, levels = PerChannel(c);
        return ImageNet(c.Channels, p, c.SuperResolutionBlocks, g * p) + Conv(g, g * p, k, k)
               + Conv(g * p, g * q, groups: g) + Conv(g * q, g * levels, groups: g) + ConditionLogits(g, levels);
    }

    private static long Encoder(PixelCnnConfig c)
    {
        long e = c.EncoderChannels, h2 = ((c.Height - 1) / 2 + 1 - 1) / 2 + 1, w2 = ((c.Width - 1) / 2 + 1 - 1) / 2 + 1;
        return Conv(c.Channels, e, 3, 3) + Conv(e, 2 * e, 3, 3) + Conv(2 * e * h2 * w2, c.EmbeddingSize);
    }
}
