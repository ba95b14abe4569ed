// Throughput of the two decoders on one configuration and batch size, for the CLI's bench command
// and docs/benchmarks.md. Naive sampling costs one full forward pass per sub-pixel, the same for
// every sub-pixel, so it may be timed on a prefix and extrapolated (the result says so); the
// cached decoder is always timed on whole images. Rounds alternate the two sides and report
// medians, because timings on a shared machine drift.
using System.Diagnostics;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

/// <summary>Images per second of naive and cached sampling for one configuration and batch.</summary>
/// <param name="NaiveSubpixelsTimed">Sub-pixels the naive decoder actually ran per round (of <paramref name="Subpixels"/>).</param>
/// <param name="NaiveExtrapolated">True when the naive rate comes from a prefix: seconds per sub-pixel × C·H·W.</param>
/// <param name="SpeedUp">Cached images/s over naive images/s.</param>
public sealed record SamplingBenchmarkResult(
    string Model, int Batch, int Subpixels, int Threads, string Device, int Rounds,
    double CachedImagesPerSecond, double CachedSecondsPerBatch, double[] CachedRoundSeconds,
    double NaiveImagesPerSecond, double NaiveSecondsPerBatch, int NaiveSubpixelsTimed, bool NaiveExtrapolated, double[] NaiveRoundSeconds,
    double SpeedUp)
{
    /// <summary>One line for a console or a table.</summary>
    public override string ToString() =>
        $"{Model}, batch {Batch}, {Threads} thread(s), {Device}: cached {CachedImagesPerSecond:F2} img/s, naive {NaiveImagesPerSecond:F3} img/s" +
        (NaiveExtrapolated ? $" (extrapolated from {NaiveSubpixelsTimed} of {Subpixels} sub-pixels)" : "") + $", speed-up {SpeedUp:F1}x";
}

/// <summary>Measures naive against cached sampling (no assertions: a measurement, not a test).</summary>
public static class SamplingBenchmark
{
    /// <param name="config">The model to build (random weights drawn from <paramref name="seed"/>; conditioned models get random conditions).</param>
    /// <param name="batch">Images sampled together.</param>
    /// <param name="naiveSubpixels">Sub-pixels to time the naive decoder on per round (0 or ≥ C·H·W: whole images).</param>
    /// <param name="rounds">Timed rounds per side, alternating naive and cached; medians are reported.</param>
    public static SamplingBenchmarkResult Run(PixelCnnConfig config, int batch, int naiveSubpixels, int rounds = 1, ulong seed = 1,
                                              Device? device = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (batch <= 0) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be > 0");
        if (naiveSubpixels < 0) throw new ArgumentOutOfRangeException(nameof(naiveSubpixels), naiveSubpixels, "naiveSubpixels must be >= 0");
        if (rounds <= 0) throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "rounds must be > 0");
        device ??= torch.CPU;
        int dims = config.Dimensions;
        int naiveCount = naiveSubpixels == 0 || naiveSubpixels >= dims ? dims : naiveSubpixels;
        using var model = PixelCnnModel.Create(config, seed, device);
        var network = PixelCnnSampler.Decoder(model);
        using var scope = NewDisposeScope();
        Tensor? conditions = null;
        if (network.Config.Conditioning != ConditioningKind.None)
        {
            using var g = new Generator(seed);
            conditions = randn([batch, network.Config.ConditionSize], generator: g).to(device);
        }
        var uniforms = PixelCnnSampler.Uniforms(seed, batch, dims);
        var cached = new SamplingOptions { Kind = SamplerKind.Cached, Seed = seed };
        var naive = new SamplingOptions { Kind = SamplerKind.Naive, Seed = seed };

        double Time(SamplingOptions o, long limit)
        {
            var watch = Stopwatch.StartNew();
            PixelCnnSampler.Run(network, device, batch, conditions, null, 0, uniforms, dims, o, null, cancellationToken, limit);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
            return watch.Elapsed.TotalSeconds;
        }

        // Warm-up: first calls pay for one-time initialisation (oneDNN primitives, allocator pools).
        Time(naive, Math.Min(naiveCount, 2L * config.Channels));
        Time(cached, (long)config.Width * config.Channels);

        var naiveSeconds = new double[rounds];
        var cachedSeconds = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            naiveSeconds[r] = Time(naive, naiveCount);
            cachedSeconds[r] = Time(cached, long.MaxValue);
        }
        double cachedBatch = Median(cachedSeconds);
        double naiveBatch = Median(naiveSeconds) * dims / naiveCount;
        string name = $"{config.Architecture} {config.Channels}x{config.Height}x{config.Width}, {config.Layers} layers x {config.HiddenChannels} ch, " +
                      $"kernel {config.KernelSize}, {config.Output}, conditioning {config.Conditioning}";
        return new SamplingBenchmarkResult(
            name, batch, dims, get_num_threads(), device.ToString(), rounds,
            batch / cachedBatch, cachedBatch, cachedSeconds,
            batch / naiveBatch, naiveBatch, naiveCount, naiveCount < dims, naiveSeconds,
            naiveBatch / cachedBatch);
    }

    private static double Median(double[] xs)
    {
        var v = xs.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}
