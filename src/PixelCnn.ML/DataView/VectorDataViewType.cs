using System.Collections.Immutable;

namespace PixelCnn.ML.Data;

/// <summary>
/// A vector of a primitive item type, of known or variable size. Values are <see cref="VBuffer{T}"/>.
/// Several dimensions (e.g. C, H, W) describe a known-size tensor laid out row-major; <see cref="Size"/> is
/// their product. A dimension of 0 means "unknown" and makes the whole vector variable-size.
/// </summary>
public sealed class VectorDataViewType : StructuredDataViewType
{
    /// <summary>A variable-size vector of <paramref name="itemType"/>.</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType) : this(itemType, 0) { }

    /// <summary>A vector of <paramref name="itemType"/> with the given dimensions (row-major).</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType, params int[] dimensions)
        : base(VBufferRawType(itemType))
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length == 0) dimensions = [0];
        long size = 1;
        foreach (var d in dimensions)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(dimensions), $"Vector dimensions must be non-negative, got [{string.Join(", ", dimensions)}].");
            size *= d;
            if (size > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(dimensions), $"Vector size {size} is larger than Int32.MaxValue.");
        }
        ItemType = itemType;
        Dimensions = [.. dimensions];
        Size = (int)size;
    }

    /// <summary>A vector of <paramref name="itemType"/> with the given dimensions.</summary>
    public VectorDataViewType(PrimitiveDataViewType itemType, ImmutableArray<int> dimensions) : this(itemType, dimensions.ToArray()) { }

    /// <summary>The type of each item.</summary>
    public PrimitiveDataViewType ItemType { get; }

    /// <summary>The dimensions (row-major); a single 0 for a variable-size vector.</summary>
    public ImmutableArray<int> Dimensions { get; }

    /// <summary>Whether every vector of this type has <see cref="Size"/> items.</summary>
    public bool IsKnownSize => Size > 0;

    /// <summary>The number of items, or 0 if variable.</summary>
    public int Size { get; }

    private static Type VBufferRawType(PrimitiveDataViewType itemType)
    {
        ArgumentNullException.ThrowIfNull(itemType);
        return RawTypes.VBufferOf(itemType.RawType)
            ?? throw new ArgumentException($"Vectors of {itemType} are not supported.", nameof(itemType));
    }

    public override bool Equals(DataViewType? other) =>
        other is VectorDataViewType v && v.ItemType.Equals(ItemType) && v.Dimensions.SequenceEqual(Dimensions);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(ItemType);
        foreach (var d in Dimensions) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>"Vector&lt;Single, 784&gt;", "Vector&lt;Single, 1, 28, 28&gt;" or "Vector&lt;Single&gt;" (variable size).</summary>
    public override string ToString() =>
        IsKnownSize ? $"Vector<{ItemType}, {string.Join(", ", Dimensions)}>" : $"Vector<{ItemType}>";
}
