// MLContext mirrors Microsoft.ML.MLContext: the entry point holding the catalogs, the randomness source, the
// device choice and the log. Components receive it (through their catalog) and read the device and seed here.
using PixelCnn.ML.Engine;
using PixelCnn.ML.Runtime;

namespace PixelCnn.ML;

/// <summary>The starting point of every pipeline: catalogs of operations, the seed, the device and the log.</summary>
/// <example><code>
/// var ml = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = true };
/// ml.Log += (_, e) => { if (e.Kind >= ChannelMessageKind.Info) Console.WriteLine(e.Message); };
/// </code></example>
public sealed class MLContext : IChannelProvider
{
    /// <summary>A context whose randomness derives from <paramref name="seed"/> (null: a different seed each run).</summary>
    public MLContext(int? seed = null)
    {
        Seed = seed;
        Rand = new LockedRandom(seed ?? Random.Shared.Next());
        Data = new DataOperationsCatalog(this);
        Transforms = new TransformsCatalog(this);
        Model = new ModelOperationsCatalog(this);
        AnomalyDetection = new AnomalyDetectionCatalog(this);
    }

    /// <summary>Loading, splitting, shuffling and filtering data; converting between data views and objects.</summary>
    public DataOperationsCatalog Data { get; }

    /// <summary>Data transformations (added by extension methods).</summary>
    public TransformsCatalog Transforms { get; }

    /// <summary>Saving, loading and prediction engines.</summary>
    public ModelOperationsCatalog Model { get; }

    /// <summary>Anomaly detection trainers and evaluation (added by extension methods).</summary>
    public AnomalyDetectionCatalog AnomalyDetection { get; }

    /// <summary>Raised for every message a component writes (all kinds, including Trace).</summary>
    public event EventHandler<LoggingEventArgs>? Log;

    /// <summary>The CUDA device components should use; null for CPU.</summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>When <see cref="GpuDeviceId"/> is set but CUDA is not available: true runs on CPU (with a warning),
    /// false fails.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>The seed given to the constructor, if any. Components derive their own seeds from <see cref="Rand"/>,
    /// so a seeded context makes a whole pipeline reproducible.</summary>
    public int? Seed { get; }

    /// <summary>The context's random source, seeded from <see cref="Seed"/>; safe to use from several threads.</summary>
    public Random Rand { get; }

    /// <summary>A channel writing to <see cref="Log"/> with <paramref name="name"/> as the source.</summary>
    IChannel IChannelProvider.Start(string name) => new Channel(this, name);

    /// <summary>A channel for a component of this library (same as <see cref="IChannelProvider.Start"/>).</summary>
    internal IChannel StartChannel(string name) => new Channel(this, name);

    private sealed class Channel(MLContext context, string source) : IChannel
    {
        public void Send(ChannelMessageKind kind, string message) =>
            context.Log?.Invoke(context, new LoggingEventArgs(message, kind, source));

        public void Dispose() { }
    }

    /// <summary>A seeded <see cref="Random"/> whose every draw takes a lock, so concurrent components cannot corrupt it.</summary>
    private sealed class LockedRandom(int seed) : Random
    {
        private readonly Random _inner = new(seed);
        private readonly Lock _gate = new();

        public override int Next() { lock (_gate) return _inner.Next(); }
        public override int Next(int maxValue) { lock (_gate) return _inner.Next(maxValue); }
        public override int Next(int minValue, int maxValue) { lock (_gate) return _inner.Next(minValue, maxValue); }
        public override long NextInt64() { lock (_gate) return _inner.NextInt64(); }
        public override long NextInt64(long maxValue) { lock (_gate) return _inner.NextInt64(maxValue); }
        public override long NextInt64(long minValue, long maxValue) { lock (_gate) return _inner.NextInt64(minValue, maxValue); }
        public override double NextDouble() { lock (_gate) return _inner.NextDouble(); }
        public override float NextSingle() { lock (_gate) return _inner.NextSingle(); }
        public override void NextBytes(byte[] buffer) { lock (_gate) _inner.NextBytes(buffer); }
        public override void NextBytes(Span<byte> buffer) { lock (_gate) _inner.NextBytes(buffer); }
        protected override double Sample() { lock (_gate) return _inner.NextDouble(); }
    }
}
