// Each test breaks one rule of the format and checks that the reader says which rule, and where.
// Both readers (a buffer in memory, a stream) must reject the file with the same message.
using System.Text;
using PixelCnn.ML.Serialization;
using static PixelCnn.ML.Tests.Serialization.SafeTensorsBytes;

namespace PixelCnn.ML.Tests.Serialization;

[TestClass]
public class SafeTensorsRejectionTests
{
    private static SafeTensorsFormatException Reject(byte[] file, SafeTensorsReadOptions? options = null)
    {
        var fromMemory = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(file, options));
        var fromStream = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensorsFile.Read(new MemoryStream(file), options));
        Assert.AreEqual(fromMemory.Message, fromStream.Message);
        return fromMemory;
    }

    // System.Text.Json reports "Duplicate property 'x'"; the reader's own check says "duplicate key/field 'x'".
    private static System.Text.RegularExpressions.Regex DuplicateOf(string key) => new($"(?i)duplicate (property|key|field) '{key}'");

    private static byte[] Valid() => File("{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "I64", "[1]", 8, 16) + "}", [.. F32(1, 2), .. I64(3)]);

    [TestMethod]
    public void Data_shorter_than_the_8_byte_length_is_rejected()
    {
        var e = Reject([1, 0, 0, 0, 0]);
        StringAssert.Contains(e.Message, "5 bytes long, too short for the 8-byte header length");
    }

    [TestMethod]
    public void Empty_data_is_rejected()
    {
        var e = Reject([]);
        StringAssert.Contains(e.Message, "0 bytes long");
    }

    [TestMethod]
    public void A_file_cut_inside_the_header_is_rejected()
    {
        var valid = Valid();
        long n = BitConverter.ToInt64(valid, 0);
        var e = Reject(valid[..20]);
        StringAssert.Contains(e.Message, $"header length {n} bytes runs past the end of the data (20 bytes in all");
    }

    [TestMethod]
    public void A_header_length_beyond_the_file_is_rejected()
    {
        var e = Reject(Raw(50_000_000, Encoding.ASCII.GetBytes("{}      ")));
        StringAssert.Contains(e.Message, "header length 50000000 bytes runs past the end of the data (16 bytes in all");
    }

    [TestMethod]
    public void A_header_above_the_default_cap_is_rejected_before_anything_is_read()
    {
        var e = Reject(Raw(100_000_001, Encoding.ASCII.GetBytes("{}      ")));
        StringAssert.Contains(e.Message, "header length 100000001 bytes exceeds the limit of 100000000 bytes (SafeTensorsReadOptions.MaxHeaderBytes)");
    }

    [TestMethod]
    public void A_header_length_above_2_to_the_63_is_rejected_by_the_cap()
    {
        var e = Reject(Raw(ulong.MaxValue, Encoding.ASCII.GetBytes("{}      ")));
        StringAssert.Contains(e.Message, $"header length {ulong.MaxValue} bytes exceeds the limit");
    }

    [TestMethod]
    public void A_header_above_a_configured_cap_is_rejected()
    {
        var valid = Valid();
        long n = BitConverter.ToInt64(valid, 0);
        var e = Reject(valid, new SafeTensorsReadOptions { MaxHeaderBytes = n - 8 });
        StringAssert.Contains(e.Message, $"header length {n} bytes exceeds the limit of {n - 8} bytes");
    }

    [TestMethod]
    public void A_header_that_is_not_UTF8_is_rejected()
    {
        var header = Encoding.ASCII.GetBytes("{\"__metadata__\":{\"k\":\"v?\"}}    ");
        header[24] = 0xFF;
        var e = Reject(Raw((ulong)header.Length, header));
        StringAssert.Contains(e.Message, "header is not valid UTF-8 (invalid byte 0xFF at header offset 24)");
    }

    [TestMethod]
    public void A_header_with_a_truncated_UTF8_sequence_is_rejected()
    {
        var header = Encoding.ASCII.GetBytes("{\"__metadata__\":{\"k\":\"v??\"}}   ");
        header[23] = 0xC3; // a two-byte lead without its continuation byte
        header[24] = (byte)'x';
        var e = Reject(Raw((ulong)header.Length, header));
        StringAssert.Contains(e.Message, "header is not valid UTF-8");
    }

    [TestMethod]
    public void A_header_not_starting_with_a_brace_is_rejected()
    {
        var e = Reject(File(" {\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}}"));
        StringAssert.Contains(e.Message, "header does not start with '{' (first byte is 0x20)");
    }

    [TestMethod]
    public void A_header_starting_with_a_byte_order_mark_is_rejected()
    {
        var e = Reject(File("\uFEFF{}"));
        StringAssert.Contains(e.Message, "header does not start with '{' (first byte is 0xEF)");
    }

    [TestMethod]
    public void An_empty_header_is_rejected()
    {
        var e = Reject(Raw(0, []));
        StringAssert.Contains(e.Message, "header is empty");
    }

    [TestMethod]
    public void A_header_that_is_not_JSON_is_rejected()
    {
        var e = Reject(File("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}} trailing", [7]));
        StringAssert.Contains(e.Message, "header is not valid JSON");
    }

    [TestMethod]
    public void A_duplicate_tensor_key_is_rejected_naming_the_key()
    {
        var header = "{" + Entry("w", "U8", "[1]", 0, 1) + "," + Entry("w", "U8", "[1]", 1, 2) + "}";
        var e = Reject(File(header, [1, 2]));
        StringAssert.Matches(e.Message, DuplicateOf("w"));
    }

    [TestMethod]
    public void A_duplicate_field_inside_an_entry_is_rejected_naming_the_field()
    {
        var e = Reject(File("{\"w\":{\"dtype\":\"U8\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1]}}", [1]));
        StringAssert.Matches(e.Message, DuplicateOf("dtype"));
    }

    [TestMethod]
    public void A_duplicate_metadata_key_is_rejected()
    {
        var e = Reject(File("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}"));
        StringAssert.Matches(e.Message, DuplicateOf("k"));
    }

    [TestMethod]
    public void An_unknown_dtype_is_rejected_naming_the_tensor()
    {
        var e = Reject(File("{" + Entry("emb", "I32", "[1]", 0, 4) + "}", new byte[4]));
        StringAssert.Contains(e.Message, "tensor 'emb': unsupported dtype 'I32' (supported: F64, F32, F16, BF16, I64, U8, BOOL)");
        Assert.AreEqual("emb", e.TensorName);
    }

    [TestMethod]
    public void Dtype_names_are_case_sensitive()
    {
        var e = Reject(File("{" + Entry("w", "f32", "[1]", 0, 4) + "}", new byte[4]));
        StringAssert.Contains(e.Message, "unsupported dtype 'f32'");
    }

    [TestMethod]
    public void Offsets_that_do_not_match_shape_times_dtype_size_are_rejected()
    {
        var e = Reject(File("{" + Entry("w", "F32", "[2,2]", 0, 12) + "}", new byte[12]));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets [0, 12] span 12 bytes, but shape [2, 2] of F32 needs 16");
    }

    [TestMethod]
    public void A_negative_dimension_is_rejected()
    {
        var e = Reject(File("{" + Entry("w", "F32", "[2,-1]", 0, 0) + "}"));
        StringAssert.Contains(e.Message, "tensor 'w': negative dimension -1 in shape [2, -1]");
    }

    [TestMethod]
    public void A_fractional_dimension_is_rejected()
    {
        var e = Reject(File("{" + Entry("w", "F32", "[2.5]", 0, 0) + "}"));
        StringAssert.Contains(e.Message, "tensor 'w': shape[0] is 2.5, expected a 64-bit integer");
    }

    [TestMethod]
    public void A_shape_whose_byte_count_overflows_64_bits_is_rejected()
    {
        var e = Reject(File("{" + Entry("w", "F64", "[4294967296,4294967296]", 0, 0) + "}"));
        StringAssert.Contains(e.Message, "tensor 'w': shape [4294967296, 4294967296] of F64 overflows a 64-bit byte count");
    }

    [TestMethod]
    public void Overlapping_tensors_are_rejected_naming_both()
    {
        var header = "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}";
        var e = Reject(File(header, new byte[12]));
        StringAssert.Contains(e.Message, "tensors 'a' and 'b' overlap: 'b' starts at byte 4 of the data buffer, before 'a' ends at byte 8");
    }

    [TestMethod]
    public void Two_tensors_on_the_same_bytes_are_rejected()
    {
        var header = "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 0, 8) + "}";
        var e = Reject(File(header, new byte[8]));
        StringAssert.Contains(e.Message, "overlap");
    }

    [TestMethod]
    public void A_hole_between_tensors_is_rejected()
    {
        var header = "{" + Entry("a", "F32", "[1]", 0, 4) + "," + Entry("b", "F32", "[1]", 8, 12) + "}";
        var e = Reject(File(header, new byte[12]));
        StringAssert.Contains(e.Message, "hole in the data buffer: bytes [4, 8) between tensors 'a' and 'b' belong to no tensor");
    }

    [TestMethod]
    public void A_hole_before_the_first_tensor_is_rejected()
    {
        var e = Reject(File("{" + Entry("a", "F32", "[1]", 4, 8) + "}", new byte[8]));
        StringAssert.Contains(e.Message, "hole in the data buffer: bytes [0, 4) before tensor 'a'");
    }

    [TestMethod]
    public void Trailing_bytes_after_the_last_tensor_are_rejected()
    {
        byte[] file = [.. Valid(), 0xAB, 0xCD, 0xEF];
        var e = Reject(file);
        StringAssert.Contains(e.Message, "3 trailing bytes after the last tensor: the data buffer holds 19 bytes but the tensors cover 16");
    }

    [TestMethod]
    public void A_metadata_value_that_is_not_a_string_is_rejected()
    {
        var e = Reject(File("{\"__metadata__\":{\"epochs\":12}}"));
        StringAssert.Contains(e.Message, "'__metadata__' value for key 'epochs' is a number, expected a string");
    }

    [TestMethod]
    public void Metadata_that_is_not_an_object_is_rejected()
    {
        var e = Reject(File("{\"__metadata__\":[\"a\"]}"));
        StringAssert.Contains(e.Message, "'__metadata__' must be a JSON object of string values, found an array");
    }

    [TestMethod]
    public void Offsets_out_of_order_are_rejected()
    {
        var e = Reject(File("{" + Entry("w", "U8", "[0]", 8, 0) + "}", new byte[8]));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets [8, 0] are out of order (end before begin)");
    }

    [TestMethod]
    public void Negative_offsets_are_rejected()
    {
        var e = Reject(File("{" + Entry("w", "U8", "[4]", -4, 0) + "}"));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets [-4, 0] must not be negative");
    }

    [TestMethod]
    public void Offsets_beyond_the_data_buffer_are_rejected()
    {
        var e = Reject(File("{" + Entry("w", "F32", "[4]", 0, 16) + "}", new byte[8]));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets [0, 16] reach beyond the data buffer, which holds 8 bytes");
    }

    [TestMethod]
    public void A_file_cut_inside_the_data_is_rejected_naming_the_last_tensor()
    {
        var valid = Valid();
        var e = Reject(valid[..^3]);
        StringAssert.Contains(e.Message, "tensor 'b': data_offsets [8, 16] reach beyond the data buffer, which holds 13 bytes");
    }

    [TestMethod]
    public void An_offset_above_the_64_bit_range_is_rejected()
    {
        var e = Reject(File("{" + Entry("w", "U8", "[0]", 0, 0).Replace("[0,0]", "[0,18446744073709551615]") + "}"));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets[1] is 18446744073709551615, expected a 64-bit integer");
    }

    [TestMethod]
    public void Offsets_must_be_a_pair()
    {
        var e = Reject(File("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", [1]));
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets must hold exactly 2 integers [begin, end], found 3");
    }

    [TestMethod]
    public void An_empty_tensor_name_is_rejected()
    {
        var e = Reject(File("{" + Entry("", "U8", "[1]", 0, 1) + "}", [1]));
        StringAssert.Contains(e.Message, "a tensor has an empty name");
    }

    [TestMethod]
    public void An_entry_without_a_shape_is_rejected()
    {
        var e = Reject(File("{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", [1]));
        StringAssert.Contains(e.Message, "tensor 'w': missing field 'shape'");
    }

    [TestMethod]
    public void An_entry_with_an_unknown_field_is_rejected()
    {
        var e = Reject(File("{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"stride\":[1]}}", [1]));
        StringAssert.Contains(e.Message, "tensor 'w': unknown field 'stride'");
    }

    [TestMethod]
    public void An_entry_that_is_not_an_object_is_rejected()
    {
        var e = Reject(File("{\"w\":[1,2]}"));
        StringAssert.Contains(e.Message, "tensor 'w': expected a JSON object with dtype, shape and data_offsets, found an array");
    }

    [TestMethod]
    public void A_boolean_byte_other_than_0_or_1_is_rejected()
    {
        var e = Reject(File("{" + Entry("mask", "BOOL", "[3]", 0, 3) + "}", [1, 0, 2]));
        StringAssert.Contains(e.Message, "tensor 'mask' (BOOL) holds the byte 0x02 at element 2; booleans must be 0 or 1");
    }

    [TestMethod]
    public void Errors_from_a_file_name_the_file()
    {
        using var folder = new TempFolder();
        var path = folder.PathOf("broken.safetensors");
        System.IO.File.WriteAllBytes(path, [.. Valid(), 0]);

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensorsFile.ReadFile(path));

        StringAssert.StartsWith(e.Message, $"safetensors file '{path}': ");
        StringAssert.Contains(e.Message, "1 trailing bytes");
        Assert.AreEqual(path, e.FilePath);
    }

    [TestMethod]
    public void Errors_from_memory_say_so()
    {
        var e = Reject([1]);
        StringAssert.StartsWith(e.Message, "safetensors data: ");
        Assert.IsNull(e.FilePath);
    }
}
