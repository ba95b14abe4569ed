// VBuffer<T>: the value type of vector columns, mirroring Microsoft.ML.Data.VBuffer<T> in shape.
// Deviation: only dense vectors exist here. Every constructor that ML.NET offers for sparse data throws
// NotSupportedException when given indices, so code written for ML.NET fails loudly instead of silently
// misreading a sparse layout. Buffers are reused across rows (through VBufferEditor), as in ML.NET: a VBuffer
// obtained from a getter stays valid until the next call of that getter with the same destination.
using System.Runtime.InteropServices;
using System.Text;

namespace PixelCnn.ML.Data;

/// <summary>A dense vector of <typeparamref name="T"/> of logical length <see cref="Length"/>.</summary>
/// <remarks>The backing array may be longer than <see cref="Length"/> (capacity kept for reuse); only the first
/// <see cref="Length"/> items are the value. Sparse vectors are not supported (a stated deviation from ML.NET).</remarks>
[StructLayout(LayoutKind.Auto)]
public readonly struct VBuffer<T> : IVBufferLength
{
    private readonly T[]? _values;

    /// <summary>The logical length of the vector.</summary>
    public readonly int Length;

    /// <summary>A dense vector over the first <paramref name="length"/> items of <paramref name="values"/> (not copied).</summary>
    /// <param name="length">The logical length.</param>
    /// <param name="values">The items; at least <paramref name="length"/> long.</param>
    /// <param name="indices">Must be null: sparse vectors are not supported.</param>
    public VBuffer(int length, T[] values, int[]? indices = null)
    {
        if (indices != null) throw SparseNotSupported();
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > 0) ArgumentNullException.ThrowIfNull(values);
        if (values != null && values.Length < length)
            throw new ArgumentException($"The values array has {values.Length} items, fewer than the length {length}.", nameof(values));
        Length = length;
        _values = values;
    }

    /// <summary>ML.NET's general constructor; only the dense form (<paramref name="count"/> == <paramref name="length"/>, no indices) is accepted.</summary>
    public VBuffer(int length, int count, T[] values, int[]? indices = null) : this(length, values, indices)
    {
        if (count != length) throw SparseNotSupported();
    }

    int IVBufferLength.Length => Length;

    /// <summary>Always true: sparse vectors are not supported.</summary>
    public bool IsDense => true;

    /// <summary>The items, <see cref="Length"/> of them.</summary>
    public ReadOnlySpan<T> GetValues() => Length == 0 ? ReadOnlySpan<T>.Empty : new ReadOnlySpan<T>(_values, 0, Length);

    /// <summary>Always empty (dense vectors have no indices).</summary>
    public ReadOnlySpan<int> GetIndices() => ReadOnlySpan<int>.Empty;

    /// <summary>Whether <c>GetValues()</c>'s backing array can be reused for a vector of <paramref name="length"/> items.</summary>
    internal bool HasCapacity(int length) => _values != null && _values.Length >= length;

    internal T[]? Buffer => _values;

    /// <summary>The items as a sequence (a copy is taken, so it stays valid if this buffer is reused).</summary>
    public IEnumerable<T> DenseValues() => GetValues().ToArray();

    /// <summary>Index/value pairs of every item (dense: <paramref name="all"/> makes no difference).</summary>
    public IEnumerable<KeyValuePair<int, T>> Items(bool all = false)
    {
        var copy = GetValues().ToArray();
        return copy.Select((v, i) => new KeyValuePair<int, T>(i, v));
    }

    /// <summary>The item at <paramref name="index"/>.</summary>
    public T GetItemOrDefault(int index)
    {
        if ((uint)index >= (uint)Length) throw new ArgumentOutOfRangeException(nameof(index), $"Index {index} is outside a vector of length {Length}.");
        return _values![index];
    }

    /// <summary>Copies the items to <paramref name="destination"/>, which must hold at least <see cref="Length"/> items.</summary>
    public void CopyTo(Span<T> destination) => GetValues().CopyTo(destination);

    /// <summary>Copies the items to <paramref name="destination"/> starting at <paramref name="destinationIndex"/>.</summary>
    public void CopyTo(Span<T> destination, int destinationIndex) => GetValues().CopyTo(destination[destinationIndex..]);

    /// <summary>Copies this vector into <paramref name="destination"/>, reusing its buffer when large enough.</summary>
    public void CopyTo(ref VBuffer<T> destination)
    {
        var editor = VBufferEditor.Create(ref destination, Length);
        GetValues().CopyTo(editor.Values);
        destination = editor.Commit();
    }

    /// <summary>Same as <see cref="CopyTo(ref VBuffer{T})"/> (every vector is dense here).</summary>
    public void CopyToDense(ref VBuffer<T> destination) => CopyTo(ref destination);

    /// <summary>Copies <paramref name="length"/> items of <paramref name="source"/> from <paramref name="sourceIndex"/> into <paramref name="destination"/>.</summary>
    public static void Copy(T[] source, int sourceIndex, ref VBuffer<T> destination, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        var editor = VBufferEditor.Create(ref destination, length);
        source.AsSpan(sourceIndex, length).CopyTo(editor.Values);
        destination = editor.Commit();
    }

    internal static NotSupportedException SparseNotSupported() =>
        new("Sparse VBuffer values are not supported by PixelCnn.ML: pass dense values (no indices, count == length).");

    public override string ToString()
    {
        var sb = new StringBuilder("[");
        var v = GetValues();
        for (int i = 0; i < v.Length && i < 16; i++) sb.Append(i == 0 ? "" : ", ").Append(v[i]);
        if (v.Length > 16) sb.Append(", ...");
        return sb.Append(']').ToString();
    }
}

