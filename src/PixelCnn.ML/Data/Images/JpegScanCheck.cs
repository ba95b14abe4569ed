// Damaged JPEG data is found by libjpeg's own reports. SkiaSharp's decoder fills what it cannot decode and reports
// success: a file cut inside its scan data with an end marker appended, scan bytes overwritten, or a frame header
// declaring another size all decode "successfully" to partly grey or shifted pixels. libjpeg itself notices each of
// these as it entropy-decodes the scans ("Corrupt JPEG data: premature end of data segment", "N extraneous bytes
// before marker", "bad Huffman code", "Premature end of JPEG file") and reports them as warnings, which a decoder
// ignores. Here the scans are entropy-decoded once by libjpeg (BitMiracle's managed port, so no native library is
// needed), at 1/8 scale so no full-size image is made, and any such warning rejects the file.
using BitMiracle.LibJpeg.Classic;

namespace PixelCnn.ML.Data.Images;

internal static class JpegScanCheck
{
    /// <summary>
    /// Null when libjpeg decodes every scan of <paramref name="jpeg"/> without a report of damage; otherwise the first
    /// report, in libjpeg's words.
    /// </summary>
    public static unsafe string? Problem(ReadOnlySpan<byte> jpeg)
    {
        var errors = new RecordingErrors();
        var decoder = new jpeg_decompress_struct(errors);
        // Read in place: the file's bytes are not copied for the check.
        fixed (byte* bytes = jpeg)
        try
        {
            decoder.jpeg_stdio_src(new UnmanagedMemoryStream(bytes, jpeg.Length));
            decoder.jpeg_read_header(true);
            decoder.Scale_num = 1;
            decoder.Scale_denom = 8;
            decoder.Do_fancy_upsampling = false;
            decoder.Dct_method = J_DCT_METHOD.JDCT_IFAST;
            decoder.jpeg_start_decompress();
            var rows = new byte[Math.Max(1, decoder.Rec_outbuf_height)][];
            for (int i = 0; i < rows.Length; i++) rows[i] = new byte[Math.Max(1, decoder.Output_width * decoder.Output_components)];
            while (decoder.Output_scanline < decoder.Output_height && errors.Damage is null)
                if (decoder.jpeg_read_scanlines(rows, rows.Length) == 0) break;
            // Reading on to the end marker finds data left over after the last scan (a frame header declaring too few rows).
            if (errors.Damage is null) decoder.jpeg_finish_decompress();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return errors.Damage ?? e.Message;
        }
        finally
        {
            decoder.jpeg_abort_decompress();
        }
        return errors.Damage;
    }

    /// <summary>Keeps libjpeg's first warning of damaged data; warnings about metadata (a JFIF revision, an Adobe transform code) are not damage.</summary>
    private sealed class RecordingErrors : jpeg_error_mgr
    {
        public string? Damage { get; private set; }

        public override void emit_message(int msg_level)
        {
            if (msg_level != -1 || Damage is not null) return; // -1: a warning; higher levels are trace messages
            var text = format_message();
            if (text.StartsWith("Warning: unknown JFIF", StringComparison.Ordinal) || text.StartsWith("Unknown Adobe", StringComparison.Ordinal)) return;
            Damage = text;
        }

        public override void output_message() { } // libjpeg would print to the console
    }
}
