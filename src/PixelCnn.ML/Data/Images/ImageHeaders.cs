// Our own checks of an image file's structure, run before any decoder allocates: the declared size comes from the
// PNG IHDR chunk or the JPEG SOF segment and is checked against the limits; a PNG must be a chain of chunks with
// valid CRCs ending in IEND, and a JPEG must have its segments in order, a frame header, and end with EOI. A file
// that is cut short fails here, instead of being decoded into an image with missing (zero) rows.
using System.Buffers.Binary;
using System.IO.Hashing;

namespace PixelCnn.ML.Data.Images;

/// <summary>What the header of an image file declares.</summary>
public readonly record struct ImageHeader(string Format, int Width, int Height);

/// <summary>Structure checks of PNG and JPEG files.</summary>
public static class ImageHeaders
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the structure of a PNG or JPEG file and returns its declared size; throws a reason otherwise.</summary>
    /// <exception cref="FormatException">The file is not a well-formed PNG or JPEG; the message says why.</exception>
    public static ImageHeader Read(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) throw new FormatException("the file is empty");
        if (data.StartsWith(PngSignature)) return ReadPng(data);
        if (data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8) return ReadJpeg(data);
        throw new FormatException("not a PNG or JPEG file (unknown signature)");
    }

    private static ImageHeader ReadPng(ReadOnlySpan<byte> data)
    {
        int pos = PngSignature.Length;
        int width = 0, height = 0;
        bool first = true, sawData = false;
        while (true)
        {
            if (data.Length - pos < 12) throw new FormatException($"truncated PNG: chunk header at byte {pos} is cut off (no IEND)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var type = data.Slice(pos + 4, 4);
            if (length > int.MaxValue || data.Length - pos - 12 < length)
                throw new FormatException($"truncated PNG: chunk '{Name(type)}' at byte {pos} declares {length} bytes, more than the file holds");
            var body = data.Slice(pos + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            if (Crc32.HashToUInt32(data.Slice(pos + 4, 4 + (int)length)) != crc) throw new FormatException($"corrupt PNG: CRC mismatch in chunk '{Name(type)}' at byte {pos}");
            string name = Name(type);
            if (first)
            {
                if (name != "IHDR" || length != 13) throw new FormatException("corrupt PNG: the first chunk is not a 13-byte IHDR");
                uint w = BinaryPrimitives.ReadUInt32BigEndian(body), h = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue) throw new FormatException($"corrupt PNG: declared size {w}x{h}");
                (width, height) = ((int)w, (int)h);
                first = false;
            }
            else if (name == "IDAT") sawData = true;
            else if (name == "IEND")
            {
                if (!sawData) throw new FormatException("corrupt PNG: no IDAT chunk before IEND");
                return new ImageHeader("PNG", width, height);
            }
            pos += 12 + (int)length;
        }
    }

    private static string Name(ReadOnlySpan<byte> type)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++) c[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(c);
    }

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> data)
    {
        int pos = 2;
        int width = 0, height = 0;
        while (true)
        {
            if (data.Length - pos < 2) throw new FormatException($"truncated JPEG: no marker at byte {pos} (no EOI)");
            if (data[pos] != 0xFF) throw new FormatException($"corrupt JPEG: expected a marker at byte {pos}");
            byte marker = data[pos + 1];
            if (marker == 0xFF) { pos++; continue; }            // fill byte
            if (marker == 0xD9) throw new FormatException("corrupt JPEG: EOI before any image data");
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7)) { pos += 2; continue; }  // markers without a length
            if (data.Length - pos < 4) throw new FormatException($"truncated JPEG: segment at byte {pos} is cut off");
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < 2 || data.Length - pos - 2 < length) throw new FormatException($"truncated JPEG: segment 0x{marker:X2} at byte {pos} declares {length} bytes, more than the file holds");
            var body = data.Slice(pos + 4, length - 2);
            if (marker is >= 0xC0 and <= 0xCF && marker is not (0xC4 or 0xC8 or 0xCC))
            {
                if (body.Length < 6) throw new FormatException("corrupt JPEG: frame header too short");
                height = BinaryPrimitives.ReadUInt16BigEndian(body[1..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(body[3..]);
                if (width == 0 || height == 0) throw new FormatException($"corrupt JPEG: declared size {width}x{height}");
            }
            pos += 2 + length;
            if (marker == 0xDA)
            {
                if (width == 0) throw new FormatException("corrupt JPEG: scan data before a frame header (SOF)");
                // Entropy-coded data follows; the file must end with EOI (trailing padding after it is tolerated).
                int end = data.Length;
                while (end > pos && data[end - 1] == 0x00) end--;
                if (end - pos < 2 || data[end - 2] != 0xFF || data[end - 1] != 0xD9) throw new FormatException("truncated JPEG: the file does not end with EOI");
                return new ImageHeader("JPEG", width, height);
            }
        }
    }
}
