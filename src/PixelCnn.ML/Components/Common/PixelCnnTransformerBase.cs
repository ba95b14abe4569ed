// What every fitted PixelCNN component shares: it owns a PixelCnnModel (native memory, freed on Dispose), serialises
// native work on it with a lock, maps input rows in batches (BatchedDataView) and one at a time for PredictionEngine
// (BatchedRowMapper), and saves through mlContext.Model.Save as component options + the model's config.json and
// weights.safetensors (ComponentSaving; docs/mlnet-saving.md).
using Microsoft.ML;
using Microsoft.ML.Data;
using PixelCnn.ML.Scoring;

namespace PixelCnn.ML.Components;

/// <summary>The base of the fitted PixelCNN transformers: batching, PredictionEngine support, saving and disposal.</summary>
public abstract class PixelCnnTransformerBase : ITransformer, IDisposable
{
    private readonly PixelCnnTransformerBase? _owner;
    private bool _disposed;

    private protected PixelCnnTransformerBase(PixelCnnModel model)
    {
        Model = model;
        Gate = new object();
    }

    /// <summary>A view sharing <paramref name="owner"/>'s model (valid while the owner is; disposing it frees nothing).</summary>
    private protected PixelCnnTransformerBase(PixelCnnTransformerBase owner)
    {
        _owner = owner._owner ?? owner;
        Model = _owner.Model;
        Gate = _owner.Gate;
    }

    /// <summary>The trained PixelCNN (owned by this transformer unless it is a view of another).</summary>
    public PixelCnnModel Model { get; }

    /// <summary>Serialises native work on <see cref="Model"/> across cursors and threads.</summary>
    private protected object Gate { get; }

    private protected bool Disposed => _disposed || (_owner?._disposed ?? false);

    /// <summary>True: the transformer maps rows one at a time too, so it works in a <c>PredictionEngine</c>.</summary>
    public bool IsRowToRowMapper => true;

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ObjectDisposedException.ThrowIf(Disposed, this);
        return new BatchedRowMapper(inputSchema, CreateMapper(inputSchema));
    }

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return BatchedDataView.AppendColumns(inputSchema, CreateMapper(inputSchema).OutputColumns);
    }

    /// <summary>Adds this component's columns to <paramref name="input"/>, lazily; rows are computed a batch at a time.</summary>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        ObjectDisposedException.ThrowIf(Disposed, this);
        return new BatchedDataView(input, CreateMapper(input.Schema), BatchedDataView.RowsWithinBudget(BatchSize, Model.Config.Dimensions));
    }

    /// <summary>
    /// The sampling seed of the batch of rows starting at <paramref name="firstPosition"/>: generated images depend on
    /// the component's seed and where their batch starts, so the same rows, seed and batch size give the same images.
    /// </summary>
    public static ulong BatchSeed(ulong seed, long firstPosition) => unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)firstPosition);

    /// <summary>Rows mapped per call of the mapper.</summary>
    private protected abstract int BatchSize { get; }

    /// <summary>Checks the input schema (errors name the column and the types) and returns the batch mapper.</summary>
    private protected abstract IBatchMapper CreateMapper(DataViewSchema inputSchema);

    /// <summary>Runs <paramref name="work"/> on the model under the lock, failing if this transformer was disposed.</summary>
    private protected T WithModel<T>(Func<PixelCnnModel, T> work)
    {
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            return work(Model);
        }
    }

    /// <summary>
    /// Writes the network's weights as a plain safetensors file (what the model zip holds as weights.safetensors:
    /// PyTorch loads it with <c>safetensors.torch.load_file</c>, names as in the state dict) and the model's
    /// configuration beside it as <c>&lt;name&gt;.config.json</c>, so no model is locked inside ML.NET's zip.
    /// </summary>
    public void ExportWeights(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        var full = Path.GetFullPath(safetensorsPath);
        var config = Path.ChangeExtension(full, ".config.json");
        var entries = new Dictionary<string, MemoryStream>();
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            Model.WriteEntries(name => entries[name] = new MemoryStream());
        }
        PixelCnn.ML.IO.AtomicFile.WriteAllBytes(full, entries[PixelCnnModel.WeightsEntry].ToArray());
        PixelCnn.ML.IO.AtomicFile.WriteAllBytes(config, entries[PixelCnnModel.ConfigEntry].ToArray());
    }

    /// <summary>
    /// Replaces the network's weights with those of a safetensors file (from <see cref="ExportWeights"/> or PyTorch):
    /// every name, shape and dtype must match the model's state dict exactly, and all values must be finite.
    /// </summary>
    public void ImportWeights(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            PixelCnn.ML.Serialization.SafeTensors.LoadInto(Model.Network, safetensorsPath, strict: true);
        }
    }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        lock (Gate) ComponentSaving.Save(ctx, SaveInfo, SaveOptions(), Model, ExtraModels);
    }

    /// <summary>Further models the component owns and saves, each under a prefix of its entry names (e.g. a background model).</summary>
    private protected virtual IEnumerable<(string Prefix, PixelCnnModel Model)> ExtraModels => [];

    /// <summary>Frees what a component owns besides <see cref="Model"/>; called once, by the owner's Dispose.</summary>
    private protected virtual void DisposeOwned() { }

    /// <summary>The version and loader signature written with the component.</summary>
    private protected abstract ComponentSaving.Info SaveInfo { get; }

    /// <summary>This component's settings, saved as options.json.</summary>
    private protected abstract System.Text.Json.Nodes.JsonObject SaveOptions();

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_owner is null)
            {
                Model.Dispose();
                DisposeOwned();
            }
        }
        GC.SuppressFinalize(this);
    }
}
