// CopyColumns: copies columns under new names (any column type). Mirrors ML.NET's ColumnCopyingEstimator /
// ColumnCopyingTransformer.
//
// Saved as type id "PixelCnn.ML.CopyColumns", format version 1:
//   options: { "columns": [ { "output": "B", "input": "A" }, ... ] }   (no binary entries)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Transforms;

/// <summary>
/// Copies input columns to output columns of the same type; create it with <c>ml.Transforms.CopyColumns</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input columns | any type |
/// | Output columns | same types as the inputs |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
/// </remarks>
public sealed class ColumnCopyingEstimator : IEstimator<ColumnCopyingTransformer>
{
    private readonly (string Output, string Input)[] _columns;

    internal ColumnCopyingEstimator(params (string Output, string Input)[] columns)
    {
        _columns = ColumnCopyingTransformer.Check(columns);
    }

    /// <summary>Checks the inputs exist and returns the transformer (no training).</summary>
    public ColumnCopyingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        return new ColumnCopyingTransformer(_columns);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var outputs = _columns.Select(c =>
        {
            var i = inputSchema.Find("input", c.Input);
            return new SchemaShape.Column(c.Output, i.Kind, i.ItemType, i.IsKey, i.Annotations);
        }).ToArray();
        return inputSchema.With(outputs);
    }
}

/// <summary>The fitted CopyColumns transform; see <see cref="ColumnCopyingEstimator"/>.</summary>
public sealed class ColumnCopyingTransformer : RowToRowTransformerBase, ISavableTransformer
{
    internal const string LoaderTypeId = "PixelCnn.ML.CopyColumns";
    private readonly (string Output, string Input)[] _columns;

    internal ColumnCopyingTransformer((string Output, string Input)[] columns) => _columns = Check(columns);

    /// <summary>The (output, input) column pairs.</summary>
    public IReadOnlyList<(string OutputColumnName, string InputColumnName)> Columns => _columns;

    internal static (string, string)[] Check((string Output, string Input)[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("CopyColumns needs at least one column pair.", nameof(columns));
        foreach (var (o, i) in columns)
            if (string.IsNullOrEmpty(o) || string.IsNullOrEmpty(i)) throw new ArgumentException("Column names cannot be empty.", nameof(columns));
        return columns.ToArray();
    }

    protected override IRowMapper MakeRowMapper(DataViewSchema inputSchema) => new Mapper(_columns, inputSchema);

    public string TypeId => LoaderTypeId;
    public int FormatVersion => 1;

    public void Save(ModelSaveContext ctx)
    {
        ctx.Options["columns"] = new JsonArray(_columns.Select(c => (JsonNode?)new JsonObject { ["output"] = c.Output, ["input"] = c.Input }).ToArray());
    }

    private static ColumnCopyingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        if (ctx.Options["columns"] is not JsonArray a || a.Count == 0) throw ctx.Error("option 'columns' must be a non-empty array.");
        return new ColumnCopyingTransformer(a.Select(n =>
            n is JsonObject o && o["output"]?.GetValue<string>() is { Length: > 0 } output && o["input"]?.GetValue<string>() is { Length: > 0 } input
                ? (output, input)
                : throw ctx.Error($"every item of 'columns' needs an output and an input name; got {n?.ToJsonString() ?? "null"}.")).ToArray());
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255

    private sealed class Mapper : IRowMapper
    {
        private readonly DataViewSchema.Column[] _inputs;

        public Mapper((string Output, string Input)[] columns, DataViewSchema inputSchema)
        {
            _inputs = columns.Select(c => SchemaErrors.Find(inputSchema, "input", c.Input)).ToArray();
            OutputColumns = columns.Select((c, k) => new DataViewSchema.DetachedColumn(c.Output, _inputs[k].Type, _inputs[k].Annotations)).ToArray();
        }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) =>
            _inputs.Where((_, k) => isOutputActive(k));

        public ValueGetter<TValue> GetGetter<TValue>(DataViewRow input, int outputIndex) =>
            input.GetGetter<TValue>(_inputs[outputIndex]);
    }
}
