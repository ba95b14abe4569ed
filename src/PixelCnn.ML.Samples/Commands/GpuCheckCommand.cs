// pixelcnn gpu-check: the correctness checks that need a real device, run where one exists (see
// scripts/gpu/): causality of every architecture on the device, and agreement of bits/dim between
// the CPU and the device for the same weights and input. Exit code 1 when any check fails.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;
using PixelCnn.ML.Diagnostics;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Benchmarks;
using PixelCnn.ML.Sampling;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class GpuCheckCommand
{
    private static readonly Option<string> DeviceOption = new("--device") { Description = "Device to check (cuda:N, or cpu to dry-run the checks).", DefaultValueFactory = _ => "cuda:0" };
    private static readonly Option<FileInfo?> Out = new("--out") { Description = "Write the results as JSON to this file." };

    public static Command Create()
    {
        var cmd = new Command("gpu-check", "Run the device correctness checks: causality, CPU-vs-device bits/dim agreement, sampling determinism and cached = naive sampling.")
        {
            DeviceOption, Out,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        var device = DeviceSelector.Parse(p.GetValue(DeviceOption)!);
        var report = new JsonObject { ["machine"] = Measurements.Machine(), ["device"] = device.ToString() };
        if ((device.type == DeviceType.CUDA)) report["device_name"] = Benchmarks.GpuInfo.DeviceName(device.index);
        var checks = new JsonArray();
        var table = new Table().AddColumns("check", "result", "detail");
        bool allPassed = true;
        void Record(string name, bool passed, string detail)
        {
            allPassed &= passed;
            checks.Add(new JsonObject { ["check"] = name, ["passed"] = passed, ["detail"] = detail });
            table.AddRow(Markup.Escape(name), passed ? "[green]pass[/]" : "[red]FAIL[/]", Markup.Escape(detail));
        }

        foreach (var arch in Enum.GetValues<PixelCnnArchitecture>())
            foreach (var colours in new[] { 1, 3 })
                foreach (var cond in new[] { ConditioningKind.None, ConditioningKind.Global, ConditioningKind.Spatial })
                {
                    Cli.Cancellation.ThrowIfCancellationRequested();
                    var config = new PixelCnnConfig
                    {
                        Architecture = arch, Channels = colours, Height = 6, Width = 6, Layers = 3, HiddenChannels = 24, OutputHiddenChannels = 24,
                        Conditioning = cond, ConditionSize = cond == ConditioningKind.None ? 0 : 4, SpatialConditionChannels = 3,
                    };
                    using var scope = NewDisposeScope();
                    using var model = PixelCnnModel.Create(config, seed: 7, device);
                    using var g = new Generator(3);
                    var x = (rand([2, colours, 6, 6], generator: g) * 255).floor().to(device);
                    var h = cond == ConditioningKind.None ? null : randn([2, 4], generator: g).to(device);
                    var v = CausalityCheck.Run(model.Network, x, h);
                    Record($"causality {arch} C={colours} {cond}", v.Count == 0, v.Count == 0 ? $"{6 * 6 * colours} outputs checked on {device}" : v[0].ToString());
                }

        foreach (var (preset, arch) in new[] { ("S", PixelCnnArchitecture.GatedPixelCnn), ("M", PixelCnnArchitecture.GatedPixelCnn),
                                               ("S", PixelCnnArchitecture.RowLstm), ("S", PixelCnnArchitecture.DiagonalBiLstm) })
        {
            var config = PixelCnnConfig.Preset(preset, arch);
            var images = Data.ImageDatasetFactory.Random(config, 16, seed: 5);
            using var cpu = PixelCnnModel.Create(config, seed: 11);
            using var dev = PixelCnnModel.Create(config, seed: 11).To(device);
            var a = cpu.Score(images).BitsPerDim;
            var b = dev.Score(images).BitsPerDim;
            double maxDiff = a.Zip(b, (u, w) => Math.Abs(u - w)).Max();
            Record($"CPU vs {device} bits/dim, {arch} preset {preset}", maxDiff <= 1e-4, $"max difference {maxDiff:E2} over 16 images (limit 1e-4)");
        }

        foreach (var arch in Enum.GetValues<PixelCnnArchitecture>())
        {
            Cli.Cancellation.ThrowIfCancellationRequested();
            var config = new PixelCnnConfig { Architecture = arch, Height = 10, Width = 10, Layers = 3, HiddenChannels = 16, OutputHiddenChannels = 32 };
            using var model = PixelCnnModel.Create(config, seed: 9, device);
            var first = PixelCnnSampler.SampleBytes(model, 4, options: new SamplingOptions { Seed = 21 });
            var again = PixelCnnSampler.SampleBytes(model, 4, options: new SamplingOptions { Seed = 21 });
            var naive = PixelCnnSampler.SampleBytes(model, 4, options: new SamplingOptions { Seed = 21, Kind = SamplerKind.Naive });
            Record($"sampling determinism {arch} on {device}", first.AsSpan().SequenceEqual(again), "same seed twice gives the same images");
            Record($"cached = naive sampling {arch} on {device}", first.AsSpan().SequenceEqual(naive),
                   $"{first.Zip(naive).Count(z => z.First != z.Second)} of {first.Length} sub-pixels differ");
        }

        report["checks"] = checks;
        report["passed"] = allPassed;
        AnsiConsole.Write(table);
        if (p.GetValue(Out) is { } file) File.WriteAllText(file.FullName, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return allPassed ? Cli.Ok : Cli.Failed;
    }
}
