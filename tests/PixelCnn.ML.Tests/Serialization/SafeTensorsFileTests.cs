using System.Text;
using PixelCnn.ML.Serialization;
using static PixelCnn.ML.Tests.Serialization.SafeTensorsBytes;

namespace PixelCnn.ML.Tests.Serialization;

[TestClass]
public class SafeTensorsFileTests
{
    private static SafeTensorsFile RoundTrip(SafeTensorsFile file) => SafeTensorsFile.Parse(file.ToArray());

    // Expected bytes of the next three tests: the outputs the reference serializer's own tests require.
    private static byte[] Expected(int headerLength, string json, byte[]? data = null) =>
        [.. BitConverter.GetBytes((ulong)headerLength), .. Encoding.ASCII.GetBytes(json), .. data ?? []];

    [TestMethod]
    public void An_empty_file_is_written_as_the_reference_serializer_writes_it()
    {
        CollectionAssert.AreEqual(Expected(8, "{}      "), new SafeTensorsFile([]).ToArray());
    }

    [TestMethod]
    public void Metadata_alone_is_written_as_the_reference_serializer_writes_it()
    {
        var file = new SafeTensorsFile([], new Dictionary<string, string> { ["framework"] = "pt" });
        CollectionAssert.AreEqual(Expected(40, "{\"__metadata__\":{\"framework\":\"pt\"}}     "), file.ToArray());
    }

