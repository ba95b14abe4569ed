// Cross-check against an independent PyTorch implementation (tools/pytorch/gated_pixelcnn.py and pixelrnn.py) run
// with Debian's python3-torch: the same weights (through safetensors) and inputs must give the same
// logits and bits/dim within 1e-4.
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
            var x = (rand([3, config.Channels, config.Height, config.Width], generator: g) * 256).floor().clamp(0, 255);
            var inputs = new Dictionary<string, Tensor> { ["x"] = x };
            Tensor? h = null;
            if (config.Conditioning != ConditioningKind.None) inputs["h"] = h = randn([3, config.ConditionSize], generator: g);
            SafeTensors.Save(model.Network.state_dict(), Path.Combine(dir, "w.safetensors"));
            SafeTensors.Save(inputs, Path.Combine(dir, "in.safetensors"));
            File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config, ModelJson.Default.PixelCnnConfig));

            var script = RepoPaths.Get("tools", "pytorch", "gated_pixelcnn.py");
            var (code, _, err) = Run(Python, $"\"{script}\" crosscheck --config \"{dir}/config.json\" --weights \"{dir}/w.safetensors\" --inputs \"{dir}/in.safetensors\" --out \"{dir}/out.safetensors\"");
            Assert.AreEqual(0, code, err);
            var reference = SafeTensors.Load(Path.Combine(dir, "out.safetensors"));

            using var _ = no_grad();
            var logits = model.Network.forward(x, h);
            var maxDiff = (logits - reference["logits"]).abs().max().item<float>();
            Assert.IsTrue(maxDiff <= 1e-4, $"{name}: logits differ by up to {maxDiff}");
            var ours = model.Score(new PixelCnn.ML.Data.ImageDataset(config.Channels, config.Height, config.Width,
                x.to(ScalarType.Byte).data<byte>().ToArray(), h?.data<float>().ToArray(), config.ConditionSize)).BitsPerDim;
            var theirs = reference["bits_per_dim"].data<double>().ToArray();
            for (int i = 0; i < 3; i++) Assert.AreEqual(theirs[i], ours[i], 1e-4, $"{name}: bits/dim of image {i}");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
