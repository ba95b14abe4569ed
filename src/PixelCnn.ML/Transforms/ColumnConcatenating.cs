// Concatenate: joins scalar and vector columns of one item type into one vector column, in order. Mirrors ML.NET's
// ColumnConcatenatingEstimator / ColumnConcatenatingTransformer (one output column).
//
// Saved as type id "PixelCnn.ML.Concatenate", format version 1:
//   options: { "outputColumnName": "Features", "inputColumnNames": [ "A", "B", ... ] }   (no binary entries)
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Transforms;

/// <summary>
/// Concatenates columns into one vector; create it with <c>ml.Transforms.Concatenate</c>.
/// </summary>
/// <remarks>
/// | Characteristic | |
/// |---|---|
/// | Needs training | no |
/// | Input columns | scalars or vectors, all of one item type (numbers, Boolean, Text, or keys of one count) |
/// | Output column | a vector of that item type: known size (the sum) when every input's size is known |
/// | Native dependency | none |
/// | Saved with ml.Model.Save | yes |
/// </remarks>
public sealed class ColumnConcatenatingEstimator : IEstimator<ColumnConcatenatingTransformer>
{
    private readonly string _output;
    private readonly string[] _inputs;

    internal ColumnConcatenatingEstimator(string outputColumnName, params string[] inputColumnNames)
    {
        (_output, _inputs) = ColumnConcatenatingTransformer.Check(outputColumnName, inputColumnNames);
    }

    /// <summary>Checks the inputs and returns the transformer (no training).</summary>
    public ColumnConcatenatingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        GetOutputSchema(SchemaShape.Create(input.Schema));
        return new ColumnConcatenatingTransformer(_output, _inputs);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var first = inputSchema.Find("input", _inputs[0]);
        bool variable = false;
        foreach (var name in _inputs)
        {
            var c = inputSchema.Find("input", name);
            if (c.ItemType is not PrimitiveDataViewType || !c.ItemType.Equals(first.ItemType) || c.IsKey != first.IsKey)
                throw SchemaErrors.Mismatch("input", name, $"a scalar or vector of {ItemString(first)} (the item type of '{first.Name}')", c.GetTypeString());
            variable |= c.Kind == SchemaShape.VectorKind.VariableVector;
        }
        return inputSchema.With(new SchemaShape.Column(_output, variable ? SchemaShape.VectorKind.VariableVector : SchemaShape.VectorKind.Vector, first.ItemType, first.IsKey));
    }

    private static string ItemString(SchemaShape.Column c) => c.IsKey ? $"Key<{c.ItemType}>" : $"{c.ItemType}";
}

/// <summary>The fitted Concatenate transform; see <see cref="ColumnConcatenatingEstimator"/>.</summary>
public sealed class ColumnConcatenatingTransformer : RowToRowTransformerBase, ISavableTransformer
{
    internal const string LoaderTypeId = "PixelCnn.ML.Concatenate";
    private readonly string _output;
    private readonly string[] _inputs;

    internal ColumnConcatenatingTransformer(string outputColumnName, string[] inputColumnNames)
    {
        (_output, _inputs) = Check(outputColumnName, inputColumnNames);
    }

    /// <summary>The output column.</summary>
    public string OutputColumnName => _output;

    /// <summary>The input columns, in concatenation order.</summary>
    public IReadOnlyList<string> InputColumnNames => _inputs;

    internal static (string, string[]) Check(string output, string[] inputs)
    {
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length == 0) throw new ArgumentException("Concatenate needs at least one input column.", nameof(inputs));
        if (inputs.Any(string.IsNullOrEmpty)) throw new ArgumentException("Input column names cannot be empty.", nameof(inputs));
        return (output, inputs.ToArray());
    }

    protected override IRowMapper MakeRowMapper(DataViewSchema inputSchema) => new Mapper(_output, _inputs, inputSchema);

    public string TypeId => LoaderTypeId;
    public int FormatVersion => 1;

    public void Save(ModelSaveContext ctx)
    {
        ctx.Options["outputColumnName"] = _output;
        ctx.Options["inputColumnNames"] = new JsonArray(_inputs.Select(n => (JsonNode?)n).ToArray());
    }

    private static ColumnConcatenatingTransformer Load(ModelLoadContext ctx)
    {
        ctx.CheckFormatVersion(1);
        return new ColumnConcatenatingTransformer(ctx.GetString("outputColumnName"), ctx.GetStringArray("inputColumnNames"));
    }

