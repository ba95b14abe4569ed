// Cross-check against an independent PyTorch implementation (tools/pytorch/gated_pixelcnn.py and pixelrnn.py) run
// with Debian's python3-torch: the same weights (through safetensors) and inputs must give the same
// logits and bits/dim within 1e-4 (for the auxiliary-variable architectures, which have no single set of logits, each
// part's nats per image within 1e-3 and bits/dim within 1e-4).
using System.Diagnostics;
using System.Text.Json;
using PixelCnn.ML.Data;
using PixelCnn.ML.Models;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Models;

[TestClass]
public class PyTorchCrossCheckTests
{
    internal const string Python = "/usr/bin/python3";

    /// <summary>Null when Debian's python3 with torch is present, else the reason it is not.</summary>
    internal static string? PythonTorchMissing()
    {
        if (!File.Exists(Python)) return $"{Python} is not installed (apt-get install python3-torch)";
        var (code, _, err) = Run(Python, "-c \"import torch\"");
        return code == 0 ? null : $"python3-torch is not installed for {Python}: {err.Trim()}";
    }

    internal static (int code, string stdout, string stderr) Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var so = p.StandardOutput.ReadToEndAsync();
        var se = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, so.Result, se.Result);
    }

    public static IEnumerable<object[]> Configs()
    {
        var baseCfg = new PixelCnnConfig { Height = 10, Width = 9, Layers = 3, HiddenChannels = 12, OutputHiddenChannels = 18 };
        yield return ["gated, grey, softmax", baseCfg];
        yield return ["gated, RGB, mixture, global, skips", baseCfg with { Channels = 3, Output = OutputDistribution.LogisticMixture, Conditioning = ConditioningKind.Global, ConditionSize = 4, SkipConnections = true }];
        yield return ["gated, grey, spatial, kernel 5", baseCfg with { KernelSize = 5, Conditioning = ConditioningKind.Spatial, ConditionSize = 3, SpatialConditionChannels = 4 }];
        yield return ["baseline, RGB, softmax, global", baseCfg with { Architecture = PixelCnnArchitecture.PixelCnn, Channels = 3, Conditioning = ConditioningKind.Global, ConditionSize = 2 }];
        yield return ["preset S", PixelCnnConfig.PresetS];
        var rnn = baseCfg with { Layers = 2, HiddenChannels = 9 };
        yield return ["row LSTM, grey, softmax", rnn with { Architecture = PixelCnnArchitecture.RowLstm }];
        yield return ["row LSTM, RGB, mixture, global, skips, kernel 5", rnn with { Architecture = PixelCnnArchitecture.RowLstm, Channels = 3, KernelSize = 5, Output = OutputDistribution.LogisticMixture, Conditioning = ConditioningKind.Global, ConditionSize = 4, SkipConnections = true }];
        yield return ["diagonal BiLSTM, grey, spatial", rnn with { Architecture = PixelCnnArchitecture.DiagonalBiLstm, Conditioning = ConditioningKind.Spatial, ConditionSize = 3, SpatialConditionChannels = 4 }];
        yield return ["diagonal BiLSTM, RGB, global, skips", rnn with { Architecture = PixelCnnArchitecture.DiagonalBiLstm, Channels = 3, Conditioning = ConditioningKind.Global, ConditionSize = 2, SkipConnections = true }];
        yield return ["row LSTM preset S", PixelCnnConfig.Preset("S", PixelCnnArchitecture.RowLstm)];
        yield return ["diagonal BiLSTM preset S", PixelCnnConfig.Preset("S", PixelCnnArchitecture.DiagonalBiLstm)];
        yield return ["gated, grey, 16 levels", baseCfg with { Levels = 16 }];
        yield return ["gated, RGB, image condition of 2 planes, skips", baseCfg with { Channels = 3, Conditioning = ConditioningKind.Image, ConditionSize = 2 * 90, SpatialConditionChannels = 5, SkipConnections = true }];
        var staged = new PixelCnnConfig { Height = 8, Width = 8, Layers = 2, HiddenChannels = 12, OutputHiddenChannels = 18, SuperResolutionBlocks = 2 };
        yield return ["grayscale, grey", staged with { Architecture = PixelCnnArchitecture.Grayscale }];
        yield return ["grayscale, RGB, 3 bits, global", staged with { Architecture = PixelCnnArchitecture.Grayscale, Channels = 3, AuxiliaryBits = 3, Conditioning = ConditioningKind.Global, ConditionSize = 4 }];
        yield return ["pyramid, grey, 2 levels, blocks order", staged with { Architecture = PixelCnnArchitecture.Pyramid, SuperResolutionOrder = SuperResolutionOrder.Blocks }];
        yield return ["pyramid, grey, 2 levels, raster order", staged with { Architecture = PixelCnnArchitecture.Pyramid, SuperResolutionOrder = SuperResolutionOrder.Raster }];
        yield return ["pyramid, RGB, 2 levels, blocks order, global", staged with { Architecture = PixelCnnArchitecture.Pyramid, Channels = 3, SuperResolutionOrder = SuperResolutionOrder.Blocks, Conditioning = ConditioningKind.Global, ConditionSize = 4 }];
        yield return ["pyramid, RGB, 1 level, kernel 3, spatial", staged with { Architecture = PixelCnnArchitecture.Pyramid, Channels = 3, PyramidLevels = 1, SuperResolutionKernelSize = 3, Conditioning = ConditioningKind.Spatial, ConditionSize = 3, SpatialConditionChannels = 4 }];
        yield return ["grayscale preset S", PixelCnnConfig.Preset("S", PixelCnnArchitecture.Grayscale)];
        yield return ["pyramid preset S", PixelCnnConfig.Preset("S", PixelCnnArchitecture.Pyramid)];
    }

    [TestMethod]
    public void The_pyramid_positions_tool_splits_each_level_into_its_four_positions_and_they_add_up_to_our_parts()
    {
        if (PythonTorchMissing() is { } reason) Assert.Inconclusive(reason);
        var dir = Directory.CreateTempSubdirectory("pixelcnn-planes-").FullName;
        try
        {
            using var scope = NewDisposeScope();
            using var model = PixelCnnModel.Create(PixelCnnConfig.Preset("S", PixelCnnArchitecture.Pyramid), seed: 3);
            var path = Path.Combine(dir, "pyramid.zip");
            model.Save(path);
            var script = RepoPaths.Get("tools", "pytorch", "pyramid_planes.py");
            var (code, stdout, err) = Run(Python, $"\"{script}\" \"{path}\" --images 20");
            Assert.AreEqual(0, code, err);
            var json = JsonDocument.Parse(stdout).RootElement;
            Assert.AreEqual(20, json.GetProperty("images").GetInt32());
            var test = FashionMnist.Load(FashionMnistSplit.Test, 20);
            var x = tensor(test.Images, 20, 1, 28, 28).to(ScalarType.Float32);
            using var _ = no_grad();
            // Our parts, nats per image → bits/dim of the image, averaged.
            var parts = ((AuxiliaryPixelCnn)model.Network).PartNats(x).to(ScalarType.Float64).mean([0]).data<double>().ToArray()
                .Select(n => n / 784 / Math.Log(2)).ToArray();
            Assert.AreEqual(parts[0], json.GetProperty("base").GetDouble(), 1e-4, "the 7x7 level");
            var levels = json.GetProperty("levels").EnumerateArray().ToArray();
            Assert.AreEqual(2, levels.Length);
            for (int k = 0; k < 2; k++)
            {
                Assert.AreEqual(14 << k, levels[k].GetProperty("size").GetInt32());
                var positions = levels[k].GetProperty("positions").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Assert.AreEqual(4, positions.Length);
                Assert.IsTrue(positions.All(b => b > 0), "every position costs bits");
                Assert.AreEqual(parts[k + 1], positions.Sum(), 1e-4, $"level {k}: the positions add up to our part");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestMethod]
    [DynamicData(nameof(Configs), DynamicDataSourceType.Method)]
    public void PyTorch_gives_the_same_logits_and_bits_per_dim_for_the_same_weights(string name, PixelCnnConfig config)
    {
        if (PythonTorchMissing() is { } reason) Assert.Inconclusive(reason);
        var dir = Directory.CreateTempSubdirectory("pixelcnn-xcheck-").FullName;
        try
        {
            using var scope = NewDisposeScope();
            using var model = PixelCnnModel.Create(config, seed: 21);
            var g = new Generator(5);
            var x = (rand([3, config.Channels, config.Height, config.Width], generator: g) * config.Levels).floor().clamp(0, config.Levels - 1);
            var inputs = new Dictionary<string, Tensor> { ["x"] = x };
            Tensor? h = null;
            if (config.Conditioning != ConditioningKind.None) inputs["h"] = h = randn([3, config.ConditionSize], generator: g);
            using (no_grad())
                foreach (var (parameterName, parameter) in model.Network.named_parameters())
                    if (parameterName.EndsWith("cond_logits.table", StringComparison.Ordinal)) parameter.normal_(generator: g); // zero at initialisation
            SafeTensors.Save(model.Network.state_dict(), Path.Combine(dir, "w.safetensors"));
            SafeTensors.Save(inputs, Path.Combine(dir, "in.safetensors"));
            File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, ModelJson.Default.PixelCnnConfig));

            var script = RepoPaths.Get("tools", "pytorch", "gated_pixelcnn.py");
            var (code, _, err) = Run(Python, $"\"{script}\" crosscheck --config \"{dir}/config.json\" --weights \"{dir}/w.safetensors\" --inputs \"{dir}/in.safetensors\" --out \"{dir}/out.safetensors\"");
            Assert.AreEqual(0, code, err);
            var reference = SafeTensors.Load(Path.Combine(dir, "out.safetensors"));

            using var _ = no_grad();
            if (model.Network is AuxiliaryPixelCnn staged)
            {
                var parts = staged.PartNats(x, h);
                var partDiff = (parts - reference["part_nats"]).abs().max().item<float>();
                Assert.IsTrue(partDiff <= 1e-3, $"{name}: the parts' nats differ by up to {partDiff}");
            }
            else
            {
                var logits = model.Network.forward(x, h);
                var maxDiff = (logits - reference["logits"]).abs().max().item<float>();
                Assert.IsTrue(maxDiff <= 1e-4, $"{name}: logits differ by up to {maxDiff}");
            }
            var ours = model.Score(new PixelCnn.ML.Data.ImageDataset(config.Channels, config.Height, config.Width,
                x.to(ScalarType.Byte).data<byte>().ToArray(), h?.data<float>().ToArray(), config.ConditionSize)).BitsPerDim;
            var theirs = reference["bits_per_dim"].data<double>().ToArray();
            for (int i = 0; i < 3; i++) Assert.AreEqual(theirs[i], ours[i], 1e-4, $"{name}: bits/dim of image {i}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
