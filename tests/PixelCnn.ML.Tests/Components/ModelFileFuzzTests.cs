// Model files from outside: broken archives, special files, inflation bombs, sizes past every bound, bit flips and
// JSON damage, loaded the way the CLI loads them. Each must be rejected with an InvalidDataException naming the file
// (or load with the original's scores, where the damage changed nothing that is read), within a memory bound, and
// the CLI must end with an error message and exit code, never an unhandled exception.
using Microsoft.ML;
using PixelCnn.ML.Samples.Experiments;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Models;
using PixelCnn.ML.Tests.CommandLine;

namespace PixelCnn.ML.Tests.Components;

[TestClass]
public class ModelFileFuzzTests
{
    private static string _dir = "";
    private static ModelFuzz.Originals _originals = null!;
    private static List<ModelFuzzVerdict> _verdicts = [];

    [ClassInitialize]
    public static void Write(TestContext _)
    {
        _dir = Directory.CreateTempSubdirectory("pixelcnn-model-fuzz-").FullName;
        _originals = ModelFuzz.WriteOriginals(Path.Combine(_dir, "originals"));
        var cases = ModelFuzz.WriteCases(_dir, _originals, seed: 20261208, flips: 4, bombBytes: 96L << 20);
        cases.AddRange(ModelFuzz.WriteSpecialFiles(_dir));
        _verdicts = ModelFuzz.Run(_originals, cases);
    }

    [ClassCleanup]
    public static void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static ModelFuzzVerdict Verdict(string kind, string name, bool standalone = false) =>
        _verdicts.Single(v => v.Case.Kind == kind && v.Case.Name == name && v.Case.Standalone == standalone);

    private static void AssertRejected(string kind, string name, params string[] words) => AssertRejected(Verdict(kind, name), words);

    private static void AssertRejected(ModelFuzzVerdict v, params string[] words)
    {
        Assert.AreEqual(ModelFuzzVerdict.Rejected, v.Outcome, $"{v.Case.Kind}/{v.Case.Name}: {v.Message}");
        StringAssert.Contains(v.Message, v.Case.Path, "the error names the file");
        foreach (var w in words) StringAssert.Contains(v.Message, w, $"{v.Case.Kind}/{v.Case.Name}");
    }

    [TestMethod]
    public void Every_malformed_file_is_rejected_naming_it_or_loads_the_original_and_none_crashes()
    {
        Console.WriteLine($"{_verdicts.Count} files: " + string.Join(", ", _verdicts.GroupBy(v => v.Outcome).Select(g => $"{g.Count()} {g.Key}")));
        Assert.IsTrue(_verdicts.Count >= 120, $"{_verdicts.Count} files");
        var bad = _verdicts.Where(v => v.Outcome is ModelFuzzVerdict.Crashed or ModelFuzzVerdict.LoadedDifferent).ToList();
        Assert.AreEqual(0, bad.Count, string.Join("\n", bad.Select(v => $"{v.Case.Kind}/{v.Case.Name}{(v.Case.Standalone ? " (standalone)" : "")}: {v.Outcome}: {v.Message}")));
        foreach (var v in _verdicts.Where(v => v.Outcome == ModelFuzzVerdict.Rejected))
            StringAssert.Contains(v.Message, v.Case.Path, $"{v.Case.Kind}/{v.Case.Name}");
        foreach (var kind in new[] { "archive", "bomb", "size", "flip-compressed", "flip-content", "json", "special" })
            Assert.IsTrue(_verdicts.Count(v => v.Case.Kind == kind && v.Outcome == ModelFuzzVerdict.Rejected) >= 4, kind);
    }

    [TestMethod]
    public void No_file_makes_a_reader_hold_much_memory()
    {
        // The bombs inflate to 96 MiB here; nothing may be allocated for them. Peak resident set growth over the
        // process's state before each case, sampled every millisecond.
        var worst = _verdicts.MaxBy(v => v.PeakResidentBytes)!;
        long before = _verdicts.Min(v => v.PeakResidentBytes);
        Console.WriteLine($"peak resident {before >> 20}..{worst.PeakResidentBytes >> 20} MiB (worst: {worst.Case.Kind}/{worst.Case.Name})");
        Assert.IsTrue(worst.PeakResidentBytes - before < 64L << 20, $"{worst.Case.Kind}/{worst.Case.Name} grew the process by {(worst.PeakResidentBytes - before) >> 20} MiB");
    }

    [TestMethod]
    public void Inflation_bombs_and_oversized_configurations_are_refused_before_allocating()
    {
        AssertRejected("bomb", "options-json", "options.json", "more than");
        AssertRejected("bomb", "config-json", "config.json", "more than");
        AssertRejected("bomb", "weights-zeros", "weights.safetensors", "more than");
        AssertRejected(Verdict("bomb", "weights-zeros", standalone: true), "weights.safetensors", "more than");
        AssertRejected("bomb", "weights-declared-huge", "weights.safetensors");
        AssertRejected("size", "config-hidden-4096", "MaxParameterBytes");
        AssertRejected("size", "config-validation-maximum", "MaxParameterBytes");
        AssertRejected("size", "config-condition-size-huge", "MaxParameterBytes");
        AssertRejected(Verdict("size", "config-hidden-4096", standalone: true), "MaxParameterBytes");
        AssertRejected("size", "score-batch-size-max-int", "scoreBatchSize", "4,096");
        AssertRejected("size", "score-batch-size-zero", "scoreBatchSize");
        AssertRejected("size", "score-batch-size-negative", "scoreBatchSize");
        AssertRejected("size", "shape-huge", "shape");
    }

