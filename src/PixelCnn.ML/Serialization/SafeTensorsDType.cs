using System.Buffers.Binary;

namespace PixelCnn.ML.Serialization;

/// <summary>
/// The safetensors dtype strings this library reads and writes, with their element sizes. Any other
/// dtype in a file is rejected (allow-list), since the tensor binding has no matching type for it.
/// </summary>
public static class SafeTensorsDType
{
    public const string F64 = "F64";
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string I64 = "I64";
    public const string U8 = "U8";
    public const string Bool = "BOOL";

    /// <summary>Every supported dtype string.</summary>
    public static IReadOnlyList<string> Supported { get; } = [F64, F32, F16, BF16, I64, U8, Bool];

    /// <summary>True for a dtype string on the allow-list (case-sensitive, as the format requires).</summary>
    public static bool IsSupported(string dtype) => TryGetElementSize(dtype, out _);

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException">The dtype is not supported.</exception>
    public static int ElementSize(string dtype) =>
        TryGetElementSize(dtype, out var size) ? size
            : throw new ArgumentException($"unsupported safetensors dtype '{dtype}' (supported: {SupportedList})", nameof(dtype));

    /// <summary>True for the floating-point dtypes, whose values can be NaN or infinite.</summary>
    public static bool IsFloatingPoint(string dtype) => dtype is F64 or F32 or F16 or BF16;

    internal static string SupportedList => string.Join(", ", Supported);

    internal static bool TryGetElementSize(string dtype, out int size)
    {
        size = dtype switch
        {
            F64 or I64 => 8,
            F32 => 4,
            F16 or BF16 => 2,
            U8 or Bool => 1,
            _ => 0,
        };
        return size != 0;
    }

    // Checked: a header may declare any shape, and an overflow must be a rejection, not a wrap-around.
    internal static bool TryGetByteLength(IReadOnlyList<long> shape, int elementSize, out long elementCount, out long byteLength)
    {
        try
        {
            checked
            {
                long n = 1;
                foreach (var d in shape) n *= d;
                elementCount = n;
                byteLength = n * elementSize;
                return true;
            }
        }
        catch (OverflowException)
        {
            elementCount = byteLength = 0;
            return false;
        }
    }

    /// <summary>
    /// Index of the first NaN or infinite element of little-endian <paramref name="data"/>, or -1;
    /// <paramref name="kind"/> says which. Works on the bit patterns, so F16 and BF16 need no conversion.
    /// </summary>
    internal static long IndexOfNonFinite(string dtype, ReadOnlySpan<byte> data, out string kind)
    {
        kind = "";
        switch (dtype)
        {
            case F64:
                for (int i = 0; i + 8 <= data.Length; i += 8)
                {
                    ulong v = BinaryPrimitives.ReadUInt64LittleEndian(data[i..]);
                    if ((v & 0x7FF0_0000_0000_0000UL) == 0x7FF0_0000_0000_0000UL)
                        return Found(i / 8, (v & 0x000F_FFFF_FFFF_FFFFUL) != 0, (v >> 63) != 0, out kind);
                }
                return -1;
            case F32:
                for (int i = 0; i + 4 <= data.Length; i += 4)
                {
                    uint v = BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
                    if ((v & 0x7F80_0000u) == 0x7F80_0000u) return Found(i / 4, (v & 0x007F_FFFFu) != 0, (v >> 31) != 0, out kind);
                }
                return -1;
            case F16:
            case BF16:
                // F16: 5 exponent bits (mask 0x7C00); BF16 keeps float32's 8 (mask 0x7F80).
                ushort exponent = dtype == F16 ? (ushort)0x7C00 : (ushort)0x7F80;
                for (int i = 0; i + 2 <= data.Length; i += 2)
                {
                    ushort v = BinaryPrimitives.ReadUInt16LittleEndian(data[i..]);
                    if ((v & exponent) == exponent) return Found(i / 2, (v & ~exponent & 0x7FFF) != 0, (v >> 15) != 0, out kind);
                }
                return -1;
            default:
                return -1;
        }
    }

    private static long Found(int index, bool nan, bool negative, out string kind)
    {
        kind = nan ? "NaN" : negative ? "-Infinity" : "+Infinity";
        return index;
    }
}
