// SchemaShape mirrors Microsoft.ML.SchemaShape: what an estimator can promise about its output before it has
// seen any data — column names, scalar/vector kind, item type, key-ness — but not vector sizes. Estimator chains
// propagate shapes through every estimator before fitting any, so a wrong column fails in milliseconds, not
// after an hour of training.
using System.Collections;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>The promised shape of a schema: see <see cref="Column"/>.</summary>
/// <remarks>Deviation from ML.NET: the constructors here are public (ML.NET's are internal) so that estimators
/// outside the library can describe their output.</remarks>
public sealed class SchemaShape : IReadOnlyList<SchemaShape.Column>
{
    private readonly Column[] _columns;

    /// <summary>A shape with the given columns.</summary>
    public SchemaShape(IEnumerable<Column> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToArray();
    }

    /// <summary>The shape of <paramref name="schema"/>'s visible columns.</summary>
    public static SchemaShape Create(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return new SchemaShape(schema.Where(c => !c.IsHidden).Select(c => Column.Create(c.Name, c.Type, c.Annotations)));
    }

    public int Count => _columns.Length;
    public Column this[int index] => _columns[index];

    /// <summary>Finds the last column named <paramref name="name"/>.</summary>
    public bool TryFindColumn(string name, out Column column)
    {
        for (int i = _columns.Length - 1; i >= 0; i--)
            if (_columns[i].Name == name)
            {
                column = _columns[i];
                return true;
            }
        column = default;
        return false;
    }

    /// <summary>The column named <paramref name="name"/>, or a "Could not find" error naming <paramref name="role"/>.</summary>
    internal Column Find(string role, string name) =>
        TryFindColumn(name, out var c) ? c : throw SchemaErrors.ColumnNotFound(role, name, this);

    /// <summary>A copy with <paramref name="columns"/> added (replacing same-named columns).</summary>
    internal SchemaShape With(params Column[] columns)
    {
        var names = columns.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        return new SchemaShape(_columns.Where(c => !names.Contains(c.Name)).Concat(columns));
    }

    public IEnumerator<Column> GetEnumerator() => ((IEnumerable<Column>)_columns).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => string.Join("; ", _columns.Select(c => c.ToString()));

    /// <summary>Whether a column holds one value, a fixed-size vector or a variable-size vector.</summary>
    public enum VectorKind
    {
        Scalar,
        Vector,
        VariableVector,
    }

    /// <summary>The promised shape of one column.</summary>
    public readonly struct Column
    {
        /// <summary>A column shape. <paramref name="itemType"/> is the item type for vectors; for keys the raw
        /// number type (UInt32) with <paramref name="isKey"/> true, as in ML.NET.</summary>
        public Column(string name, VectorKind vecKind, DataViewType itemType, bool isKey, SchemaShape? annotations = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            ArgumentNullException.ThrowIfNull(itemType);
            if (itemType is KeyDataViewType || itemType is VectorDataViewType)
                throw new ArgumentException($"The item type of column shape '{name}' must be the key's raw number type (with isKey) or a non-vector type, not {itemType}.", nameof(itemType));
            if (isKey && (itemType is not NumberDataViewType || !KeyDataViewType.IsValidDataType(itemType.RawType)))
                throw new ArgumentException($"Key column shape '{name}' needs an unsigned integer item type, not {itemType}.", nameof(itemType));
            Name = name;
            Kind = vecKind;
            ItemType = itemType;
            IsKey = isKey;
            Annotations = annotations ?? new SchemaShape([]);
        }

        /// <summary>The shape of a column of type <paramref name="type"/>.</summary>
        public static Column Create(string name, DataViewType type, DataViewSchema.Annotations? annotations = null)
        {
            var kind = type is VectorDataViewType v ? (v.IsKnownSize ? VectorKind.Vector : VectorKind.VariableVector) : VectorKind.Scalar;
            var item = type is VectorDataViewType vt ? vt.ItemType : type;
            bool isKey = item is KeyDataViewType;
            if (isKey) item = NumberDataViewType.FromRawType(item.RawType)!;
            var ann = annotations == null ? null : new SchemaShape(annotations.Schema.Where(c => !c.IsHidden).Select(c => Create(c.Name, c.Type)));
            return new Column(name, kind, item, isKey, ann);
        }

        public string Name { get; }
        public VectorKind Kind { get; }
        public DataViewType ItemType { get; }
        public bool IsKey { get; }
        public SchemaShape Annotations { get; }

        /// <summary>Whether a column of shape <paramref name="source"/> can be used where this shape is expected
        /// (same name, kind, item type and key-ness; every expected annotation present and compatible).</summary>
        public bool IsCompatibleWith(Column source)
        {
            if (Name != source.Name || Kind != source.Kind || !ItemType.Equals(source.ItemType) || IsKey != source.IsKey) return false;
            foreach (var a in Annotations)
                if (!source.Annotations.TryFindColumn(a.Name, out var s) || !a.IsCompatibleWith(s)) return false;
            return true;
        }

        /// <summary>"Single", "Key&lt;UInt32&gt;", "Vector&lt;Single&gt;", "VarVector&lt;Single&gt;" — as ML.NET.</summary>
        public string GetTypeString()
        {
            var s = $"{ItemType}";
            if (IsKey) s = $"Key<{s}>";
            return Kind switch
            {
                VectorKind.Vector => $"Vector<{s}>",
                VectorKind.VariableVector => $"VarVector<{s}>",
                _ => s,
            };
        }

        public override string ToString() => $"{Name}: {GetTypeString()}";
    }
}
