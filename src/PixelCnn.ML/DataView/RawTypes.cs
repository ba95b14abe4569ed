// Turns a column's runtime raw type into a compile-time generic argument without reflection-emitted generics
// (MakeGenericType/MakeGenericMethod), so the library stays trimming- and NativeAOT-friendly. Every component
// that must hold values of a column whose type it only learns at run time (buffers, copies, shuffles) goes
// through here; the list below is the complete set of raw types the data plane carries.
using System.Diagnostics.CodeAnalysis;

namespace PixelCnn.ML.Data;

/// <summary>Receives a generic type argument chosen at run time.</summary>
internal interface IRawTypeVisitor<out TResult>
{
    TResult Visit<T>();
}

/// <summary>Copies a value so that the copy shares no mutable buffer with the source.</summary>
internal delegate void RefCopier<T>(in T source, ref T destination);

internal static class RawTypes
{
    /// <summary>Calls <paramref name="visitor"/> with the item raw type <paramref name="type"/> of a primitive column type.</summary>
    internal static bool TryVisitPrimitive<TResult>(Type type, IRawTypeVisitor<TResult> visitor, [MaybeNullWhen(false)] out TResult result)
    {
        result = default;
        if (type == typeof(float)) result = visitor.Visit<float>();
        else if (type == typeof(double)) result = visitor.Visit<double>();
        else if (type == typeof(byte)) result = visitor.Visit<byte>();
        else if (type == typeof(sbyte)) result = visitor.Visit<sbyte>();
        else if (type == typeof(short)) result = visitor.Visit<short>();
        else if (type == typeof(ushort)) result = visitor.Visit<ushort>();
        else if (type == typeof(int)) result = visitor.Visit<int>();
        else if (type == typeof(uint)) result = visitor.Visit<uint>();
        else if (type == typeof(long)) result = visitor.Visit<long>();
        else if (type == typeof(ulong)) result = visitor.Visit<ulong>();
        else if (type == typeof(bool)) result = visitor.Visit<bool>();
        else if (type == typeof(ReadOnlyMemory<char>)) result = visitor.Visit<ReadOnlyMemory<char>>();
        else return false;
        return true;
    }

    /// <summary>Calls <paramref name="visitor"/> with the raw type of any column type the data plane carries.</summary>
    internal static TResult Visit<TResult>(DataViewType columnType, IRawTypeVisitor<TResult> visitor)
    {
        var raw = columnType.RawType;
        if (raw == typeof(MLImage)) return visitor.Visit<MLImage>();
        if (raw == typeof(DataViewRowId)) return visitor.Visit<DataViewRowId>();
        if (IsVBuffer(raw, out var item) && TryVisitPrimitive(item, new VBufferVisitor<TResult>(visitor), out var v)) return v;
        if (TryVisitPrimitive(raw, visitor, out var p)) return p;
        throw new NotSupportedException($"Columns of type {columnType} (raw type {raw.Name}) are not supported here.");
    }

    /// <summary>Whether <paramref name="type"/> is <c>VBuffer&lt;item&gt;</c>.</summary>
    internal static bool IsVBuffer(Type type, [NotNullWhen(true)] out Type? item)
    {
        item = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(VBuffer<>) ? type.GetGenericArguments()[0] : null;
        return item != null;
    }

    /// <summary><c>typeof(VBuffer&lt;item&gt;)</c>, or null when vectors of <paramref name="item"/> are not supported.</summary>
    internal static Type? VBufferOf(Type item) => TryVisitPrimitive(item, VBufferTypeVisitor.Instance, out var t) ? t : null;

    /// <summary>A short name for error messages: "Single", "VBuffer&lt;Single&gt;", "Single[]".</summary>
    internal static string Name(Type t) =>
        IsVBuffer(t, out var item) ? $"VBuffer<{Name(item)}>" :
        t == typeof(ReadOnlyMemory<char>) ? "ReadOnlyMemory<Char>" :
        t.IsArray ? $"{Name(t.GetElementType()!)}[]" : t.Name;

    private sealed class VBufferVisitor<TResult>(IRawTypeVisitor<TResult> inner) : IRawTypeVisitor<TResult>
    {
        public TResult Visit<T>() => inner.Visit<VBuffer<T>>();
    }

    private sealed class VBufferTypeVisitor : IRawTypeVisitor<Type>
    {
        internal static readonly VBufferTypeVisitor Instance = new();
        public Type Visit<T>() => typeof(VBuffer<T>);
    }
}

/// <summary>Per-raw-type value copying: deep for <see cref="VBuffer{T}"/>, assignment for everything else.</summary>
internal static class DataValue<T>
{
    /// <summary>Copies <c>source</c> into <c>destination</c>, reusing the destination's buffers where it can.</summary>
    internal static readonly RefCopier<T> Copy =
        RawTypes.IsVBuffer(typeof(T), out var item) && RawTypes.TryVisitPrimitive(item, new VBufferCopier(), out var c)
            ? c
            : static (in T s, ref T d) => d = s;

    private sealed class VBufferCopier : IRawTypeVisitor<RefCopier<T>>
    {
        public RefCopier<T> Visit<TItem>() =>
            (RefCopier<T>)(object)new RefCopier<VBuffer<TItem>>(static (in VBuffer<TItem> s, ref VBuffer<TItem> d) => s.CopyTo(ref d));
    }
}