    [TestMethod]
    public void Corruption_is_detected_by_the_zip_crc_and_the_weights_sha256()
    {
        foreach (var v in _verdicts.Where(v => v.Case.Kind == "flip-compressed" && v.Case.Name.StartsWith("weights")))
            AssertRejected(v, "CRC-32");
        foreach (var v in _verdicts.Where(v => v.Case.Kind == "flip-content" && v.Case.Name.StartsWith("weights")))
            AssertRejected(v, "SHA-256");
        AssertRejected("archive", "declared-smaller", "options.json");
        AssertRejected("archive", "declared-larger", "options.json", "declares");
        foreach (var v in _verdicts.Where(v => v.Case.Kind == "flip-content" && v.Case.Name.StartsWith("options.json") && v.Outcome != ModelFuzzVerdict.LoadedSame))
            AssertRejected(v, "options.json");
    }

    [TestMethod]
    public void Broken_archives_and_special_files_are_clear_errors()
    {
        AssertRejected("archive", "empty", "empty, or is not a regular file");
        AssertRejected("archive", "text", "not a model file");
        AssertRejected("archive", "random-bytes", "not a model file");
        AssertRejected("archive", "truncated-0.5");
        AssertRejected(Verdict("archive", "truncated-0.5", standalone: true));
        AssertRejected("archive", "no-options", "options.json");
        AssertRejected("archive", "no-weights", "weights.safetensors");
        AssertRejected("archive", "unknown-loader");
        AssertRejected("special", "dev-zero-link", "not a regular file");
        AssertRejected("special", "fifo", "not a regular file");
        AssertRejected(Verdict("special", "fifo", standalone: true), "not a regular file");
        AssertRejected("special", "folder", "folder");
    }

    [TestMethod]
    public void The_cli_ends_every_broken_model_with_an_error_and_exit_code_and_writes_no_partial_csv()
    {
        var names = new[] { "empty", "text", "truncated-0.25", "truncated-0.999", "no-chain-key", "unknown-loader", "no-options" };
        foreach (var c in names.Select(n => Verdict("archive", n).Case)
                     .Concat([Verdict("size", "score-batch-size-zero").Case, Verdict("bomb", "options-json").Case, Verdict("special", "fifo").Case]))
        {
            var csv = Path.Combine(_dir, $"{c.Name}.csv");
            var (code, _, err) = CliCommandTests.Run("score", "--model", c.Path, "--data", "fashion-mnist:test", "--take", "2", "--out", csv);
            Assert.AreEqual(1, code, $"{c.Name}: {err}");
            StringAssert.StartsWith(err, "error: ", c.Name);
            StringAssert.Contains(err, c.Path, c.Name);
            Assert.IsFalse(File.Exists(csv), c.Name);
            Assert.AreEqual(0, Directory.EnumerateFiles(_dir, $".{c.Name}.csv.*").Count(), $"{c.Name}: a temporary file was left");
        }
    }

    [TestMethod]
    public void Models_written_now_record_the_weights_sha256_and_the_original_loads_with_its_scores()
    {
        Assert.IsTrue(_verdicts.Count(v => v.Outcome == ModelFuzzVerdict.LoadedSame) >= 1);
        using var zip = System.IO.Compression.ZipFile.OpenRead(_originals.ModelZip);
        using var reader = new StreamReader(zip.GetEntry(PixelCnnModel.ConfigEntry)!.Open());
        var config = System.Text.Json.Nodes.JsonNode.Parse(reader.ReadToEnd())!;
        Assert.AreEqual(64, config["weightsSha256"]!.GetValue<string>().Length);
        var ml = new MLContext(seed: 1);
        var loaded = ml.Model.LoadChecked(_originals.ScorerZip, out var schema);
        Assert.IsNotNull(schema);
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void A_larger_parameter_limit_admits_a_configuration_the_default_refuses()
    {
        var big = new PixelCnnConfig { Height = 8, Width = 8, Layers = 1, HiddenChannels = 64, OutputHiddenChannels = 16 };
        var path = Path.Combine(_dir, "limit.zip");
        using (var m = PixelCnnModel.Create(big)) m.Save(path);
        long before = PixelCnnModel.MaxParameterBytes;
        try
        {
            PixelCnnModel.MaxParameterBytes = 1 << 16;
            var e = Assert.ThrowsException<InvalidDataException>(() => PixelCnnModel.Load(path));
            StringAssert.Contains(e.Message, "MaxParameterBytes");
            PixelCnnModel.MaxParameterBytes = 1 << 24;
            using var loaded = PixelCnnModel.Load(path);
            Assert.AreEqual(big, loaded.Config);
        }
        finally
        {
            PixelCnnModel.MaxParameterBytes = before;
        }
    }
}
