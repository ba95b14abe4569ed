// Reading entries of model files that other people send: every read has a byte cap fixed before the first byte
// is copied (a 1.7 MB zip entry may inflate to gigabytes), and zip entries are checked against the CRC-32 their
// archive records (.NET's ZipArchive does not check it), so a flipped bit is an error instead of a changed weight.
using System.Buffers;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace PixelCnn.ML.IO;

internal static class BoundedRead
{
    /// <summary>
    /// The rest of <paramref name="stream"/>, refusing more than <paramref name="max"/> bytes with an
    /// <see cref="InvalidDataException"/> that names <paramref name="what"/>. A seekable stream's length is checked
    /// before anything is allocated; any other stream stops one buffer past the cap.
    /// </summary>
    public static MemoryStream Bytes(Stream stream, long max, string what)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek && stream.Length - stream.Position > max) throw TooLarge(what, max, stream.Length - stream.Position);
        var result = new MemoryStream(stream.CanSeek ? (int)Math.Min(stream.Length - stream.Position, Array.MaxLength) : 0);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (result.Length + n > max) throw TooLarge(what, max, null);
                result.Write(buffer, 0, n);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        result.Position = 0;
        return result;
    }

    /// <summary>The rest of <paramref name="stream"/> as UTF-8 text (a byte-order mark is dropped), capped as <see cref="Bytes"/>.</summary>
    public static string Text(Stream stream, long max, string what)
    {
        using var bytes = Bytes(stream, max, what);
        var span = bytes.GetBuffer().AsSpan(0, (int)bytes.Length);
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[Encoding.UTF8.Preamble.Length..];
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(span);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{what} is not UTF-8 text", e);
        }
    }

    /// <summary>
    /// Opens <paramref name="entry"/> for reading: the declared size is checked against <paramref name="max"/> first,
    /// and reading to the end throws when the content differs from the archive's size or CRC-32.
    /// </summary>
    public static Stream OpenChecked(ZipArchiveEntry entry, long max)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Length > max) throw TooLarge(entry.FullName, max, entry.Length);
        return new CrcCheckingStream(entry.Open(), entry.FullName, entry.Length, entry.Crc32);
    }

    private static InvalidDataException TooLarge(string what, long max, long? size) =>
        new(size is { } s ? $"{what} holds {s:N0} bytes, more than the {max:N0} bytes allowed for it"
                          : $"{what} holds more than the {max:N0} bytes allowed for it");

    /// <summary>A read-only view of a zip entry that checks its length and CRC-32 when the end is reached.</summary>
    private sealed class CrcCheckingStream(Stream inner, string name, long length, uint crc) : Stream
    {
        private readonly Crc32 _crc = new();
        private long _read;
        private bool _checked;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = inner.Read(buffer);
            _crc.Append(buffer[..n]);
            _read += n;
            if (_read > length) throw new InvalidDataException($"{name} holds more than the {length:N0} bytes its archive declares");
            if (n == 0 && buffer.Length > 0 && !_checked)
            {
                _checked = true;
                if (_read != length) throw new InvalidDataException($"{name} ended after {_read:N0} of the {length:N0} bytes its archive declares");
                if (_crc.GetCurrentHashAsUInt32() != crc) throw new InvalidDataException($"{name} is damaged: its CRC-32 does not match the archive's");
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
