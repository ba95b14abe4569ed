// Binds the members of a user class to columns, both ways: getters that read a member of the current object
// (LoadFromEnumerable, prediction input) and setters that write a column's value into a member (CreateEnumerable,
// prediction output). Member accessors are delegates made once per member, not reflection calls per value
// (properties), and all generic instantiation goes through RawTypes so no code is generated at run time.
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace PixelCnn.ML.Data;

internal sealed class PocoMapping<[DynamicallyAccessedMembers(SchemaDefinition.MemberTypes)] TRow>
    where TRow : class
{
    private PocoMapping(MemberBinding<TRow>[] members) => Members = members;

    internal IReadOnlyList<MemberBinding<TRow>> Members { get; }

    /// <summary>The bindings for <paramref name="definition"/> (or the one derived from <typeparamref name="TRow"/>).</summary>
    internal static PocoMapping<TRow> Create(SchemaDefinition? definition, SchemaDefinition.Direction direction)
    {
        definition ??= SchemaDefinition.Create(typeof(TRow), direction);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var bindings = new List<MemberBinding<TRow>>();
        foreach (var c in definition)
        {
            if (!names.Add(c.ColumnName)) throw new InvalidOperationException($"Column '{c.ColumnName}' is defined twice in the schema definition of {typeof(TRow).Name}.");
            var member = (MemberInfo?)typeof(TRow).GetField(c.MemberName, BindingFlags.Public | BindingFlags.Instance)
                ?? typeof(TRow).GetProperty(c.MemberName, BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException($"{typeof(TRow).Name} has no public field or property '{c.MemberName}' (column '{c.ColumnName}').");
            bindings.Add(MemberBinding<TRow>.Create(member, c.ColumnName, c.ColumnType, c.Annotations, direction));
        }
        return new PocoMapping<TRow>([.. bindings]);
    }

    /// <summary>The schema of a data view over objects of <typeparamref name="TRow"/>.</summary>
    internal DataViewSchema ToSchema()
    {
        var b = new DataViewSchema.Builder();
        foreach (var m in Members) b.AddColumn(m.ColumnName, m.ColumnType, m.Annotations);
        return b.ToSchema();
    }

    /// <summary>
    /// For each member, the column of <paramref name="schema"/> it is written from, checking names and types;
    /// a missing column is an error unless <paramref name="ignoreMissingColumns"/> (then the member is skipped).
    /// </summary>
    internal List<(MemberBinding<TRow> Member, DataViewSchema.Column Column)> ResolveColumns(DataViewSchema schema, bool ignoreMissingColumns)
    {
        var result = new List<(MemberBinding<TRow>, DataViewSchema.Column)>();
        foreach (var m in Members)
        {
            if (schema.GetColumnOrNull(m.ColumnName) is not { } col)
            {
                if (ignoreMissingColumns) continue;
                throw new ArgumentOutOfRangeException(nameof(schema),
                    $"Could not find column '{m.ColumnName}' for {m.Describe()}. {schema.DescribeColumns()}");
            }
            if (!m.CanBeWrittenFrom(col.Type))
                throw SchemaErrors.Mismatch("", m.ColumnName, $"{m.ColumnType} (for {m.Describe()})", col.Type.ToString()!);
            result.Add((m, col));
        }
        return result;
    }
}

/// <summary>One member bound to one column.</summary>
internal abstract class MemberBinding<TRow> where TRow : class
{
    protected MemberBinding(MemberInfo member, string columnName, DataViewType columnType, DataViewSchema.Annotations annotations)
    {
        Member = member;
        ColumnName = columnName;
        ColumnType = columnType;
        Annotations = annotations;
    }

    internal MemberInfo Member { get; }
    internal string ColumnName { get; }
    internal DataViewType ColumnType { get; }
    internal DataViewSchema.Annotations Annotations { get; }

    internal string Describe() => $"member {typeof(TRow).Name}.{Member.Name} ({RawTypes.Name(SchemaDefinition.MemberType(Member))})";

    /// <summary>A <c>ValueGetter&lt;ColumnType.RawType&gt;</c> reading the member of the object <paramref name="current"/> returns.</summary>
    internal abstract Delegate MakeGetter(Func<TRow> current, Func<long> position);

    /// <summary>An action writing <paramref name="row"/>'s value of <paramref name="column"/> into the member of an object.
    /// With <paramref name="reuse"/> the member's current buffers (arrays, vectors) are reused when large enough.</summary>
    internal abstract Action<TRow> MakeSetter(DataViewRow row, DataViewSchema.Column column, bool reuse);

    /// <summary>Whether a column of <paramref name="type"/> can be written into this member.</summary>
    internal bool CanBeWrittenFrom(DataViewType type)
    {
        if (type.RawType != ColumnType.RawType) return false;
        // A declared size must agree with a known column size; a variable-size column is checked row by row.
        return ColumnType switch
        {
            VectorDataViewType { IsKnownSize: true } d => type is VectorDataViewType v && (!v.IsKnownSize || v.Size == d.Size),
            ImageDataViewType { IsKnownSize: true } d => type is ImageDataViewType i && (!i.IsKnownSize || i.Equals(d)),
            _ => true,
        };
    }

    /// <summary>Checks a value against the declared size; the message names the column, member and row.</summary>
    protected void CheckSize(int length, long position)
    {
        if (ColumnType is VectorDataViewType { IsKnownSize: true } v && length != v.Size)
            throw new InvalidOperationException($"Column '{ColumnName}' ({Describe()}), row {position}: expected {v.Size} items ({v}), got {length}.");
    }

    protected void CheckImage(MLImage? image, long position)
    {
        if (image == null)
            throw new InvalidOperationException($"Column '{ColumnName}' ({Describe()}), row {position}: the image is null.");
        if (ColumnType is ImageDataViewType { IsKnownSize: true } t && (image.Height != t.Height || image.Width != t.Width))
            throw new InvalidOperationException($"Column '{ColumnName}' ({Describe()}), row {position}: expected a {t.Height} x {t.Width} image ({t}), got {image.Height} x {image.Width}.");
    }

    internal static MemberBinding<TRow> Create(MemberInfo member, string columnName, DataViewType columnType,
        DataViewSchema.Annotations annotations, SchemaDefinition.Direction direction)
    {
        var memberType = SchemaDefinition.MemberType(member);
        string where = $"{typeof(TRow).Name}.{member.Name} ({RawTypes.Name(memberType)})";
        var ctx = new Context(member, columnName, columnType, annotations, direction);
        if (memberType == typeof(string))
        {
            if (columnType is not TextDataViewType) throw BadType(where, columnType);
            return new StringBinding(ctx);
        }
        if (memberType.IsArray)
        {
            if (columnType is not VectorDataViewType v || v.ItemType.RawType != memberType.GetElementType())
                throw BadType(where, columnType);
            return RawTypes.TryVisitPrimitive(v.ItemType.RawType, new ArrayFactory(ctx), out var b) ? b : throw BadType(where, columnType);
        }
        if (columnType.RawType != memberType) throw BadType(where, columnType);
        return RawTypes.Visit(columnType, new DirectFactory(ctx));
    }

    private static InvalidOperationException BadType(string where, DataViewType columnType) =>
        new($"{where} cannot hold a column of type {columnType}.");

    private sealed record Context(MemberInfo Member, string ColumnName, DataViewType ColumnType,
        DataViewSchema.Annotations Annotations, SchemaDefinition.Direction Direction);

    /// <summary>Delegates reading and writing a member of type <typeparamref name="TMember"/>.</summary>
    private static (Func<TRow, TMember>? Get, Action<TRow, TMember>? Set) Accessors<TMember>(MemberInfo m) => m switch
    {
        PropertyInfo p => (p.GetMethod?.IsPublic == true ? p.GetMethod.CreateDelegate<Func<TRow, TMember>>() : null,
                           p.SetMethod?.IsPublic == true ? p.SetMethod.CreateDelegate<Action<TRow, TMember>>() : null),
        FieldInfo f => (r => (TMember)f.GetValue(r)!, f.IsInitOnly ? null : (r, v) => f.SetValue(r, v)),
        _ => (null, null),
    };

    /// <summary>Base of the typed bindings: holds the member accessors and fails clearly when one is missing.</summary>
    private abstract class Typed<TMember> : MemberBinding<TRow>
    {
        protected readonly Func<TRow, TMember>? Get;
        protected readonly Action<TRow, TMember>? Set;

        protected Typed(Context c) : base(c.Member, c.ColumnName, c.ColumnType, c.Annotations)
        {
            (Get, Set) = Accessors<TMember>(c.Member);
            if (c.Direction.HasFlag(SchemaDefinition.Direction.Read) && Get == null)
                throw new InvalidOperationException($"{Describe()} has no public getter, so it cannot be read into column '{ColumnName}'.");
            if (c.Direction.HasFlag(SchemaDefinition.Direction.Write) && Set == null)
                throw new InvalidOperationException($"{Describe()} has no public setter, so column '{ColumnName}' cannot be written into it.");
        }

        protected TMember Read(TRow row) => Get!(row);
        protected void Write(TRow row, TMember value) => Set!(row, value);
        protected TMember ReadForReuse(TRow row, bool reuse) => reuse && Get != null ? Get(row) : default!;
    }

    /// <summary>Member type equals the column's raw type (numbers, bool, keys, ReadOnlyMemory&lt;char&gt;, VBuffer, MLImage).</summary>
    private sealed class DirectBinding<T>(Context c) : Typed<T>(c)
    {
        internal override Delegate MakeGetter(Func<TRow> current, Func<long> position) =>
            new ValueGetter<T>((ref T dst) =>
            {
                var v = Read(current());
                if (v is IVBufferLength vb) CheckSize(vb.Length, position());
                else if (typeof(T) == typeof(MLImage)) CheckImage(v as MLImage, position());
                DataValue<T>.Copy(in v, ref dst);
            });

        internal override Action<TRow> MakeSetter(DataViewRow row, DataViewSchema.Column column, bool reuse)
        {
            var getter = row.GetGetter<T>(column);
            return obj =>
            {
                var v = ReadForReuse(obj, reuse);
                getter(ref v);
                Write(obj, v);
            };
        }
    }

    /// <summary>A string member as a Text column (null reads as empty text).</summary>
    private sealed class StringBinding(Context c) : Typed<string>(c)
    {
        internal override Delegate MakeGetter(Func<TRow> current, Func<long> position) =>
            new ValueGetter<ReadOnlyMemory<char>>((ref ReadOnlyMemory<char> dst) => dst = (Read(current()) ?? "").AsMemory());

        internal override Action<TRow> MakeSetter(DataViewRow row, DataViewSchema.Column column, bool reuse)
        {
            var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> v = default;
            return obj =>
            {
                getter(ref v);
                Write(obj, v.ToString());
            };
        }
    }

    /// <summary>A T[] member as a vector column.</summary>
    private sealed class ArrayBinding<T>(Context c) : Typed<T[]>(c)
    {
        internal override Delegate MakeGetter(Func<TRow> current, Func<long> position) =>
            new ValueGetter<VBuffer<T>>((ref VBuffer<T> dst) =>
            {
                var a = Read(current());
                if (a == null && ColumnType is VectorDataViewType { IsKnownSize: true })
                    throw new InvalidOperationException($"Column '{ColumnName}' ({Describe()}), row {position()}: the array is null.");
                a ??= [];
                CheckSize(a.Length, position());
                VBuffer<T>.Copy(a, 0, ref dst, a.Length);
            });

        internal override Action<TRow> MakeSetter(DataViewRow row, DataViewSchema.Column column, bool reuse)
        {
            var getter = row.GetGetter<VBuffer<T>>(column);
            VBuffer<T> buffer = default;
            return obj =>
            {
                getter(ref buffer);
                var a = ReadForReuse(obj, reuse);
                if (a == null || a.Length != buffer.Length) a = new T[buffer.Length];
                buffer.CopyTo(a);
                Write(obj, a);
            };
        }
    }

    private sealed class DirectFactory(Context c) : IRawTypeVisitor<MemberBinding<TRow>>
    {
        public MemberBinding<TRow> Visit<T>() => new DirectBinding<T>(c);
    }

    private sealed class ArrayFactory(Context c) : IRawTypeVisitor<MemberBinding<TRow>>
    {
        public MemberBinding<TRow> Visit<T>() => new ArrayBinding<T>(c);
    }
}
