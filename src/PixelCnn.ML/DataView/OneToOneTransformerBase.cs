// Base of transformers that compute one output column from one input column, for one or more column pairs (the image
// transforms; as ML.NET's OneToOneTransformerBase). A subclass says which input type each pair accepts — and so the
// output type — and how one value is computed; this base does the output schema, the lazy row mapping, the input
// dependencies and the column list of the saved options.
//
// Saved options written by this base: "columns": [ { "output": "B", "input": "A", <per-column options> }, ... ],
// plus whatever transformer-wide options the subclass adds next to it.
using System.Text.Json.Nodes;

namespace PixelCnn.ML.Data;

/// <summary>A transformer computing each output column from one input column, row by row, lazily.</summary>
public abstract class OneToOneTransformerBase : RowToRowTransformerBase, ISavableTransformer
{
    private readonly (string Output, string Input)[] _columns;

    private protected OneToOneTransformerBase(IEnumerable<(string Output, string Input)> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToArray();
        if (_columns.Length == 0) throw new ArgumentException("At least one column pair is needed.", nameof(columns));
        foreach (var (o, i) in _columns)
            if (string.IsNullOrEmpty(o) || string.IsNullOrEmpty(i)) throw new ArgumentException("Column names cannot be empty.", nameof(columns));
    }

    /// <summary>The (output, input) column pairs, in order.</summary>
    public IReadOnlyList<(string OutputColumnName, string InputColumnName)> ColumnPairs => _columns;

    /// <summary>The type of output <paramref name="column"/> (an index into <see cref="ColumnPairs"/>) for the input
    /// column <paramref name="input"/>; throws naming the column, the expected and the actual type when it does not fit.</summary>
    private protected abstract DataViewType GetOutputType(int column, DataViewSchema.Column input);

    /// <summary>A <see cref="ValueGetter{TValue}"/> of output <paramref name="column"/>'s raw type, computing the value
    /// from <paramref name="input"/>'s current row.</summary>
    private protected abstract Delegate MakeGetter(DataViewRow input, DataViewSchema.Column inputColumn, int column);

    protected sealed override IRowMapper MakeRowMapper(DataViewSchema inputSchema) => new Mapper(this, inputSchema);

    public abstract string TypeId { get; }
    public abstract int FormatVersion { get; }

    public void Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        SaveOptions(ctx);
        var items = new JsonArray();
        for (int i = 0; i < _columns.Length; i++)
        {
            var item = new JsonObject { ["output"] = _columns[i].Output, ["input"] = _columns[i].Input };
            SaveColumn(i, item);
            items.Add((JsonNode)item);
        }
        ctx.Options["columns"] = items;
    }

    /// <summary>Writes the options shared by all columns (none by default).</summary>
    private protected virtual void SaveOptions(ModelSaveContext ctx) { }

    /// <summary>Writes the options of column <paramref name="column"/> into its item of "columns".</summary>
    private protected abstract void SaveColumn(int column, JsonObject item);

    /// <summary>The saved column items, checked to name an output and an input.</summary>
    private protected static SavedColumn[] LoadColumns(ModelLoadContext ctx)
    {
        if (!ctx.Options.TryGetPropertyValue("columns", out var node) || node is not JsonArray a || a.Count == 0)
            throw ctx.Error("option 'columns' must be a non-empty array.");
        return a.Select((n, i) => new SavedColumn(ctx, n as JsonObject ?? throw ctx.Error($"item {i} of 'columns' is not an object."), i)).ToArray();
    }

    /// <summary>A getter that computes an immutable value once per row of <paramref name="input"/> and hands the same
    /// instance to every call on that row, so reading an expensive column (a decoded image) twice costs one computation.</summary>
    private protected static ValueGetter<T> OncePerRow<T>(DataViewRow input, Func<T> compute) where T : class
    {
        T? value = null;
        long at = -1;
        return (ref T dst) =>
        {
            if (value == null || at != input.Position)
            {
                value = null; // a failed computation must not leave the previous row's value behind
                value = compute();
                at = input.Position;
            }
            dst = value;
        };
    }

    /// <summary>An error about the value of <paramref name="inputColumn"/> in <paramref name="row"/>'s current row.</summary>
    internal static InvalidOperationException RowError(DataViewSchema.Column inputColumn, DataViewRow row, string problem) =>
        new($"Input column '{inputColumn.Name}', row {row.Position}: {problem}");

    private sealed class Mapper : IRowMapper
    {
        private readonly OneToOneTransformerBase _owner;
        private readonly DataViewSchema.Column[] _inputs;

        public Mapper(OneToOneTransformerBase owner, DataViewSchema inputSchema)
        {
            _owner = owner;
            _inputs = owner._columns.Select(c => SchemaErrors.Find(inputSchema, "input", c.Input)).ToArray();
            OutputColumns = owner._columns.Select((c, i) => new DataViewSchema.DetachedColumn(c.Output, owner.GetOutputType(i, _inputs[i]))).ToArray();
        }

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) =>
            _inputs.Where((_, i) => isOutputActive(i));

        public ValueGetter<TValue> GetGetter<TValue>(DataViewRow input, int outputIndex) =>
            (ValueGetter<TValue>)_owner.MakeGetter(input, _inputs[outputIndex], outputIndex);
    }

    /// <summary>One saved item of "columns": its names and typed access to its options, with errors naming the model.</summary>
    private protected sealed class SavedColumn(ModelLoadContext ctx, JsonObject item, int index)
    {
        public string Output { get; } = Text(ctx, item, index, "output");
        public string Input { get; } = Text(ctx, item, index, "input");

        public int GetInt32(string key) => Get<int>(key, "an integer");
        public float GetSingle(string key) => (float)Get<double>(key, "a number");
        public bool GetBoolean(string key) => Get<bool>(key, "true or false");

        /// <summary>An enum saved by name ("IsoCrop", or "Red, Green" for flags).</summary>
        public TEnum GetEnum<TEnum>(string key) where TEnum : struct, Enum =>
            Enum.TryParse<TEnum>(Get<string>(key, "a name"), ignoreCase: false, out var v) && IsNamed(v)
                ? v
                : throw ctx.Error($"column {index} ('{Output}'): option '{key}' must be one of {string.Join(", ", Enum.GetNames<TEnum>())}, got {item[key]?.ToJsonString()}.");

        private static bool IsNamed<TEnum>(TEnum v) where TEnum : struct, Enum =>
            Enum.IsDefined(v) || (typeof(TEnum).IsDefined(typeof(FlagsAttribute), false) && !char.IsDigit(v.ToString()[0]) && v.ToString()[0] != '-');

        private T Get<T>(string key, string what) =>
            item[key] is JsonValue v && v.TryGetValue<T>(out var r) ? r
            : throw ctx.Error($"column {index}: option '{key}' must be {what}, got {item[key]?.ToJsonString() ?? "nothing"}.");

        private static string Text(ModelLoadContext ctx, JsonObject item, int index, string key) =>
            item[key] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s
            : throw ctx.Error($"column {index}: '{key}' must be a non-empty column name, got {item[key]?.ToJsonString() ?? "nothing"}.");
    }
}
