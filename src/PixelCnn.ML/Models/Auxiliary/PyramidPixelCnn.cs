// Pyramid PixelCNN (Kolesnikov & Lampert 2017; the multi-scale model of the PixelRNN paper): the
// image x₀ and its downsampled views x₁ … x_K (2x2 means, AuxiliaryViews.Downsample). A Gated
// PixelCNN models the smallest, x_K; for each doubling a super-resolution network models x_k given
// x_{k+1} (SuperResolutionPixelCnn in raster order, BlockSuperResolutionPixelCnn in the Blocks order). −ln p(x) = −ln p(x_K) − Σ ln p(x_k | x_{k+1}) exactly, the views being functions of x.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PixelCnn.ML.Models;

public sealed class PyramidPixelCnn : AuxiliaryPixelCnn
{
    // Field names are the state-dict prefixes ("base_level.", "levels.0.", ...).
    private readonly GatedPixelCnn base_level;
    private readonly ModuleList<PixelCnnNetwork> levels;

    public PyramidPixelCnn(PixelCnnConfig config, Generator? generator = null) : base(nameof(PyramidPixelCnn), config)
    {
        base_level = new GatedPixelCnn(BaseConfig(config), generator);
        levels = nn.ModuleList<PixelCnnNetwork>();
        for (int k = 0; k < config.PyramidLevels; k++) levels.Add(CreateDecoder(LevelConfig(config, k), generator));
        RegisterComponents();
    }

    /// <summary>
    /// The Gated PixelCNN of the smallest level (H / 2^K x W / 2^K, <see cref="PixelCnnConfig.PyramidBaseLayers"/> blocks),
    /// conditioned as the whole model is.
    /// </summary>
    public static PixelCnnConfig BaseConfig(PixelCnnConfig c) => c with
    {
        Architecture = PixelCnnArchitecture.GatedPixelCnn, Height = c.Height >> c.PyramidLevels, Width = c.Width >> c.PyramidLevels,
        Layers = c.PyramidBaseLayers ?? c.Layers, PyramidBaseLayers = null,
    };

    /// <summary>The super-resolution network of doubling <paramref name="k"/> (0: from the smallest level up), given the level below.</summary>
    public static PixelCnnConfig LevelConfig(PixelCnnConfig c, int k)
    {
        int shift = c.PyramidLevels - 1 - k, h = c.Height >> shift, w = c.Width >> shift;
        return c with
        {
            Architecture = PixelCnnArchitecture.Pyramid, PyramidLevels = 1, PyramidBaseLayers = null, Height = h, Width = w,
            Conditioning = ConditioningKind.Image, ConditionSize = c.Channels * h * w,
        };
    }

    public GatedPixelCnn BaseLevel => base_level;
    /// <summary>The super-resolution networks (<see cref="SuperResolutionPixelCnn"/> or <see cref="BlockSuperResolutionPixelCnn"/>, by
    /// <see cref="PixelCnnConfig.SuperResolutionOrder"/>), from the smallest doubling up.</summary>
    public IReadOnlyList<PixelCnnNetwork> Levels => [.. levels];

    public override IReadOnlyList<string> PartNames =>
    [
        $"{Config.Height >> Config.PyramidLevels}x{Config.Width >> Config.PyramidLevels}",
        .. Enumerable.Range(0, Config.PyramidLevels).Select(k => $"{levels[k].Config.Height}x{levels[k].Config.Width} | {levels[k].Config.Height / 2}x{levels[k].Config.Width / 2}"),
    ];

    public override IReadOnlyList<PixelCnnNetwork> Parts => [base_level, .. levels];

    /// <summary>The condition [N, C·H·W] a level of size H x W reads: the level below, upsampled.</summary>
    public static Tensor ConditionOf(Tensor lower)
    {
        using var up = AuxiliaryViews.Upsample(lower);
        return up.reshape(lower.shape[0], -1);
    }

    protected override IReadOnlyList<Tensor> PartMaps(Tensor x, Tensor? h)
    {
        int depth = Config.PyramidLevels;
        var views = AuxiliaryViews.Pyramid(x, depth);
        var maps = new List<Tensor> { base_level.NllNats(views[depth], h) };
        for (int k = 0; k < depth; k++)
            maps.Add(levels[k].NllNats(views[depth - 1 - k], ConditionOf(views[depth - k])));
        return maps;
    }

    public override Tensor NllNats(Tensor x, Tensor? h = null)
    {
        CheckInputs(x, h);
        using var scope = NewDisposeScope();
        var maps = PartMaps(x, h);
        var total = maps[0];
        for (int k = 1; k < maps.Count; k++) total = maps[k] + AuxiliaryViews.Upsample(total) / 4.0;
        return total.MoveToOuterDisposeScope();
    }
}
