// DataViewSchema mirrors Microsoft.ML.DataViewSchema: an ordered list of typed, named columns. A name may repeat;
// then only the last column with that name is visible by name and the earlier ones are "hidden" (they keep their
// index, so row getters by index still reach them), which is how a transform that writes a column over an existing
// name replaces it without copying the rest of the row.
using System.Collections;
using System.Text;
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

/// <summary>The columns of an <see cref="IDataView"/> or <see cref="DataViewRow"/>: names, types, annotations.</summary>
public sealed partial class DataViewSchema : IReadOnlyList<DataViewSchema.Column>
{
    private readonly Column[] _columns;
    private readonly Dictionary<string, int> _byName;

    private DataViewSchema(IEnumerable<DetachedColumn> columns)
    {
        var list = new List<Column>();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var c in columns)
        {
            var index = list.Count;
            if (_byName.TryGetValue(c.Name, out var hidden)) list[hidden] = list[hidden].AsHidden();
            _byName[c.Name] = index;
            list.Add(new Column(c.Name, index, false, c.Type, c.Annotations));
        }
        _columns = [.. list];
    }

    /// <summary>The number of columns, hidden ones included.</summary>
    public int Count => _columns.Length;

    /// <summary>The column at <paramref name="columnIndex"/>.</summary>
    public Column this[int columnIndex] =>
        (uint)columnIndex < (uint)_columns.Length ? _columns[columnIndex]
        : throw new ArgumentOutOfRangeException(nameof(columnIndex), $"Column index {columnIndex} is outside a schema of {_columns.Length} columns.");

    /// <summary>The visible column named <paramref name="name"/>; throws <see cref="ArgumentOutOfRangeException"/>
    /// naming the available columns when there is none.</summary>
    public Column this[string name] =>
        GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(name), $"Column '{name}' not found. {DescribeColumns()}");

    /// <summary>The visible column named <paramref name="name"/>, or null.</summary>
    public Column? GetColumnOrNull(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.TryGetValue(name, out var i) ? _columns[i] : null;
    }

    public IEnumerator<Column> GetEnumerator() => ((IEnumerable<Column>)_columns).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>"Available columns: A (Single), B (Vector&lt;Single, 4&gt;)." — for error messages.</summary>
    internal string DescribeColumns() =>
        _columns.Length == 0 ? "The schema has no columns."
        : "Available columns: " + string.Join(", ", _columns.Where(c => !c.IsHidden).Select(c => $"{c.Name} ({c.Type})")) + ".";

    /// <summary>The columns as detached descriptions, e.g. to start a derived schema.</summary>
    internal IEnumerable<DetachedColumn> Detach() => _columns.Select(c => new DetachedColumn(c));

    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var c in _columns) sb.Append(sb.Length == 0 ? "" : "; ").Append(c);
        return sb.ToString();
    }

    /// <summary>A column of a schema.</summary>
    public readonly struct Column : IEquatable<Column>
    {
        internal Column(string name, int index, bool isHidden, DataViewType type, Annotations annotations)
        {
            Name = name;
            Index = index;
            IsHidden = isHidden;
            Type = type;
            Annotations = annotations;
        }

        /// <summary>The column's name.</summary>
        public string Name { get; }

        /// <summary>The column's index in its schema.</summary>
        public int Index { get; }

        /// <summary>Whether a later column of the same schema has the same name.</summary>
        public bool IsHidden { get; }

        /// <summary>The column's type.</summary>
        public DataViewType Type { get; }

        /// <summary>Extra information about the column (slot names, key values, ...).</summary>
        public Annotations Annotations { get; }

        internal Column AsHidden() => new(Name, Index, true, Type, Annotations);

        public bool Equals(Column other) =>
            Name == other.Name && Index == other.Index && IsHidden == other.IsHidden && Type.Equals(other.Type) && ReferenceEquals(Annotations, other.Annotations);
        public override bool Equals(object? obj) => obj is Column c && Equals(c);
        public override int GetHashCode() => HashCode.Combine(Name, Index, IsHidden, Type);
        public override string ToString() => $"{Name}: {Type}{(IsHidden ? " (hidden)" : "")}";
    }

    /// <summary>A column description not attached to a schema: what <see cref="Builder"/> takes.</summary>
    public readonly struct DetachedColumn
    {
        /// <summary>A column named <paramref name="name"/> of type <paramref name="type"/>.</summary>
        public DetachedColumn(string name, DataViewType type, Annotations? annotations = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            Name = name;
            Type = type ?? throw new ArgumentNullException(nameof(type));
            Annotations = annotations ?? Annotations.Empty;
        }

        /// <summary>A copy of <paramref name="column"/>'s name, type and annotations.</summary>
        public DetachedColumn(Column column) : this(column.Name, column.Type, column.Annotations) { }

        public string Name { get; }
        public DataViewType Type { get; }
        public Annotations Annotations { get; }

        public override string ToString() => $"{Name}: {Type}";
    }

    /// <summary>Builds a <see cref="DataViewSchema"/> column by column.</summary>
    public sealed class Builder
    {
        private readonly List<DetachedColumn> _columns = [];

        /// <summary>Adds a column; a repeated name hides the earlier column.</summary>
        public void AddColumn(string name, DataViewType type, Annotations? annotations = null) =>
            _columns.Add(new DetachedColumn(name, type, annotations));

        /// <summary>Adds columns in order.</summary>
        public void AddColumns(IEnumerable<DetachedColumn> columns) => _columns.AddRange(columns);

        /// <summary>Adds copies of the given columns (hidden ones included) in order.</summary>
        public void AddColumns(IEnumerable<Column> columns) => _columns.AddRange(columns.Select(c => new DetachedColumn(c)));

        /// <summary>The schema built so far.</summary>
        public DataViewSchema ToSchema() => new(_columns);
    }
}
