// Small models and inputs shared by the sampling tests: every architecture x conditioning x
// colours x output distribution, 6x6 images, a batch of 3.
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Tests.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Sampling;

internal static class SamplingModels
{
    public const int Batch = 3;

    public static IEnumerable<object[]> Variants() => CausalityTests.Variants();

    public static PixelCnnConfig Config(PixelCnnArchitecture arch, int colours, ConditioningKind cond, OutputDistribution output) =>
        CausalityTests.SmallConfig(arch, colours, cond, output);

    public static PixelCnnModel Model(PixelCnnConfig config, ulong seed = 7) => PixelCnnModel.Create(config, seed);

    /// <summary>[count, D] standard-normal conditions for a conditioned configuration, null otherwise.</summary>
    public static Tensor? Conditions(PixelCnnConfig config, int count = Batch, ulong seed = 11)
    {
        if (config.Conditioning == ConditioningKind.None) return null;
        using var g = new Generator(seed);
        return randn([count, config.ConditionSize], generator: g);
    }

    /// <summary>[count, C, H, W] whole numbers 0..255.</summary>
    public static Tensor Images(PixelCnnConfig config, int count = Batch, ulong seed = 13)
    {
        using var g = new Generator(seed);
        using var u = rand([count, config.Channels, config.Height, config.Width], generator: g);
        using var scaled = u * 256;
        return scaled.floor();
    }
}
