// pixelcnn bench: training and scoring throughput of presets S and M beside the PyTorch reference
// on the same libtorch, threads, batch and allocator policy (alternating the two sides, medians of
// several rounds), optionally a one-epoch Fashion-MNIST quality run of both from the same initial
// weights and batch order. Writes JSON and prints a table; figures go to docs/benchmarks.md.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PixelCnn.ML.IO;
using PixelCnn.ML.Data;
using PixelCnn.ML.Engine;
using PixelCnn.ML.Models;
using PixelCnn.ML.Samples.Benchmarks;
using PixelCnn.ML.Scoring;
using PixelCnn.ML.Serialization;
using PixelCnn.ML.Training;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace PixelCnn.ML.Samples.Commands;

internal static class BenchCommand
{
    private static readonly Option<string> Presets = new("--presets") { Description = "Comma-separated presets to measure.", DefaultValueFactory = _ => "S,M" };
    private static readonly Option<int> Batch = new("--batch") { Description = "Training batch size.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int> Warmup = new("--warmup") { Description = "Untimed training steps first.", DefaultValueFactory = _ => 3 };
    private static readonly Option<int> TrainSteps = new("--train-steps") { Description = "Timed training steps per round.", DefaultValueFactory = _ => 20 };
    private static readonly Option<int> ScoreBatch = new("--score-batch") { Description = "Scoring batch size.", DefaultValueFactory = _ => 256 };
    private static readonly Option<int> ScoreBatches = new("--score-batches") { Description = "Timed scoring batches per round.", DefaultValueFactory = _ => 4 };
    private static readonly Option<int> Rounds = new("--rounds") { Description = "Rounds per side (alternating); medians are reported.", DefaultValueFactory = _ => 3 };
    private static readonly Option<bool> NoPyTorch = new("--no-pytorch") { Description = "Measure only PixelCnn.ML." };
    private static readonly Option<bool> Quality = new("--quality") { Description = "Also train preset S for one epoch of Fashion-MNIST on both sides and compare test bits/dim." };
    private static readonly Option<int> QualityImages = new("--quality-images") { Description = "Training images for the quality run (0 = all 60,000).", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> SkipThroughput = new("--skip-throughput") { Description = "Skip the training/scoring throughput comparison." };
    private static readonly Option<bool> Sampling = new("--sampling") { Description = "Also time naive against cached sampling (preset S; batches from --sampling-batches)." };
    private static readonly Option<string> SamplingBatches = new("--sampling-batches") { Description = "Batch sizes of the sampling benchmark.", DefaultValueFactory = _ => "1,16,64" };
    private static readonly Option<int> NaiveSubpixels = new("--naive-subpixels") { Description = "Sub-pixels the naive sampler is timed on before extrapolating (0 = whole images).", DefaultValueFactory = _ => 28 };
    private static readonly Option<string?> ThreadWait = new("--thread-wait")
    {
        Description = "Compare how idle threads wait, one worker alone and two at once, alternating: a comma-separated list of short (the engine's " +
                      "default), spin (libgomp's own policy), passive (sleep at once), or a number (GOMP_SPINCOUNT: spin that long, then sleep), e.g. spin,short,passive.",
    };
    private static readonly Option<FileInfo?> Out = new("--out") { Description = "Write the results as JSON to this file." };
    private static readonly Option<string> DeviceOption = new("--device") { Description = "cpu, cuda or cuda:N (both sides).", DefaultValueFactory = _ => "cpu" };
    private static readonly Option<string> QualityPreset = new("--quality-preset") { Description = "Preset of the quality run.", DefaultValueFactory = _ => "S" };
    private static readonly Option<string?> Python = new("--python") { Description = "Python with torch for the reference (default /usr/bin/python3)." };

    public static Command Create()
    {
        var cmd = new Command("bench", "Measure training/scoring throughput (and optionally quality) beside the PyTorch reference.")
        {
            Presets, Batch, Warmup, TrainSteps, ScoreBatch, ScoreBatches, Rounds, NoPyTorch, Quality, QualityImages, QualityPreset, SkipThroughput, ThreadWait,
            Sampling, SamplingBatches, NaiveSubpixels, DeviceOption, Out, Python,
        };
        cmd.SetAction(Run);
        return cmd;
    }

    private static readonly Option<string> WorkerPreset = new("--preset") { DefaultValueFactory = _ => "S" };

    /// <summary>Hidden child-process entry: one measurement of our implementation, as JSON on stdout.</summary>
    public static Command CreateWorker()
    {
        var cmd = new Command("bench-worker", "(internal) one throughput measurement in a fresh process")
        {
            WorkerPreset, Batch, Warmup, TrainSteps, ScoreBatch, ScoreBatches, DeviceOption,
        };
        cmd.Hidden = true;
        cmd.SetAction(p =>
        {
            var r = Measurements.TrainAndScore(p.GetValue(WorkerPreset)!, p.GetValue(Batch), p.GetValue(Warmup), p.GetValue(TrainSteps),
                                               p.GetValue(ScoreBatch), p.GetValue(ScoreBatches),
                                               Engine.DeviceSelector.Parse(p.GetValue(DeviceOption)!));
            Console.WriteLine(r.ToJsonString());
            return Cli.Ok;
        });
        return cmd;
    }

    private static int Run(ParseResult p)
    {
        var presets = p.GetValue(Presets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var s in presets) PixelCnnConfig.Preset(s); // validates names
        var (reference, reason) = p.GetValue(NoPyTorch) ? (null, "disabled with --no-pytorch") : PyTorchReference.Find(p.GetValue(Python));
        if (reference is null) Cli.Err.MarkupLine($"[yellow]PyTorch reference skipped:[/] {Markup.Escape(reason!)}");
        var report = new JsonObject
        {
            ["machine"] = Measurements.Machine(),
            ["allocator"] = "glibc malloc with mmap_max=0, trim_threshold=2^31-1 on both sides (mallopt in TorchEngine; GLIBC_TUNABLES for Python)",
            ["command"] = "pixelcnn " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'"),
        };
        var device = Engine.DeviceSelector.Parse(p.GetValue(DeviceOption)!);
        report["device"] = device.ToString();
        if ((device.type == DeviceType.CUDA)) report["device_name"] = Benchmarks.GpuInfo.DeviceName(device.index);
        if (!p.GetValue(SkipThroughput))
            report["throughput"] = Throughput(p, presets, reference, device);
        if (p.GetValue(Sampling))
            report["sampling"] = SamplingRun(p, device);
        if (p.GetValue(ThreadWait) is { } policies)
            report["thread_wait"] = ThreadWaitRun(p, presets, device, policies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        if (p.GetValue(Quality))
            report["quality"] = QualityRun(p.GetValue(QualityPreset)!, p.GetValue(QualityImages), reference, device);
        if (p.GetValue(Out) is { } file)
        {
            AtomicFile.WriteAllText(file.FullName, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            Cli.Err.MarkupLine($"Results written to [green]{Markup.Escape(file.FullName)}[/]");
        }
        return Cli.Ok;
    }

    private static JsonArray Throughput(ParseResult p, string[] presets, PyTorchReference? reference, Device device)
    {
        int batch = p.GetValue(Batch), warmup = p.GetValue(Warmup), steps = p.GetValue(TrainSteps);
        int sb = p.GetValue(ScoreBatch), sn = p.GetValue(ScoreBatches), rounds = p.GetValue(Rounds);
        var results = new JsonArray();
        var table = new Table().AddColumns("preset", "side", "train img/s", "score img/s", "peak RSS MiB", "train ratio", "score ratio");
        foreach (var preset in presets)
        {
            var ours = new List<JsonObject>();
            var theirs = new List<JsonObject>();
            for (int r = 0; r < rounds; r++)
            {
                Cli.Cancellation.ThrowIfCancellationRequested();
                Cli.Err.MarkupLine($"[grey]preset {preset}, round {r + 1}/{rounds}[/]");
                ours.Add(RunWorker(preset, batch, warmup, steps, sb, sn, device));
                if (reference is not null)
                    theirs.Add(reference.Run($"bench --preset {preset} --threads {torch.get_num_threads()} --batch {batch} --warmup {warmup} " +
                                             $"--train-steps {steps} --score-batch {sb} --score-batches {sn} --device {device}"));
            }
            var entry = new JsonObject { ["preset"] = preset.ToUpperInvariant(), ["batch"] = batch, ["score_batch"] = sb, ["rounds"] = rounds };
            entry["pixelcnn_ml"] = Summary(ours);
            double oT = Median(ours, "train_images_per_s"), oS = Median(ours, "score_images_per_s");
            table.AddRow(preset, "PixelCnn.ML", F(oT), F(oS), F(ours.Max(o => (double)o["peak_rss_mib"]!)), "", "");
            if (theirs.Count > 0)
            {
                entry["pytorch"] = Summary(theirs);
                double tT = Median(theirs, "train_images_per_s"), tS = Median(theirs, "score_images_per_s");
                entry["train_ratio"] = oT / tT;
                entry["score_ratio"] = oS / tS;
                table.AddRow(preset, "PyTorch", F(tT), F(tS), F(theirs.Max(o => (double)o["peak_rss_mib"]!)), $"{oT / tT:F2}", $"{oS / tS:F2}");
            }
            results.Add(entry);
        }
        AnsiConsole.Write(table);
        return results;
    }

    private static string F(double v) => v.ToString("F1");

    private static double Median(List<JsonObject> xs, string key)
    {
        var v = xs.Select(o => (double)o[key]!).Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static JsonObject Summary(List<JsonObject> rounds) => new()
    {
        ["train_images_per_s_median"] = Median(rounds, "train_images_per_s"),
        ["score_images_per_s_median"] = Median(rounds, "score_images_per_s"),
        ["peak_rss_mib_max"] = rounds.Max(o => (double)o["peak_rss_mib"]!),
        ["params"] = rounds[0]["params"]!.DeepClone(),
        ["threads"] = rounds[0]["threads"]!.DeepClone(),
        ["torch"] = rounds[0]["torch"]!.DeepClone(),
        ["allocator_tuned"] = rounds[0]["allocator_tuned"]?.DeepClone(),
        ["cpu_convolutions"] = rounds[0]["cpu_convolutions"]?.DeepClone(),
        ["rounds"] = new JsonArray(rounds.Select(r => (JsonNode)new JsonObject
        {
            ["train_images_per_s"] = r["train_images_per_s"]!.DeepClone(),
            ["score_images_per_s"] = r["score_images_per_s"]!.DeepClone(),
        }).ToArray()),
    };

    /// <summary>
    /// How idle threads wait (libgomp's own long spin, the engine's short spin, sleeping at once, or a spin count): per
    /// preset and round, one worker alone, then two started together (the machine's throughput is their sum), each policy in turn.
    /// </summary>
    private static JsonArray ThreadWaitRun(ParseResult p, string[] presets, Device device, string[] policies)
    {
        foreach (var policy in policies)
            if (policy is not ("short" or "spin" or "passive") && !long.TryParse(policy, out _))
                throw new ArgumentException($"--thread-wait: '{policy}' is not short, spin, passive or a spin count");
        int batch = p.GetValue(Batch), warmup = p.GetValue(Warmup), steps = p.GetValue(TrainSteps);
        int sb = p.GetValue(ScoreBatch), sn = p.GetValue(ScoreBatches), rounds = p.GetValue(Rounds);
        var results = new JsonArray();
        var table = new Table().AddColumns("preset", "idle threads", "alone: train img/s", "alone: score img/s", "two at once: train img/s (sum)", "two at once: score img/s (sum)");
        foreach (var preset in presets)
        {
            var runs = policies.ToDictionary(policy => policy, _ => (Train: new List<double>(), Score: new List<double>(), PairTrain: new List<double>(), PairScore: new List<double>()));
            for (int r = 0; r < rounds; r++)
                foreach (var (policy, m) in runs)
                {
                    Cli.Cancellation.ThrowIfCancellationRequested();
                    Cli.Err.MarkupLine($"[grey]thread wait {policy}, preset {preset}, round {r + 1}/{rounds}[/]");
                    var env = long.TryParse(policy, out _)
                        ? new Dictionary<string, string> { ["GOMP_SPINCOUNT"] = policy }
                        : new Dictionary<string, string> { ["PIXELCNN_THREAD_WAIT"] = policy };
                    var alone = RunWorker(preset, batch, warmup, steps, sb, sn, device, env);
                    m.Train.Add((double)alone["train_images_per_s"]!);
                    m.Score.Add((double)alone["score_images_per_s"]!);
                    var pair = Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => RunWorker(preset, batch, warmup, steps, sb, sn, device, env)))).Result;
                    m.PairTrain.Add(pair.Sum(o => (double)o["train_images_per_s"]!));
                    m.PairScore.Add(pair.Sum(o => (double)o["score_images_per_s"]!));
                }
            var entry = new JsonObject { ["preset"] = preset.ToUpperInvariant(), ["batch"] = batch, ["score_batch"] = sb, ["rounds"] = rounds };
            foreach (var (policy, m) in runs)
            {
                entry[policy] = new JsonObject
                {
                    ["alone_train_images_per_s"] = Median(m.Train), ["alone_score_images_per_s"] = Median(m.Score),
                    ["two_at_once_train_images_per_s_sum"] = Median(m.PairTrain), ["two_at_once_score_images_per_s_sum"] = Median(m.PairScore),
                    ["rounds_score_two_at_once"] = new JsonArray(m.PairScore.Select(v => (JsonNode?)v).ToArray()),
                };
                table.AddRow(preset, policy, F(Median(m.Train)), F(Median(m.Score)), F(Median(m.PairTrain)), F(Median(m.PairScore)));
            }
            results.Add(entry);
        }
        AnsiConsole.Write(table);
        return results;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static JsonObject RunWorker(string preset, int batch, int warmup, int steps, int sb, int sn, Device device,
                                        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        // Under `dotnet pixelcnn.dll` the process path is dotnet itself: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(typeof(BenchCommand).Assembly.Location);
        foreach (var a in new[] { "bench-worker", "--preset", preset, "--batch", $"{batch}", "--warmup", $"{warmup}", "--train-steps", $"{steps}",
                                  "--score-batch", $"{sb}", "--score-batches", $"{sn}", "--device", device.ToString() })
            psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        var so = proc.StandardOutput.ReadToEndAsync();
        var se = proc.StandardError.ReadToEndAsync();
        proc.WaitForExit();
        if (proc.ExitCode != 0) throw new InvalidOperationException($"benchmark worker failed: {se.Result.Trim()}");
        return JsonNode.Parse(so.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last())!.AsObject();
    }

    /// <summary>Naive against cached sampling of preset S at each batch size (medians of the rounds).</summary>
    private static JsonArray SamplingRun(ParseResult p, Device device)
    {
        var results = new JsonArray();
        var table = new Table().AddColumns("batch", "cached img/s", "naive img/s", "speed-up", "naive timed on");
        foreach (var b in p.GetValue(SamplingBatches)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse))
        {
            Cli.Err.MarkupLine($"[grey]sampling, preset S, batch {b}[/]");
            var r = PixelCnn.ML.Sampling.SamplingBenchmark.Run(PixelCnnConfig.PresetS, b, p.GetValue(NaiveSubpixels), p.GetValue(Rounds), device: device,
                                                   cancellationToken: Cli.Cancellation);
            results.Add(JsonSerializer.SerializeToNode(new
            {
                preset = "S", batch = r.Batch, threads = r.Threads, device = r.Device, rounds = r.Rounds,
                cached_images_per_s = r.CachedImagesPerSecond, cached_seconds_per_batch = r.CachedSecondsPerBatch,
                naive_images_per_s = r.NaiveImagesPerSecond, naive_seconds_per_batch = r.NaiveSecondsPerBatch,
                naive_subpixels_timed = r.NaiveSubpixelsTimed, naive_extrapolated = r.NaiveExtrapolated, speed_up = r.SpeedUp,
            }));
            table.AddRow($"{b}", $"{r.CachedImagesPerSecond:F2}", $"{r.NaiveImagesPerSecond:F3}", $"{r.SpeedUp:F1}x",
                         r.NaiveExtrapolated ? $"{r.NaiveSubpixelsTimed} of {r.Subpixels} sub-pixels" : "whole images");
        }
        AnsiConsole.Write(table);
        return results;
    }

    /// <summary>One epoch of a preset on Fashion-MNIST on both sides, from the same weights and batch order.</summary>
    private static JsonObject QualityRun(string preset, int limit, PyTorchReference? reference, Device device)
    {
        const ulong seed = 1;
        var config = PixelCnnConfig.Preset(preset);
        var trainIdx = FashionMnist.Load(FashionMnistSplit.Train, limit > 0 ? limit : null);
        var testIdx = FashionMnist.Load(FashionMnistSplit.Test);
        var train = new ImageDataset(1, 28, 28, trainIdx.Images);
        var test = new ImageDataset(1, 28, 28, testIdx.Images);
        var dir = Directory.CreateTempSubdirectory("pixelcnn-quality-").FullName;
        try
        {
            var weights = Path.Combine(dir, "init.safetensors");
            using (var init = PixelCnnModel.Create(config, seed)) SafeTensors.Save(init.Network.state_dict(), weights);
            var order = PixelCnnTrainer.Permutation(seed, 0, train.Count);
            var orderFile = Path.Combine(dir, "order.bin");
            File.WriteAllBytes(orderFile, order.SelectMany(BitConverter.GetBytes).ToArray());

            Cli.Err.MarkupLine($"[grey]quality run: PixelCnn.ML, preset {preset}, {train.Count} images, 1 epoch, {device}[/]");
            var sw = Stopwatch.StartNew();
            var result = new PixelCnnTrainer(config, new TrainingOptions { Epochs = 1, Seed = seed, ProgressEverySteps = 50, Device = device })
                .Fit(train, null, new ConsoleTrainingProgress(), Cli.Cancellation);
            double trainSeconds = sw.Elapsed.TotalSeconds;
            using var model = result.Model;
            double bpd = model.MeanBitsPerDim(test, 500);
            var q = new JsonObject
            {
                ["preset"] = preset.ToUpperInvariant(), ["device"] = device.ToString(), ["train_images"] = train.Count, ["test_images"] = test.Count, ["seed"] = seed,
                ["pixelcnn_ml"] = new JsonObject
                {
                    ["test_bits_per_dim"] = bpd, ["train_seconds"] = trainSeconds, ["train_images_per_s"] = train.Count / trainSeconds,
                },
            };
            AnsiConsole.MarkupLine($"PixelCnn.ML: test {bpd:F4} bits/dim after {trainSeconds:F0} s of training");
            if (reference is not null)
            {
                Cli.Err.MarkupLine("[grey]quality run: PyTorch, same initial weights and batch order[/]");
                var r = reference.Run($"train-epoch --preset {preset} --device {device} --threads {torch.get_num_threads()} --weights \"{weights}\" --order \"{orderFile}\"" +
                                      (limit > 0 ? $" --limit {limit}" : ""));
                q["pytorch"] = r;
                double diff = bpd - (double)r["test_bits_per_dim"]!;
                q["bits_per_dim_difference"] = diff;
                AnsiConsole.MarkupLine($"PyTorch:     test {(double)r["test_bits_per_dim"]!:F4} bits/dim after {(double)r["train_seconds"]!:F0} s of training (difference {diff:+0.0000;-0.0000})");
            }
            return q;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
