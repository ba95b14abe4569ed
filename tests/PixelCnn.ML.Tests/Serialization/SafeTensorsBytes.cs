// Hand-built safetensors bytes for tests: any header text, any declared length, any data, so that
// every rule of the format can be broken one at a time.
using System.Buffers.Binary;
using System.Text;

namespace PixelCnn.ML.Tests.Serialization;

internal static class SafeTensorsBytes
{
    /// <summary>8-byte length, then the header (space-padded to a multiple of 8 when asked), then data.</summary>
    public static byte[] File(string headerJson, byte[]? data = null, bool pad = true)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        if (pad && header.Length % 8 != 0)
            header = [.. header, .. Enumerable.Repeat((byte)' ', 8 - header.Length % 8)];
        return Raw((ulong)header.Length, header, data);
    }

    /// <summary>A declared header length that need not match the header bytes that follow.</summary>
    public static byte[] Raw(ulong declaredHeaderLength, byte[] header, byte[]? data = null)
    {
        var result = new byte[8 + header.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(result, declaredHeaderLength);
        header.CopyTo(result, 8);
        data?.CopyTo(result, 8 + header.Length);
        return result;
    }

    public static byte[] F32(params float[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
    public static byte[] F64(params double[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
    public static byte[] I64(params long[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
    public static byte[] U16(params ushort[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
    public static byte[] U32(params uint[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
    public static byte[] U64(params ulong[] values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();

    /// <summary>The JSON for one tensor entry.</summary>
    public static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";
}
