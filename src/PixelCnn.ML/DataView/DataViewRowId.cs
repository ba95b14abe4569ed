namespace PixelCnn.ML.Data;

/// <summary>A 128-bit row identifier, stable across cursorings of one data view (as ML.NET's DataViewRowId).</summary>
public readonly struct DataViewRowId : IEquatable<DataViewRowId>, IComparable<DataViewRowId>
{
    /// <summary>The low 64 bits.</summary>
    public readonly ulong Low;

    /// <summary>The high 64 bits.</summary>
    public readonly ulong High;

    public DataViewRowId(ulong low, ulong high)
    {
        Low = low;
        High = high;
    }

    public bool Equals(DataViewRowId other) => Low == other.Low && High == other.High;
    public override bool Equals(object? obj) => obj is DataViewRowId o && Equals(o);
    public override int GetHashCode() => HashCode.Combine(Low, High);
    public int CompareTo(DataViewRowId other) => High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);
    public static bool operator ==(DataViewRowId a, DataViewRowId b) => a.Equals(b);
    public static bool operator !=(DataViewRowId a, DataViewRowId b) => !a.Equals(b);
    public override string ToString() => $"{High:X16}{Low:X16}";
}
