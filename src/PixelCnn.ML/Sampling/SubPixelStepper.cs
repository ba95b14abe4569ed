// The contract between the sampling loop and a decoder: the loop walks the sub-pixels in raster
// order, R→G→B within a pixel, asks the decoder for the distribution parameters of the next one,
// draws it and hands the value back. A decoder keeps whatever state makes the next question cheap.
using PixelCnn.ML.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Sampling;

internal abstract class SubPixelStepper : IDisposable
{
    private readonly List<Tensor> _owned = [];
    private readonly List<IDisposable> _parts = [];

    protected SubPixelStepper(PixelCnnNetwork network, Device device, int batch, bool directWrites)
    {
        DirectWrites = directWrites;
        Network = network;
        Config = network.Config;
        Device = device;
        Batch = batch;
    }

    public PixelCnnNetwork Network { get; }
    public PixelCnnConfig Config { get; }
    public Device Device { get; }
    public int Batch { get; }
    /// <summary>Whether values may be written straight into CPU tensor memory (false: by tensor copies, as on other devices).</summary>
    public bool DirectWrites { get; }

    /// <summary>Called before the first sub-pixel of row <paramref name="i"/>; every earlier row is set.</summary>
    public abstract void BeginRow(int i);

    /// <summary>
    /// Parameters [batch, P] of sub-pixel (i, j, c) given every earlier sub-pixel. The tensor
    /// belongs to the stepper and stays valid until its next call.
    /// </summary>
    public abstract Tensor Parameters(int i, int j, int c);

    /// <summary>Sets sub-pixel (i, j, c) of every image to <paramref name="values"/> (whole numbers 0..255).</summary>
    public abstract void Set(int i, int j, int c, ReadOnlySpan<float> values);

    /// <summary>
    /// <see cref="Set(int, int, int, ReadOnlySpan{float})"/> for values already on the stepper's device ([batch] float32),
    /// so the sampling loop needs no host round trip per sub-pixel.
    /// </summary>
    public abstract void Set(int i, int j, int c, Tensor values);

    /// <summary>Called after the last channel of pixel (i, j) is set.</summary>
    public virtual void EndPixel(int i, int j) { }

    /// <summary>Called after the last pixel of row <paramref name="i"/>.</summary>
    public virtual void EndRow(int i) { }

    public static SubPixelStepper Create(SamplerKind kind, PixelCnnNetwork network, Device device, int batch, Tensor? conditions,
                                         bool directWrites = true) => kind switch
    {
        SamplerKind.Naive => new NaiveStepper(network, device, batch, conditions, directWrites),
        SamplerKind.Cached => network switch
        {
            GatedPixelCnn gated => new CachedGatedStepper(gated, device, batch, conditions, directWrites),
            PixelCnnBaseline baseline => new CachedBaselineStepper(baseline, device, batch, conditions, directWrites),
            PixelRnn rnn => new CachedPixelRnnStepper(rnn, device, batch, conditions, directWrites),
            _ => throw new NotSupportedException($"no cached sampler for {network.GetType().Name}; use {nameof(SamplerKind)}.{nameof(SamplerKind.Naive)}"),
        },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown sampler kind"),
    };

    /// <summary>Takes <paramref name="t"/> out of any dispose scope; it lives as long as this stepper.</summary>
    protected Tensor Keep(Tensor t)
    {
        _owned.Add(t.DetachFromDisposeScope());
        return t;
    }

    protected T Keep<T>(T part) where T : IDisposable
    {
        _parts.Add(part);
        return part;
    }

    /// <summary>The network's input scale (x / 127.5 − 1 for 256 levels) of each value 0..Levels−1, computed by the network's own op.</summary>
    protected float[] ScaledValues()
    {
        using var scope = NewDisposeScope();
        return PixelCnnNetwork.Scale(arange(0, Config.Levels, dtype: ScalarType.Float32), Config.Levels).data<float>().ToArray();
    }

    /// <summary>The same scale as a [Levels] lookup table on the device.</summary>
    protected Tensor ScaledTable() => Keep(tensor(ScaledValues(), device: Device));

    /// <summary>Row <paramref name="i"/> of a per-layer bias that is either constant over rows (height 1) or a full map.</summary>
    protected static Tensor Row(Tensor bias, bool perRow, int i) => perRow ? bias.narrow(2, i, 1) : bias.alias();

    /// <summary>The map s = m(h) for spatial and image conditioning, h itself for global, null without conditioning.</summary>
    protected static Tensor? LayerConditionInput(nn.Module<Tensor, Tensor>? net, Tensor? conditions) =>
        conditions is null ? null : net is null ? conditions : net.forward(conditions);

    /// <summary>Releases state that is not owned through <see cref="Keep(Tensor)"/>.</summary>
    protected virtual void ReleaseState() { }

    public void Dispose()
    {
        ReleaseState();
        foreach (var p in _parts) p.Dispose();
        foreach (var t in _owned) t.Dispose();
        _parts.Clear();
        _owned.Clear();
    }
}
