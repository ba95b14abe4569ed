// The pixelcnn command line run in-process (through Program.CreateRoot and Cli.Run, as the tool
// does): tiny training runs, then the generating commands, checked by the files they write and by
// their exit codes.
using System.Buffers.Binary;
using ToolCli = PixelCnn.ML.Samples.Commands.Cli;

namespace PixelCnn.ML.Tests.CommandLine;

[TestClass]
[DoNotParallelize]
public sealed class CliCommandTests
{
    private static string _dir = "";
    private static string _scorer = "", _autoencoder = "";

    [ClassInitialize]
    public static void TrainTinyModels(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("pixelcnn-cli-").FullName;
        _scorer = Path.Combine(_dir, "scorer.zip");
        _autoencoder = Path.Combine(_dir, "ae.zip");
        var train = Run("train", "--take", "64", "--max-steps", "2", "--out", _scorer);
        Assert.AreEqual(ToolCli.Ok, train.Code, train.Err);
        var trainAe = Run("train-autoencoder", "--take", "64", "--max-steps", "2", "--embedding-size", "4", "--out", _autoencoder);
        Assert.AreEqual(ToolCli.Ok, trainAe.Code, trainAe.Err);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [TestMethod]
    [DataRow("row-lstm")]
    [DataRow("diagonal-bilstm")]
    public void A_pixelrnn_trains_samples_completes_scores_and_autoencodes_from_the_command_line(string arch)
    {
        var scorer = Path.Combine(_dir, $"{arch}.zip");
        var train = Run("train", "--arch", arch, "--take", "32", "--max-steps", "1", "--condition-on-label", "--out", scorer);
        Assert.AreEqual(ToolCli.Ok, train.Code, train.Err);
        var sample = Run("sample", "--model", scorer, "--classes", "0,1", "--per-class", "2", "--upscale", "1", "--out", Path.Combine(_dir, $"{arch}-samples.png"));
        Assert.AreEqual(ToolCli.Ok, sample.Code, sample.Err);
        var (width, height) = PngSize(Path.Combine(_dir, $"{arch}-samples.png"));
        Assert.AreEqual(2 * 30 + 2, height, "two classes: two rows of 28-pixel cells");
        Assert.IsTrue(width > 2 * 30 + 2, "two images per class beside the class names");
        var complete = Run("complete", "--model", scorer, "--take", "1", "--samples", "1", "--known-rows", "26", "--upscale", "1", "--out", Path.Combine(_dir, $"{arch}-completions.png"));
        Assert.AreEqual(ToolCli.Ok, complete.Code, complete.Err);
        var csv = Path.Combine(_dir, $"{arch}-scores.csv");
        var score = Run("score", "--model", scorer, "--data", "fashion-mnist:test", "--take", "3", "--out", csv);
        Assert.AreEqual(ToolCli.Ok, score.Code, score.Err);
        Assert.AreEqual(4, File.ReadAllLines(csv).Length, "a header and three scored images");
        var ae = Path.Combine(_dir, $"{arch}-ae.zip");
        var trainAe = Run("train-autoencoder", "--arch", arch, "--take", "32", "--max-steps", "1", "--embedding-size", "3", "--out", ae);
        Assert.AreEqual(ToolCli.Ok, trainAe.Code, trainAe.Err);
        var encode = Run("encode", "--model", ae, "--take", "2", "--out", Path.Combine(_dir, $"{arch}-h.csv"));
        Assert.AreEqual(ToolCli.Ok, encode.Code, encode.Err);
        Assert.AreEqual(3, File.ReadAllLines(Path.Combine(_dir, $"{arch}-h.csv")).Length);
    }

    [TestMethod]
    [DataRow("grayscale")]
    [DataRow("pyramid")]
    [DataRow("pyramid", "raster")]
    public void A_staged_architecture_trains_samples_and_scores_from_the_command_line_and_refuses_completion(string arch, string? order = null)
    {
        if (order is not null) arch = $"{arch}-{order}";
        var scorer = Path.Combine(_dir, $"{arch}.zip");
        var train = order is not null
            ? Run("train", "--arch", "pyramid", "--pyramid-order", order, "--take", "32", "--max-steps", "1", "--out", scorer)
            : arch == "pyramid"
                ? Run("train", "--arch", arch, "--super-resolution-blocks", "1", "--take", "32", "--max-steps", "1", "--out", scorer)
                : Run("train", "--arch", arch, "--take", "32", "--max-steps", "1", "--out", scorer);
        Assert.AreEqual(ToolCli.Ok, train.Code, train.Err + train.Out);
        if (arch == "pyramid")
        {
            var loaded = new Microsoft.ML.MLContext(seed: 1).Model.Load(scorer, out _);
            try
            {
                var density = loaded as PixelCnn.ML.Components.PixelCnnDensityTransformer
                              ?? ((Microsoft.ML.Data.TransformerChain<Microsoft.ML.ITransformer>)loaded).OfType<PixelCnn.ML.Components.PixelCnnDensityTransformer>().Single();
                Assert.AreEqual(1, density.Model.Config.SuperResolutionBlocks, "--super-resolution-blocks reaches the model");
            }
            finally { (loaded as IDisposable)?.Dispose(); }
        }
        var png = Path.Combine(_dir, $"{arch}-samples.png");
        var sample = Run("sample", "--model", scorer, "--count", "2", "--upscale", "1", "--out", png);
        Assert.AreEqual(ToolCli.Ok, sample.Code, sample.Err + sample.Out);
        Assert.IsTrue(new FileInfo(png).Length > 100);
        var csv = Path.Combine(_dir, $"{arch}-scores.csv");
        var score = Run("score", "--model", scorer, "--data", "fashion-mnist:test", "--take", "3", "--out", csv);
        Assert.AreEqual(ToolCli.Ok, score.Code, score.Err + score.Out);
        Assert.AreEqual(4, File.ReadAllLines(csv).Length, "header and three images");
        var complete = Run("complete", "--model", scorer, "--take", "1", "--out", Path.Combine(_dir, $"{arch}-completions.png"));
        Assert.AreNotEqual(ToolCli.Ok, complete.Code);
        StringAssert.Contains(complete.Err, "stages");
    }

    [TestMethod]
    [DataRow("gated", "--pyramid-order", "raster", "--pyramid-order")]
    [DataRow("pyramid", "--pyramid-order", "spiral", "blocks or raster")]
    [DataRow("gated", "--pyramid-base-layers", "2", "--pyramid-base-layers")]
    [DataRow("pyramid", "--pyramid-base-layers", "0", "--pyramid-base-layers must be 1..64")]
    [DataRow("gated", "--super-resolution-blocks", "2", "--super-resolution-blocks")]
    [DataRow("pyramid", "--super-resolution-blocks", "33", "--super-resolution-blocks must be 0..32")]
    public void The_pyramid_options_are_refused_for_another_architecture_and_out_of_range_values_name_the_option(string arch, string option,
                                                                                                                  string value, string message)
    {
        var r = Run("train", "--arch", arch, option, value, "--take", "8", "--max-steps", "1", "--out", Path.Combine(_dir, "never.zip"));
        Assert.AreNotEqual(ToolCli.Ok, r.Code);
        StringAssert.Contains(r.Err, message);
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "never.zip")));
    }

    [TestMethod]
    public void An_unknown_architecture_is_refused_naming_the_choices()
    {
        var r = Run("train", "--arch", "transformer", "--take", "8", "--max-steps", "1", "--out", Path.Combine(_dir, "never.zip"));
        Assert.AreNotEqual(ToolCli.Ok, r.Code);
        StringAssert.Contains(r.Err, "row-lstm");
        Assert.IsFalse(File.Exists(Path.Combine(_dir, "never.zip")));
    }

    [TestMethod]
    public void Info_reports_the_engine_the_allocator_policy_and_the_threads()
    {
        var r = Run("info");
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        StringAssert.Contains(r.Out, "TorchSharp   0.107.0");
        StringAssert.Contains(r.Out, "libtorch 2.10.0");
        StringAssert.Contains(r.Out, "allocator    glibc malloc");
        StringAssert.Contains(r.Out, $"of {Environment.ProcessorCount} cores");
    }

    [TestMethod]
    public void Sample_writes_a_near_square_grid_of_count_images()
    {
        var png = Path.Combine(_dir, "samples.png");
        var r = Run("sample", "--model", _scorer, "--count", "5", "--upscale", "2", "--out", png);
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        // 5 images → 3 columns and 2 rows of 56-pixel cells with 2-pixel gaps.
        Assert.AreEqual((3 * 58 + 2, 2 * 58 + 2), PngSize(png));
    }

    [TestMethod]
    public void Complete_writes_one_row_per_image_with_original_masked_input_and_completions()
    {
        var png = Path.Combine(_dir, "completions.png");
        var r = Run("complete", "--model", _scorer, "--take", "2", "--samples", "2", "--known-rows", "20", "--upscale", "1", "--out", png);
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        Assert.AreEqual((4 * 30 + 2, 2 * 30 + 2), PngSize(png));
    }

    [TestMethod]
    public void Encode_writes_a_header_and_one_row_per_image()
    {
        var csv = Path.Combine(_dir, "embeddings.csv");
        var r = Run("encode", "--model", _autoencoder, "--take", "7", "--out", csv);
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        var lines = File.ReadAllLines(csv);
        Assert.AreEqual("row,label,h0,h1,h2,h3", lines[0]);
        Assert.AreEqual(8, lines.Length);
    }

    [TestMethod]
    public void Reconstruct_writes_the_original_and_the_samples_in_each_row()
    {
        var png = Path.Combine(_dir, "recon.png");
        var r = Run("reconstruct", "--model", _autoencoder, "--take", "2", "--samples", "3", "--upscale", "1", "--out", png);
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        Assert.AreEqual((4 * 30 + 2, 2 * 30 + 2), PngSize(png));
    }

    [TestMethod]
    public void Interpolate_writes_both_end_images_and_the_steps_in_each_row()
    {
        var png = Path.Combine(_dir, "interp.png");
        var r = Run("interpolate", "--model", _autoencoder, "--steps", "3", "--rows", "2", "--upscale", "1", "--out", png);
        Assert.AreEqual(ToolCli.Ok, r.Code, r.Err);
        Assert.AreEqual((5 * 30 + 2, 2 * 30 + 2), PngSize(png));
    }

    [TestMethod]
    public void A_missing_model_option_is_a_usage_error()
    {
        var r = Run("sample", "--out", Path.Combine(_dir, "x.png"));
        Assert.AreEqual(ToolCli.Usage, r.Code);
        StringAssert.Contains(r.Err, "--model");
    }

    [TestMethod]
    public void A_model_file_that_does_not_exist_fails_naming_the_path()
    {
        var missing = Path.Combine(_dir, "no-such-model.zip");
        var r = Run("complete", "--model", missing, "--out", Path.Combine(_dir, "x.png"));
        Assert.AreEqual(ToolCli.Failed, r.Code);
        StringAssert.Contains(r.Err, missing);
    }

    [TestMethod]
    public void Sample_refuses_an_autoencoder_and_names_the_commands_that_decode_it()
    {
        var r = Run("sample", "--model", _autoencoder, "--out", Path.Combine(_dir, "x.png"));
        Assert.AreEqual(ToolCli.Failed, r.Code);
        StringAssert.Contains(r.Err, "pixelcnn reconstruct");
    }

    internal static (int Code, string Out, string Err) Run(params string[] args)
    {
        var err = new StringWriter();
        var output = new StringWriter();
        var (previousErr, previousOut) = (Console.Error, Console.Out);
        Console.SetError(err);
        Console.SetOut(output);
        try
        {
            return (ToolCli.Run(Program.CreateRoot(), args), output.ToString(), err.ToString());
        }
        finally
        {
            Console.SetError(previousErr);
            Console.SetOut(previousOut);
        }
    }

    /// <summary>Width and height from a PNG's IHDR chunk.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        var head = File.ReadAllBytes(path).AsSpan(0, 24);
        return (BinaryPrimitives.ReadInt32BigEndian(head[16..]), BinaryPrimitives.ReadInt32BigEndian(head[20..]));
    }
}