#pragma warning disable CA2255 // registering the loader when the assembly loads is the point (see ModelLoaderRegistry)
    [ModuleInitializer]
    internal static void RegisterLoader() => ModelLoaderRegistry.Register(LoaderTypeId, Load);
#pragma warning restore CA2255

    private sealed class Mapper : IRowMapper
    {
        private readonly DataViewSchema.Column[] _inputs;
        private readonly PrimitiveDataViewType _itemType;

        public Mapper(string output, string[] inputs, DataViewSchema inputSchema)
        {
            _inputs = inputs.Select(n => SchemaErrors.Find(inputSchema, "input", n)).ToArray();
            _itemType = ItemType(_inputs[0]) ?? throw Bad(_inputs[0], null);
            int total = 0;
            foreach (var c in _inputs)
            {
                if (ItemType(c) is not { } item || !item.Equals(_itemType)) throw Bad(c, _inputs[0]);
                int size = c.Type is VectorDataViewType v ? v.Size : 1;
                total = size == 0 || total < 0 ? -1 : total + size;
            }
            OutputColumns = [new DataViewSchema.DetachedColumn(output, new VectorDataViewType(_itemType, Math.Max(total, 0)))];
        }

        private static PrimitiveDataViewType? ItemType(DataViewSchema.Column c) =>
            c.Type switch
            {
                VectorDataViewType v => v.ItemType,
                PrimitiveDataViewType p when RawTypes.VBufferOf(p.RawType) != null => p,
                _ => null,
            };

        private ArgumentOutOfRangeException Bad(DataViewSchema.Column c, DataViewSchema.Column? first) =>
            SchemaErrors.Mismatch("input", c.Name,
                first == null ? "a scalar or vector of numbers, Boolean, Text or keys" : $"a scalar or vector of {_itemType} (the item type of '{first.Value.Name}')",
                c.Type.ToString()!);

        public IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public IEnumerable<DataViewSchema.Column> GetDependencies(Func<int, bool> isOutputActive) => isOutputActive(0) ? _inputs : [];

        public ValueGetter<TValue> GetGetter<TValue>(DataViewRow input, int outputIndex) =>
            RawTypes.TryVisitPrimitive(_itemType.RawType, new GetterFactory<TValue>(input, _inputs), out var g) ? g
            : throw new NotSupportedException($"Concatenating {_itemType} is not supported.");

        /// <summary>Builds the output getter for item type T: reads every input, then copies them in order.</summary>
        private sealed class GetterFactory<TValue>(DataViewRow input, DataViewSchema.Column[] columns) : IRawTypeVisitor<ValueGetter<TValue>>
        {
            public ValueGetter<TValue> Visit<T>()
            {
                var parts = columns.Select(c => c.Type is VectorDataViewType ? (Part<T>)new VectorPart<T>(input.GetGetter<VBuffer<T>>(c)) : new ScalarPart<T>(input.GetGetter<T>(c))).ToArray();
                ValueGetter<VBuffer<T>> getter = (ref VBuffer<T> dst) =>
                {
                    int length = 0;
                    foreach (var p in parts) length += p.Read();
                    var editor = VBufferEditor.Create(ref dst, length);
                    int at = 0;
                    foreach (var p in parts) at += p.CopyTo(editor.Values[at..]);
                    dst = editor.Commit();
                };
                return (ValueGetter<TValue>)(object)getter;
            }
        }

        private abstract class Part<T>
        {
            /// <summary>Reads the current value; returns its item count.</summary>
            internal abstract int Read();

            /// <summary>Copies the value read last; returns its item count.</summary>
            internal abstract int CopyTo(Span<T> destination);
        }

        private sealed class ScalarPart<T>(ValueGetter<T> get) : Part<T>
        {
            private T _value = default!;

            internal override int Read()
            {
                get(ref _value);
                return 1;
            }

            internal override int CopyTo(Span<T> destination)
            {
                destination[0] = _value;
                return 1;
            }
        }

        private sealed class VectorPart<T>(ValueGetter<VBuffer<T>> get) : Part<T>
        {
            private VBuffer<T> _value;

            internal override int Read()
            {
                get(ref _value);
                return _value.Length;
            }

            internal override int CopyTo(Span<T> destination)
            {
                _value.CopyTo(destination);
                return _value.Length;
            }
        }
    }
}