    [TestMethod]
    [DataRow("attn.0", new long[] { 1, 2, 3 }, 64, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}")]
    [DataRow("attn0", new long[] { 1, 1, 2, 3 }, 72, "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ")]
    public void A_tensor_is_written_as_the_reference_serializer_writes_it(string name, long[] shape, int headerLength, string json)
    {
        var data = F32(0, 1, 2, 3, 4, 5);
        var file = new SafeTensorsFile([new SafeTensorsEntry(name, "F32", shape, data)]);
        CollectionAssert.AreEqual(Expected(headerLength, json, data), file.ToArray());
    }

    [TestMethod]
    public void Header_is_padded_with_spaces_so_the_data_starts_at_a_multiple_of_8()
    {
        for (int nameLength = 1; nameLength <= 16; nameLength++)
        {
            var bytes = new SafeTensorsFile([new SafeTensorsEntry(new string('w', nameLength), "U8", [3], new byte[] { 1, 2, 3 })]).ToArray();
            long n = BitConverter.ToInt64(bytes, 0);
            Assert.AreEqual(0, n % 8, $"name length {nameLength}");
            var json = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' ');
            Assert.IsTrue(json.EndsWith('}'), json);
            Assert.IsTrue(n - json.Length < 8, $"{n - json.Length} padding bytes for name length {nameLength}");
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, bytes[(8 + (int)n)..]);
        }
    }

    private static SafeTensorsEntry[] MixedEntries() =>
    [
        new("mask", "BOOL", [3], new byte[] { 1, 0, 1 }),
        new("b.weight", "F32", [2], F32(1, 2)),
        new("a.weight", "F32", [1], F32(3)),
        new("half", "F16", [1], U16(0x3C00)),
        new("steps", "I64", [1], I64(7)),
        new("scale", "F64", [1], F64(0.5)),
        new("pixels", "U8", [3], new byte[] { 9, 8, 7 }),
        new("brain", "BF16", [1], U16(0x3F80)),
    ];

    [TestMethod]
    public void The_same_entries_give_the_same_bytes_whatever_the_input_order()
    {
        var forward = new SafeTensorsFile(MixedEntries()).ToArray();
        var backward = new SafeTensorsFile(MixedEntries().Reverse()).ToArray();
        CollectionAssert.AreEqual(forward, backward);
    }

    [TestMethod]
    public void Data_is_ordered_widest_dtype_first_then_by_name()
    {
        var bytes = new SafeTensorsFile(MixedEntries()).ToArray();
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToInt64(bytes, 0));

        var order = new[] { "steps", "scale", "a.weight", "b.weight", "brain", "half", "pixels", "mask" }
            .Select(n => header.IndexOf($"\"{n}\":", StringComparison.Ordinal)).ToArray();
        CollectionAssert.AreEqual(order.Order().ToArray(), order, header);
        StringAssert.Contains(header, Entry("steps", "I64", "[1]", 0, 8));
        StringAssert.Contains(header, Entry("mask", "BOOL", "[3]", 35, 38));
    }

    [TestMethod]
    public void Every_tensor_starts_at_a_file_offset_aligned_to_its_element_size()
    {
        var bytes = new SafeTensorsFile(MixedEntries()).ToArray();
        long dataStart = 8 + BitConverter.ToInt64(bytes, 0);
        using var doc = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)(dataStart - 8)));

        foreach (var p in doc.RootElement.EnumerateObject())
        {
            long begin = p.Value.GetProperty("data_offsets")[0].GetInt64();
            int size = SafeTensorsDType.ElementSize(p.Value.GetProperty("dtype").GetString()!);
            Assert.AreEqual(0, (dataStart + begin) % size, p.Name);
        }
    }

    [TestMethod]
    [DataRow("F32", 4)]
    [DataRow("F64", 8)]
    [DataRow("F16", 2)]
    [DataRow("BF16", 2)]
    [DataRow("I64", 8)]
    [DataRow("U8", 1)]
    public void Round_trip_keeps_every_byte_of_each_dtype(string dtype, int elementSize)
    {
        // Every byte value appears, so NaN payloads, negative zero and extremes are all among the patterns.
        var data = Enumerable.Range(0, 256 * elementSize).Select(i => (byte)(i * 37 + i / 256)).ToArray();
        var file = new SafeTensorsFile([new SafeTensorsEntry("t", dtype, [16, 16], data)]);

        var back = RoundTrip(file)["t"];

        Assert.AreEqual(dtype, back.DType);
        CollectionAssert.AreEqual(new long[] { 16, 16 }, back.Shape.ToArray());
        CollectionAssert.AreEqual(data, back.Data.ToArray());
    }

    [TestMethod]
    public void Round_trip_keeps_booleans()
    {
        var data = new byte[] { 1, 0, 0, 1, 1 };
        var back = RoundTrip(new SafeTensorsFile([new SafeTensorsEntry("mask", "BOOL", [5], data)]))["mask"];
        CollectionAssert.AreEqual(data, back.Data.ToArray());
    }

    [TestMethod]
    public void Empty_tensors_and_scalars_round_trip()
    {
        var file = new SafeTensorsFile([
            new SafeTensorsEntry("empty", "F32", [0, 3], Array.Empty<byte>()),
            new SafeTensorsEntry("scalar", "F64", [], F64(Math.PI)),
            new SafeTensorsEntry("nothing", "I64", [0], Array.Empty<byte>()),
        ]);

        var back = RoundTrip(file);

        CollectionAssert.AreEqual(new long[] { 0, 3 }, back["empty"].Shape.ToArray());
        Assert.AreEqual(0, back["empty"].Data.Length);
        Assert.AreEqual(0, back["scalar"].Shape.Count);
        Assert.AreEqual(1, back["scalar"].ElementCount);
        Assert.AreEqual(Math.PI, BitConverter.ToDouble(back["scalar"].Data.Span));
        Assert.AreEqual(0, back["nothing"].Data.Length);
    }

    [TestMethod]
    public void Metadata_round_trips()
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["preset"] = "S",
            ["note"] = "ünïcode, \"quotes\" and \\ backslash",
            ["empty"] = "",
        };
        var file = new SafeTensorsFile([new SafeTensorsEntry("x", "U8", [1], new byte[] { 9 })], metadata);

        var back = RoundTrip(file);

        CollectionAssert.AreEquivalent(metadata.ToList(), back.Metadata.ToList());
    }

    [TestMethod]
    public void A_file_with_only_metadata_and_no_tensors_round_trips()
    {
        var back = RoundTrip(new SafeTensorsFile([], new Dictionary<string, string> { ["k"] = "v" }));
        Assert.AreEqual(0, back.Entries.Count);
        Assert.AreEqual("v", back.Metadata["k"]);
    }

    [TestMethod]
    public void A_file_laid_out_as_PyTorch_writes_it_loads()
    {
        // safetensors.torch.save_file orders tensors by descending dtype, then by name, puts
        // "__metadata__" first and pads the header with spaces; JSON order and offsets therefore do not
        // follow name order.
        string header = "{\"__metadata__\":{\"format\":\"pt\"},"
            + Entry("steps", "I64", "[]", 0, 8) + ","
            + Entry("bias", "F32", "[2]", 8, 16) + ","
            + Entry("weight", "F32", "[2,3]", 16, 40) + ","
            + Entry("mask", "BOOL", "[3]", 40, 43) + "}";
        byte[] data = [.. I64(1234), .. F32(-0.5f, 0.25f), .. F32(0, 1, 2, 3, 4, 5), 1, 0, 1];

        var file = SafeTensorsFile.Parse(File(header, data));

        CollectionAssert.AreEqual(new[] { "bias", "mask", "steps", "weight" }, file.Entries.Select(e => e.Name).ToArray());
        Assert.AreEqual("pt", file.Metadata["format"]);
        Assert.AreEqual(1234L, BitConverter.ToInt64(file["steps"].Data.Span));
        CollectionAssert.AreEqual(F32(-0.5f, 0.25f), file["bias"].Data.ToArray());
        CollectionAssert.AreEqual(new long[] { 2, 3 }, file["weight"].Shape.ToArray());
        CollectionAssert.AreEqual(F32(0, 1, 2, 3, 4, 5), file["weight"].Data.ToArray());
        CollectionAssert.AreEqual(new byte[] { 1, 0, 1 }, file["mask"].Data.ToArray());
    }

    [TestMethod]
    public void Read_from_a_non_seekable_stream_gives_the_same_entries_as_Parse()
    {
        var bytes = new SafeTensorsFile([new SafeTensorsEntry("a", "F32", [2], F32(1, 2)), new SafeTensorsEntry("b", "U8", [1], new byte[] { 5 })]).ToArray();

        var file = SafeTensorsFile.Read(new ForwardOnlyStream(bytes));

        CollectionAssert.AreEqual(F32(1, 2), file["a"].Data.ToArray());
        CollectionAssert.AreEqual(new byte[] { 5 }, file["b"].Data.ToArray());
    }

    [TestMethod]
    public void Entry_rejects_data_that_does_not_match_the_shape()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SafeTensorsEntry("w", "F32", [2, 2], new byte[12]));
        StringAssert.Contains(e.Message, "'w'");
        StringAssert.Contains(e.Message, "needs 16 bytes, 12 given");
    }

    [TestMethod]
    public void Entry_rejects_an_unsupported_dtype()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SafeTensorsEntry("w", "I32", [1], new byte[4]));
        StringAssert.Contains(e.Message, "unsupported dtype 'I32'");
    }

    [TestMethod]
    public void File_rejects_two_entries_with_one_name()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SafeTensorsFile([
            new SafeTensorsEntry("w", "U8", [1], new byte[1]), new SafeTensorsEntry("w", "U8", [1], new byte[1])]));
        StringAssert.Contains(e.Message, "'w' appears twice");
    }

    [TestMethod]
    public void The_metadata_key_cannot_name_a_tensor()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new SafeTensorsEntry("__metadata__", "U8", [1], new byte[1]));
        StringAssert.Contains(e.Message, "reserved");
    }

    [TestMethod]
    public void WriteFile_then_ReadFile_round_trips()
    {
        using var folder = new TempFolder();
        var path = folder.PathOf("w.safetensors");

        new SafeTensorsFile([new SafeTensorsEntry("x", "F64", [1], F64(2.5))]).WriteFile(path);

        Assert.AreEqual(2.5, BitConverter.ToDouble(SafeTensorsFile.ReadFile(path)["x"].Data.Span));
        CollectionAssert.AreEqual(new[] { "w.safetensors" }, folder.FileNames());
    }

    /// <summary>A read-only stream that cannot seek or report its length, like a network stream.</summary>
    internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 3));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
