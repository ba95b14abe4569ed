// Attributes that shape the columns LoadFromEnumerable / CreateEnumerable / PredictionEngine derive from a
// class's public fields and properties, as in Microsoft.ML.Data.
namespace PixelCnn.ML.Data;

/// <summary>Names the column a field or property maps to (default: the member's name).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ColumnNameAttribute(string name) : Attribute
{
    public string Name { get; } = !string.IsNullOrEmpty(name) ? name : throw new ArgumentException("A column name cannot be empty.", nameof(name));
}

/// <summary>Excludes a field or property from the columns.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class NoColumnAttribute : Attribute { }

/// <summary>
/// Marks an array or <see cref="VBuffer{T}"/> member as a vector of known dimensions (row-major, e.g. 1, 28, 28);
/// without dimensions, or without this attribute, the vector has variable size.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class VectorTypeAttribute : Attribute
{
    /// <summary>A variable-size vector.</summary>
    public VectorTypeAttribute() => Dimensions = [];

    /// <summary>A vector of <paramref name="size"/> items.</summary>
    public VectorTypeAttribute(int size) => Dimensions = [size];

    /// <summary>A vector with the given dimensions.</summary>
    public VectorTypeAttribute(params int[] dimensions) => Dimensions = dimensions ?? [];

    /// <summary>The dimensions; empty for a variable-size vector.</summary>
    public int[] Dimensions { get; }
}

/// <summary>Marks an <see cref="MLImage"/> member as an image column of known size.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ImageTypeAttribute(int height, int width) : Attribute
{
    public int Height { get; } = height;
    public int Width { get; } = width;
}

/// <summary>Marks an unsigned integer member as a key with <see cref="Count"/> values (1..Count, 0 = missing), e.g. a class label.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class KeyTypeAttribute(ulong count) : Attribute
{
    public ulong Count { get; } = count;
}
