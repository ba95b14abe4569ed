// The column type system, mirroring Microsoft.ML.Data's DataViewType family. ToString() gives the names
// used in every schema error message ("Single", "Text", "Vector<Single, 784>", "Key<UInt32, 10>").
namespace PixelCnn.ML.Data;

/// <summary>Base class of all column types. <see cref="RawType"/> is the .NET type a getter delivers.</summary>
public abstract class DataViewType : IEquatable<DataViewType>
{
    private protected DataViewType(Type rawType)
    {
        RawType = rawType ?? throw new ArgumentNullException(nameof(rawType));
    }

    /// <summary>The representation type of values of this column type (not unique: a key and UInt32 share <c>uint</c>).</summary>
    public Type RawType { get; }

    /// <summary>Whether both describe the same column type.</summary>
    public abstract bool Equals(DataViewType? other);

    public sealed override bool Equals(object? obj) => obj is DataViewType t && Equals(t);
    public override int GetHashCode() => RawType.GetHashCode();
}

/// <summary>Types whose values are not freely copyable by assignment (vectors, images).</summary>
public abstract class StructuredDataViewType : DataViewType
{
    protected StructuredDataViewType(Type rawType) : base(rawType) { }
}

/// <summary>Types whose values can be copied by assignment without concern for ownership.</summary>
public abstract class PrimitiveDataViewType : DataViewType
{
    protected PrimitiveDataViewType(Type rawType) : base(rawType)
    {
        if (typeof(IDisposable).IsAssignableFrom(rawType))
            throw new ArgumentException($"A {nameof(PrimitiveDataViewType)} cannot have a disposable raw type ({rawType.Name}).", nameof(rawType));
    }
}

/// <summary>Text. Values are <see cref="ReadOnlyMemory{T}"/> of <see cref="char"/>, as in ML.NET.</summary>
public sealed class TextDataViewType : PrimitiveDataViewType
{
    /// <summary>The single instance.</summary>
    public static TextDataViewType Instance { get; } = new();
    private TextDataViewType() : base(typeof(ReadOnlyMemory<char>)) { }
    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);
    /// <summary>"Text" (ML.NET prints "String"; "Text" matches the class name and reads better in errors).</summary>
    public override string ToString() => "Text";
}

/// <summary>Booleans.</summary>
public sealed class BooleanDataViewType : PrimitiveDataViewType
{
    /// <summary>The single instance.</summary>
    public static BooleanDataViewType Instance { get; } = new();
    private BooleanDataViewType() : base(typeof(bool)) { }
    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);
    public override string ToString() => "Boolean";
}

/// <summary>Numbers. All instances are the singletons exposed as static properties.</summary>
public sealed class NumberDataViewType : PrimitiveDataViewType
{
    private NumberDataViewType(Type rawType) : base(rawType) { }

    public static NumberDataViewType SByte { get; } = new(typeof(sbyte));
    public static NumberDataViewType Byte { get; } = new(typeof(byte));
    public static NumberDataViewType Int16 { get; } = new(typeof(short));
    public static NumberDataViewType UInt16 { get; } = new(typeof(ushort));
    public static NumberDataViewType Int32 { get; } = new(typeof(int));
    public static NumberDataViewType UInt32 { get; } = new(typeof(uint));
    public static NumberDataViewType Int64 { get; } = new(typeof(long));
    public static NumberDataViewType UInt64 { get; } = new(typeof(ulong));
    public static NumberDataViewType Single { get; } = new(typeof(float));
    public static NumberDataViewType Double { get; } = new(typeof(double));

    /// <summary>The number type whose raw type is <paramref name="rawType"/>, or null.</summary>
    internal static NumberDataViewType? FromRawType(Type rawType) =>
        rawType == typeof(sbyte) ? SByte : rawType == typeof(byte) ? Byte :
        rawType == typeof(short) ? Int16 : rawType == typeof(ushort) ? UInt16 :
        rawType == typeof(int) ? Int32 : rawType == typeof(uint) ? UInt32 :
        rawType == typeof(long) ? Int64 : rawType == typeof(ulong) ? UInt64 :
        rawType == typeof(float) ? Single : rawType == typeof(double) ? Double : null;

    public override bool Equals(DataViewType? other) => ReferenceEquals(other, this);
    public override string ToString() => RawType.Name;
}

/// <summary>
/// A key: a categorical value stored as an unsigned integer in 1..<see cref="Count"/>, 0 meaning missing
/// (as ML.NET's label keys). Raw type byte, ushort, uint or ulong.
/// </summary>
public sealed class KeyDataViewType : PrimitiveDataViewType
{
    /// <summary>A key type over <paramref name="type"/> (byte, ushort, uint or ulong) with <paramref name="count"/> values.</summary>
    public KeyDataViewType(Type type, ulong count) : base(type)
    {
        if (!IsValidDataType(type))
            throw new ArgumentException($"A key type must have raw type Byte, UInt16, UInt32 or UInt64, not {type.Name}.", nameof(type));
        if (count == 0)
            throw new ArgumentOutOfRangeException(nameof(count), "A key type must have a positive count.");
        if (count - 1 > MaxValue(type))
            throw new ArgumentOutOfRangeException(nameof(count), $"Count {count} does not fit key raw type {type.Name}.");
        Count = count;
    }

    /// <inheritdoc cref="KeyDataViewType(Type, ulong)"/>
    public KeyDataViewType(Type type, int count) : this(type, count > 0 ? (ulong)count : throw new ArgumentOutOfRangeException(nameof(count), "A key type must have a positive count.")) { }

    /// <summary>The number of key values (key values run 1..Count; 0 is missing).</summary>
    public ulong Count { get; }

    /// <summary>Whether <paramref name="type"/> can be the raw type of a key.</summary>
    public static bool IsValidDataType(Type type) =>
        type == typeof(byte) || type == typeof(ushort) || type == typeof(uint) || type == typeof(ulong);

    private static ulong MaxValue(Type t) =>
        t == typeof(byte) ? byte.MaxValue : t == typeof(ushort) ? ushort.MaxValue : t == typeof(uint) ? uint.MaxValue : ulong.MaxValue;

    public override bool Equals(DataViewType? other) =>
        other is KeyDataViewType k && k.RawType == RawType && k.Count == Count;
    public override int GetHashCode() => HashCode.Combine(RawType, Count);
    public override string ToString() => $"Key<{RawType.Name}, {Count}>";
}