/// <summary>The length of a vector of any item type, for checks that do not know the item type.</summary>
internal interface IVBufferLength
{
    int Length { get; }
}

/// <summary>Creates <see cref="VBufferEditor{T}"/>s (as ML.NET's VBufferEditor).</summary>
public static class VBufferEditor
{
    /// <summary>
    /// An editor to write a vector of <paramref name="newLogicalLength"/> items into <paramref name="destination"/>,
    /// reusing its array when it is large enough. Write <see cref="VBufferEditor{T}.Values"/>, then assign
    /// <see cref="VBufferEditor{T}.Commit"/> back to the destination.
    /// </summary>
    /// <param name="destination">The buffer whose storage is reused.</param>
    /// <param name="newLogicalLength">The new length.</param>
    /// <param name="valuesCount">Must be null or equal to <paramref name="newLogicalLength"/> (dense only).</param>
    /// <param name="keepOldOnResize">When a new array is allocated, copy the old items into it.</param>
    public static VBufferEditor<T> Create<T>(ref VBuffer<T> destination, int newLogicalLength, int? valuesCount = null, bool keepOldOnResize = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(newLogicalLength);
        if (valuesCount.HasValue && valuesCount.Value != newLogicalLength) throw VBuffer<T>.SparseNotSupported();
        T[] values;
        bool created = false;
        if (destination.HasCapacity(newLogicalLength)) values = destination.Buffer!;
        else
        {
            values = newLogicalLength == 0 ? [] : new T[newLogicalLength];
            created = true;
            if (keepOldOnResize) destination.GetValues()[..Math.Min(destination.Length, newLogicalLength)].CopyTo(values);
        }
        return new VBufferEditor<T>(newLogicalLength, values, created);
    }

    /// <summary>An editor over the existing items of <paramref name="destination"/> (same length).</summary>
    public static VBufferEditor<T> CreateFromBuffer<T>(ref VBuffer<T> destination) =>
        new(destination.Length, destination.Buffer ?? [], false);
}

/// <summary>Writes the items of a <see cref="VBuffer{T}"/>; see <see cref="VBufferEditor.Create{T}"/>.</summary>
public readonly ref struct VBufferEditor<T>
{
    private readonly int _length;
    private readonly T[] _values;

    internal VBufferEditor(int length, T[] values, bool createdNewValues)
    {
        _length = length;
        _values = values;
        CreatedNewValues = createdNewValues;
    }

    /// <summary>The items to write.</summary>
    public Span<T> Values => _values.AsSpan(0, _length);

    /// <summary>Whether a new array was allocated (so the old contents are not in <see cref="Values"/>).</summary>
    public bool CreatedNewValues { get; }

    /// <summary>The finished vector.</summary>
    public VBuffer<T> Commit() => new(_length, _values);
}
