// What every fitted PixelCNN component shares: it owns a PixelCnnModel (native memory, freed on
// Dispose), serialises native work on it with a lock, maps input rows in batches, computes its
// output schema by mapping an empty view, and saves as component options + the model's
// config.json and weights.safetensors.
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Runtime;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Components;

public abstract class PixelCnnTransformerBase : ISavableTransformer, IDisposable
{
    private readonly PixelCnnTransformerBase? _owner;
    private bool _disposed;

    protected PixelCnnTransformerBase(PixelCnnModel model)
    {
        Model = model;
        Gate = new object();
    }

    /// <summary>A view sharing <paramref name="owner"/>'s model (valid while the owner is; disposing it frees nothing).</summary>
    protected PixelCnnTransformerBase(PixelCnnTransformerBase owner)
    {
        _owner = owner._owner ?? owner;
        Model = _owner.Model;
        Gate = _owner.Gate;
    }

    /// <summary>The trained PixelCNN (owned by this transformer unless it is a view of another).</summary>
    public PixelCnnModel Model { get; }

    /// <summary>Serialises native work on <see cref="Model"/> across cursors and threads.</summary>
    protected object Gate { get; }

    protected bool Disposed => _disposed || (_owner?._disposed ?? false);

    public bool IsRowToRowMapper => false;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{GetType().Name} works on batches of rows; use Transform (or a PredictionEngine)");

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Transform(new EmptyDataView(inputSchema)).Schema;

    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(Disposed, this);
        return new BatchMappedDataView(input, CreateMapper(input.Schema), BatchSize);
    }

    /// <summary>
    /// The sampling seed of the batch of rows starting at <paramref name="firstPosition"/>: generated images depend on
    /// the component's seed and where their batch starts, so the same rows, seed and batch size give the same images.
    /// </summary>
    public static ulong BatchSeed(ulong seed, long firstPosition) => unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)firstPosition);

    /// <summary>Rows mapped per call of the mapper.</summary>
    protected abstract int BatchSize { get; }

    /// <summary>Checks the input schema (errors name the column and the types) and returns the batch mapper.</summary>
    protected abstract IBatchMapper CreateMapper(DataViewSchema inputSchema);

    /// <summary>Runs <paramref name="work"/> on the model under the lock, failing if this transformer was disposed.</summary>
    protected T WithModel<T>(Func<PixelCnnModel, T> work)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            return work(Model);
        }
    }

    public abstract string TypeId { get; }
    public virtual int FormatVersion => 1;

    public void Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        SaveOptions(ctx.Options);
        lock (Gate) Model.WriteEntries(name => ctx.CreateEntry(name));
    }

    /// <summary>Writes this component's settings into its component.json options.</summary>
    protected abstract void SaveOptions(JsonObject options);

    /// <summary>Reads the model entries of a component, on the device the loading MLContext asks for.</summary>
    protected static PixelCnnModel LoadModel(ModelLoadContext ctx)
    {
        var device = DeviceSelector.Resolve(ctx.MLContext.GpuDeviceId, ctx.MLContext.FallbackToCpu);
        try
        {
            return PixelCnnModel.ReadEntries(name => ctx.HasEntry(name) ? ctx.OpenEntry(name) : null, device);
        }
        catch (InvalidDataException e)
        {
            throw ctx.Error(e.Message, e);
        }
    }

    /// <summary>Reads the <c>shape</c> option [C, H, W].</summary>
    protected static ImageShape LoadShape(ModelLoadContext ctx)
    {
        var a = ctx.GetInt32Array("shape");
        if (a.Length != 3) throw ctx.Error("option 'shape' must be [C, H, W]");
        return new ImageShape(a[0], a[1], a[2]);
    }

    /// <summary>Checks a loaded model against the component's image shape; disposes it and throws when they differ.</summary>
    protected static void CheckModelShape(ModelLoadContext ctx, PixelCnnModel model, ImageShape shape)
    {
        var c = model.Config;
        if (c.Channels == shape.Channels && c.Height == shape.Height && c.Width == shape.Width) return;
        model.Dispose();
        throw ctx.Error($"the model is for {c.Channels}x{c.Height}x{c.Width} images but the component says {shape}");
    }

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_owner is null) Model.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
