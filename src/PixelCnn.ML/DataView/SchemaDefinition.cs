// SchemaDefinition mirrors Microsoft.ML.Data.SchemaDefinition: the columns a class maps to, derived from its
// public fields and properties and their attributes, and editable before use (e.g. to set a vector size known
// only at run time: def["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, n)).
using System.Diagnostics.CodeAnalysis;
using System.Reflection;

namespace PixelCnn.ML.Data;

/// <summary>The columns of a class: member name, column name, column type and annotations.</summary>
public sealed class SchemaDefinition : List<SchemaDefinition.Column>
{
    internal const DynamicallyAccessedMemberTypes MemberTypes =
        DynamicallyAccessedMemberTypes.PublicFields | DynamicallyAccessedMemberTypes.PublicProperties;

    /// <summary>Which way data flows between the class and a data view.</summary>
    [Flags]
    public enum Direction
    {
        /// <summary>Objects are read into a data view (LoadFromEnumerable, prediction input): members need getters.</summary>
        Read = 1,
        /// <summary>Objects are written from a data view (CreateEnumerable, prediction output): members need setters.</summary>
        Write = 2,
        Both = Read | Write,
    }

    /// <summary>The column named <paramref name="columnName"/>.</summary>
    public Column this[string columnName] =>
        Find(c => c.ColumnName == columnName)
        ?? throw new KeyNotFoundException($"The schema definition has no column '{columnName}'. Columns: {string.Join(", ", this.Select(c => c.ColumnName))}.");

    /// <summary>
    /// The columns of <paramref name="userType"/>'s public instance fields and properties, honouring
    /// <see cref="ColumnNameAttribute"/>, <see cref="NoColumnAttribute"/>, <see cref="VectorTypeAttribute"/>,
    /// <see cref="ImageTypeAttribute"/> and <see cref="KeyTypeAttribute"/>. Properties without the accessor the
    /// direction needs are left out. Supported member types: float, double, sbyte, byte, short, ushort, int, uint,
    /// long, ulong, bool, string and ReadOnlyMemory&lt;char&gt; (Text); arrays and VBuffer&lt;T&gt; of the numbers
    /// and bool (vectors); <see cref="MLImage"/> (images).
    /// </summary>
    public static SchemaDefinition Create([DynamicallyAccessedMembers(MemberTypes)] Type userType, Direction direction = Direction.Both)
    {
        ArgumentNullException.ThrowIfNull(userType);
        var def = new SchemaDefinition();
        var members = userType.GetFields(BindingFlags.Public | BindingFlags.Instance).Cast<MemberInfo>()
            .Concat(userType.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0));
        foreach (var m in members)
        {
            if (m.GetCustomAttribute<NoColumnAttribute>() != null) continue;
            if (m is PropertyInfo p && ((direction.HasFlag(Direction.Read) && !p.CanRead) || (direction.HasFlag(Direction.Write) && !p.CanWrite))) continue;
            if (m is FieldInfo f && direction.HasFlag(Direction.Write) && f.IsInitOnly) continue;
            var name = m.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? m.Name;
            if (def.Exists(c => c.ColumnName == name))
                throw new InvalidOperationException($"{userType.Name}.{m.Name}: column name '{name}' is used by two members.");
            def.Add(new Column(m.Name, InferType(userType, m), name));
        }
        return def;
    }

    private static DataViewType InferType(Type userType, MemberInfo m)
    {
        var t = MemberType(m);
        string Where() => $"{userType.Name}.{m.Name} ({RawTypes.Name(t)})";
        var vec = m.GetCustomAttribute<VectorTypeAttribute>();
        var img = m.GetCustomAttribute<ImageTypeAttribute>();
        var key = m.GetCustomAttribute<KeyTypeAttribute>();
        var item = t.IsArray ? t.GetElementType()! : RawTypes.IsVBuffer(t, out var vi) ? vi : null;
        if (vec != null && item == null) throw new InvalidOperationException($"{Where()}: [VectorType] needs an array or VBuffer member.");
        if (img != null && t != typeof(MLImage)) throw new InvalidOperationException($"{Where()}: [ImageType] needs an MLImage member.");
        if (key != null && !KeyDataViewType.IsValidDataType(t)) throw new InvalidOperationException($"{Where()}: [KeyType] needs a byte, ushort, uint or ulong member.");
        if (key != null) return new KeyDataViewType(t, key.Count);
        if (t == typeof(MLImage)) return img == null ? new ImageDataViewType() : new ImageDataViewType(img.Height, img.Width);
        if (item != null)
        {
            var itemType = PrimitiveOf(item) ?? throw Unsupported(Where());
            if (itemType is TextDataViewType) throw Unsupported(Where());
            return new VectorDataViewType(itemType, vec?.Dimensions ?? []);
        }
        return PrimitiveOf(t) ?? throw Unsupported(Where());
    }

    /// <summary>The column type of a scalar member type, or null.</summary>
    internal static PrimitiveDataViewType? PrimitiveOf(Type t) =>
        (PrimitiveDataViewType?)NumberDataViewType.FromRawType(t)
        ?? (t == typeof(bool) ? BooleanDataViewType.Instance
        : t == typeof(string) || t == typeof(ReadOnlyMemory<char>) ? TextDataViewType.Instance
        : null);

    internal static Type MemberType(MemberInfo m) => m switch
    {
        FieldInfo f => f.FieldType,
        PropertyInfo p => p.PropertyType,
        _ => throw new ArgumentException($"{m.Name} is not a field or property."),
    };

    private static NotSupportedException Unsupported(string where) =>
        new($"{where}: unsupported member type. Use float, double, an integer type, bool, string, an array or VBuffer of numbers or bool, or MLImage; or mark it [NoColumn].");

    /// <summary>One column: which member, which name, which type.</summary>
    public sealed class Column
    {
        private readonly DataViewSchema.Annotations.Builder _annotations = new();

        /// <summary>Maps member <paramref name="memberName"/> to a column of <paramref name="columnType"/> named
        /// <paramref name="columnName"/> (default: the member's name).</summary>
        public Column(string memberName, DataViewType columnType, string? columnName = null)
        {
            ArgumentException.ThrowIfNullOrEmpty(memberName);
            MemberName = memberName;
            ColumnType = columnType ?? throw new ArgumentNullException(nameof(columnType));
            ColumnName = columnName ?? memberName;
        }

        /// <summary>The field or property.</summary>
        public string MemberName { get; set; }

        /// <summary>The column's name.</summary>
        public string ColumnName { get; set; }

        /// <summary>The column's type; change it to e.g. set a vector size known only at run time.</summary>
        public DataViewType ColumnType { get; set; }

        /// <summary>Attaches an annotation (e.g. <see cref="AnnotationUtils.Kinds.KeyValues"/> with class names).</summary>
        public void AddAnnotation<TValue>(string kind, TValue value, DataViewType annotationType) =>
            _annotations.Add(kind, annotationType, value);

        internal DataViewSchema.Annotations Annotations => _annotations.ToAnnotations();

        public override string ToString() => $"{MemberName} -> {ColumnName}: {ColumnType}";
    }
}
