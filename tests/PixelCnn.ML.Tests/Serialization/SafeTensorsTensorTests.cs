using PixelCnn.ML.Serialization;
using PixelCnn.ML.Tests.Engine;
using PixelCnn.ML.Training;
using TorchSharp;
using static PixelCnn.ML.Tests.Serialization.SafeTensorsBytes;
using static TorchSharp.torch;

namespace PixelCnn.ML.Tests.Serialization;

[TestClass]
public class SafeTensorsTensorTests
{
    private TempFolder _folder = null!;
    private DisposeScope _scope = null!;

    [TestInitialize]
    public void Setup()
    {
        _folder = new TempFolder();
        _scope = torch.NewDisposeScope();
    }

    [TestCleanup]
    public void Cleanup()
    {
        _scope.Dispose();
        _folder.Dispose();
    }

    private string FilePath(string name) => _folder.PathOf(name);

    private Dictionary<string, Tensor> SaveAndLoad(Dictionary<string, Tensor> tensors)
    {
        var path = FilePath("t.safetensors");
        SafeTensors.Save(tensors, path);
        return SafeTensors.Load(path);
    }

    // ---- round trips

    [TestMethod]
    public void Float32_round_trip_is_bit_exact_including_NaN_payloads_and_negative_zero()
    {
        uint[] bits = [0x7FC00001, 0xFFC12345, 0x7F800001, 0x80000000, 0x7F800000, 0xFF800000, 0x00000001, 0x7F7FFFFF];
        var values = bits.Select(BitConverter.UInt32BitsToSingle).ToArray();

        var back = SaveAndLoad(new() { ["x"] = torch.tensor(values, [2, 4]) })["x"];

        Assert.AreEqual(ScalarType.Float32, back.dtype);
        CollectionAssert.AreEqual(new long[] { 2, 4 }, back.shape);
        CollectionAssert.AreEqual(bits, back.data<float>().ToArray().Select(BitConverter.SingleToUInt32Bits).ToArray());
    }

    [TestMethod]
    public void Float64_round_trip_is_bit_exact_including_NaN_payloads_and_negative_zero()
    {
        ulong[] bits = [0x7FF8000000000001, 0xFFF0000000000ABC, 0x8000000000000000, 0x7FF0000000000000, 0x0000000000000001, 0x7FEFFFFFFFFFFFFF];
        var values = bits.Select(BitConverter.UInt64BitsToDouble).ToArray();

        var back = SaveAndLoad(new() { ["x"] = torch.tensor(values, [3, 2]) })["x"];

        Assert.AreEqual(ScalarType.Float64, back.dtype);
        CollectionAssert.AreEqual(bits, back.data<double>().ToArray().Select(BitConverter.DoubleToUInt64Bits).ToArray());
    }

    [TestMethod]
    public void Int64_round_trip_keeps_the_extremes()
    {
        long[] values = [long.MinValue, long.MaxValue, -1, 0, 1, long.MinValue + 1];

        var back = SaveAndLoad(new() { ["x"] = torch.tensor(values, [6]) })["x"];

        Assert.AreEqual(ScalarType.Int64, back.dtype);
        CollectionAssert.AreEqual(values, back.data<long>().ToArray());
    }

    [TestMethod]
    public void UInt8_round_trip_keeps_every_byte_value()
    {
        var values = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        var back = SaveAndLoad(new() { ["x"] = torch.tensor(values, [16, 16]) })["x"];

        Assert.AreEqual(ScalarType.Byte, back.dtype);
        CollectionAssert.AreEqual(values, back.data<byte>().ToArray());
    }

    [TestMethod]
    public void Bool_round_trip_keeps_the_values()
    {
        bool[] values = [true, false, false, true, true];

        var back = SaveAndLoad(new() { ["x"] = torch.tensor(values, [5]) })["x"];

        Assert.AreEqual(ScalarType.Bool, back.dtype);
        CollectionAssert.AreEqual(values, back.data<bool>().ToArray());
    }

    [TestMethod]
    [DataRow("F16", (ushort)0x3C00, (ushort)0xC000, 1f, -2f)]
    [DataRow("BF16", (ushort)0x3F80, (ushort)0x4049, 1f, 3.140625f)]
    public void Half_precision_tensors_load_and_save_bit_exactly(string dtype, ushort one, ushort other, float oneValue, float otherValue)
    {
        // Half types have no .NET element type in the binding, so the bytes go in and out through files.
        ushort[] bits = [one, other, 0x8000, 0x7E01, 0xFE00, 0x0001];
        var bytes = File("{" + Entry("h", dtype, "[2,3]", 0, 12) + "}", U16(bits));

        var loaded = SafeTensors.Load(new MemoryStream(bytes))["h"];
        var saved = new MemoryStream();
        SafeTensors.Save(new Dictionary<string, Tensor> { ["h"] = loaded }, saved);

        Assert.AreEqual(dtype == "F16" ? ScalarType.Float16 : ScalarType.BFloat16, loaded.dtype);
        CollectionAssert.AreEqual(new[] { oneValue, otherValue }, loaded.to(ScalarType.Float32).data<float>().ToArray()[..2]);
        CollectionAssert.AreEqual(bytes, saved.ToArray());
    }

    [TestMethod]
    public void Empty_tensors_and_scalars_keep_their_shapes()
    {
        var back = SaveAndLoad(new()
        {
            ["empty"] = torch.zeros([0, 3]),
            ["scalar"] = torch.tensor(2.5, ScalarType.Float64),
        });

        CollectionAssert.AreEqual(new long[] { 0, 3 }, back["empty"].shape);
        Assert.AreEqual(0, back["scalar"].dim());
        Assert.AreEqual(2.5, back["scalar"].item<double>());
    }

    [TestMethod]
    public void A_non_contiguous_tensor_is_written_row_major()
    {
        var transposed = torch.tensor(new long[] { 0, 1, 2, 3, 4, 5 }, [2, 3]).transpose(0, 1);
        var stream = new MemoryStream();

        SafeTensors.Save(new Dictionary<string, Tensor> { ["t"] = transposed }, stream);

        var entry = SafeTensorsFile.Parse(stream.ToArray())["t"];
        CollectionAssert.AreEqual(new long[] { 3, 2 }, entry.Shape.ToArray());
        CollectionAssert.AreEqual(I64(0, 3, 1, 4, 2, 5), entry.Data.ToArray());
    }

    [TestMethod]
    public void Tensors_load_onto_the_requested_device_and_save_back_from_it()
    {
        if (!torch.cuda.is_available()) Assert.Inconclusive("no CUDA device on this machine");
        var path = FilePath("cuda.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = torch.tensor(new float[] { 1f, -0f, 3.5f }, [3]) }, path);

        var onGpu = SafeTensors.Load(path, torch.device(DeviceType.CUDA, 0))["x"];
        var again = new MemoryStream();
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = onGpu }, again);

        Assert.IsTrue(onGpu.device.type == DeviceType.CUDA);
        CollectionAssert.AreEqual(System.IO.File.ReadAllBytes(path), again.ToArray());
    }

    [TestMethod]
    public void Metadata_saved_with_tensors_can_be_read_back()
    {
        var path = FilePath("m.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = torch.ones([2]) }, path,
                         new Dictionary<string, string> { ["model"] = "GatedPixelCnn", ["preset"] = "S" });

        var metadata = SafeTensorsFile.ReadFile(path).Metadata;

        Assert.AreEqual("GatedPixelCnn", metadata["model"]);
        Assert.AreEqual("S", metadata["preset"]);
    }

    [TestMethod]
    public void Load_rejects_a_malformed_file_naming_the_path()
    {
        var path = FilePath("bad.safetensors");
        System.IO.File.WriteAllBytes(path, File("{" + Entry("w", "F32", "[4]", 0, 16) + "}", new byte[12]));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.Load(path));

        StringAssert.Contains(e.Message, $"'{path}'");
        StringAssert.Contains(e.Message, "tensor 'w': data_offsets [0, 16] reach beyond the data buffer");
    }

    [TestMethod]
    public void Load_rejects_a_boolean_byte_other_than_0_or_1()
    {
        var bytes = File("{" + Entry("mask", "BOOL", "[2]", 0, 2) + "}", [1, 7]);
        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.Load(new MemoryStream(bytes)));
        StringAssert.Contains(e.Message, "tensor 'mask' (BOOL) holds the byte 0x07 at element 1");
    }

    [TestMethod]
    public void Load_frees_the_tensors_it_made_when_a_later_one_is_rejected()
    {
        var bytes = File("{" + Entry("a", "F32", "[1000]", 0, 4000) + "," + Entry("m", "BOOL", "[1]", 4000, 4001) + "}", [.. new byte[4000], 9]);
        long before = LiveTensors.Now;

        Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.Load(new MemoryStream(bytes)));

        Assert.AreEqual(before, LiveTensors.Now);
    }

    // ---- atomic writes

    [TestMethod]
    public void A_save_that_fails_midway_leaves_the_old_file_and_no_temporary_file()
    {
        var path = FilePath("model.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["w"] = torch.ones([3]) }, path);
        var before = System.IO.File.ReadAllBytes(path);
        var disposed = torch.zeros([2]);
        disposed.Dispose();

        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            SafeTensors.Save(new Dictionary<string, Tensor> { ["a"] = torch.full([4], 5.0), ["z"] = disposed }, path));

        StringAssert.Contains(e.Message, "tensor 'z' cannot be saved");
        CollectionAssert.AreEqual(before, System.IO.File.ReadAllBytes(path));
        CollectionAssert.AreEqual(new[] { "model.safetensors" }, _folder.FileNames());
    }

    [TestMethod]
    public void A_save_replaces_an_existing_file()
    {
        var path = FilePath("model.safetensors");
        SafeTensors.Save(new Dictionary<string, Tensor> { ["w"] = torch.ones([3]) }, path);

        SafeTensors.Save(new Dictionary<string, Tensor> { ["v"] = torch.zeros([2], ScalarType.Int64) }, path);

        var file = SafeTensorsFile.ReadFile(path);
        CollectionAssert.AreEqual(new[] { "v" }, file.Entries.Select(x => x.Name).ToArray());
        CollectionAssert.AreEqual(new[] { "model.safetensors" }, _folder.FileNames());
    }

    [TestMethod]
    public void A_save_into_a_missing_folder_names_the_folder()
    {
        var missing = _folder.PathOf("no-such-folder");

        var e = Assert.ThrowsExactly<DirectoryNotFoundException>(() =>
            SafeTensors.Save(new Dictionary<string, Tensor> { ["w"] = torch.ones([1]) }, Path.Combine(missing, "m.safetensors")));

        StringAssert.Contains(e.Message, $"'{missing}' does not exist");
    }

    // ---- LoadInto a module

    private sealed class TinyNet : torch.nn.Module
    {
        public readonly TorchSharp.Modules.Linear fc;
        public readonly TorchSharp.Modules.Conv2d conv;
        public readonly Tensor steps;

        public TinyNet(ulong seed) : base(nameof(TinyNet))
        {
            using var g = new Generator(seed);
            fc = PixelCnn.ML.Models.Layers.Linear(4, 2, g);
            conv = PixelCnn.ML.Models.Layers.Conv2d(1, 3, 3, stride: 1, padding: 0, g);
            steps = torch.tensor(new[] { seed == 0 ? 0L : (long)seed });
            register_module("fc", fc);
            register_module("conv", conv);
            register_buffer("steps", steps);
        }
    }

    private static Dictionary<string, float[]> Snapshot(torch.nn.Module m) =>
        m.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().data<float>().ToArray());

    private static void AssertSameWeights(Dictionary<string, float[]> expected, torch.nn.Module m)
    {
        var actual = Snapshot(m);
        foreach (var (name, values) in expected) CollectionAssert.AreEqual(values, actual[name], name);
    }

    private string SaveModified(TinyNet source, Action<Dictionary<string, Tensor>> change)
    {
        var sd = source.state_dict();
        change(sd);
        var path = FilePath("weights.safetensors");
        SafeTensors.Save(sd, path);
        return path;
    }

    [TestMethod]
    public void LoadInto_restores_the_weights_and_buffers_of_a_module()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = FilePath("weights.safetensors");
        SafeTensors.Save(source.state_dict(), path);

        SafeTensors.LoadInto(target, path);

        AssertSameWeights(Snapshot(source), target);
        Assert.AreEqual(1L, target.steps.item<long>());
    }

    [TestMethod]
    public void LoadInto_rejects_a_missing_key_and_leaves_the_module_unchanged()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var before = Snapshot(target);
        var path = SaveModified(source, sd => sd.Remove("fc.bias"));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, $"safetensors file '{path}': does not match TinyNet: missing [fc.bias]");
        Assert.AreEqual("fc.bias", e.TensorName);
        AssertSameWeights(before, target);
    }

    [TestMethod]
    public void LoadInto_rejects_an_unexpected_key()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd => sd["head.weight"] = torch.ones([2]));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "does not match TinyNet: unexpected [head.weight]");
    }

    [TestMethod]
    public void LoadInto_rejects_a_wrong_shape_naming_the_key()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd => sd["fc.weight"] = torch.zeros([3, 4]));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "'fc.weight' has shape [3, 4] in the file, [2, 4] expected");
    }

    [TestMethod]
    public void LoadInto_rejects_a_wrong_dtype_naming_the_key()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd => sd["conv.bias"] = torch.zeros([3], ScalarType.Float64));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "'conv.bias' has dtype F64 in the file, F32 expected");
    }

    [TestMethod]
    public void LoadInto_lists_every_mismatch_in_one_message()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd =>
        {
            sd.Remove("steps");
            sd["extra"] = torch.ones([1]);
            sd["fc.weight"] = torch.zeros([4, 4]);
        });

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "missing [steps]; unexpected [extra]; 'fc.weight' has shape [4, 4] in the file, [2, 4] expected");
    }

    [TestMethod]
    public void LoadInto_rejects_a_NaN_naming_the_key_and_leaves_the_module_unchanged()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var before = Snapshot(target);
        var path = SaveModified(source, sd =>
        {
            var bias = sd["conv.bias"].detach().data<float>().ToArray();
            bias[1] = float.NaN;
            sd["conv.bias"] = torch.tensor(bias);
        });

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "tensor 'conv.bias' holds NaN at element 1; non-finite values are not loaded into TinyNet");
        Assert.AreEqual("conv.bias", e.TensorName);
        AssertSameWeights(before, target);
    }

    [TestMethod]
    public void LoadInto_rejects_an_infinity_naming_the_key()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd =>
        {
            var w = sd["fc.weight"].detach().data<float>().ToArray();
            w[5] = float.NegativeInfinity;
            sd["fc.weight"] = torch.tensor(w, 2, 4);
        });

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path));

        StringAssert.Contains(e.Message, "tensor 'fc.weight' holds -Infinity at element 5");
    }

    [TestMethod]
    public void LoadInto_without_strict_skips_missing_and_unexpected_keys()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var targetConv = target.conv.weight.detach().data<float>().ToArray();
        var path = SaveModified(source, sd =>
        {
            sd.Remove("conv.weight");
            sd["extra"] = torch.ones([1]);
        });

        SafeTensors.LoadInto(target, path, strict: false);

        CollectionAssert.AreEqual(source.fc.weight.detach().data<float>().ToArray(), target.fc.weight.detach().data<float>().ToArray());
        CollectionAssert.AreEqual(targetConv, target.conv.weight.detach().data<float>().ToArray());
    }

    [TestMethod]
    public void LoadInto_without_strict_still_rejects_a_wrong_shape()
    {
        using var source = new TinyNet(1);
        using var target = new TinyNet(2);
        var path = SaveModified(source, sd => sd["conv.weight"] = torch.zeros([3, 1, 5, 5]));

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(target, path, strict: false));

        StringAssert.Contains(e.Message, "'conv.weight' has shape [3, 1, 5, 5] in the file, [3, 1, 3, 3] expected");
    }

    // ---- LoadInto an optimizer's state (Training/OptimizerState: the named tensors of a checkpoint)

    private static void TrainStep(TinyNet net, TorchSharp.Modules.OptimizerHelper opt, float scale)
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        var x = torch.tensor(new[] { 1f, -2f, 0.5f, 3f }.Select(v => v * scale).ToArray(), [1, 4]);
        net.fc.forward(x).square().sum().backward();
        opt.step();
    }

    private static MemoryStream SaveState(TorchSharp.Modules.OptimizerHelper opt)
    {
        var stream = new MemoryStream();
        using (torch.NewDisposeScope()) SafeTensors.Save(OptimizerState.Get(opt), stream);
        stream.Position = 0;
        return stream;
    }

    private static void LoadState(TorchSharp.Modules.OptimizerHelper opt, Stream stream)
    {
        using var scope = torch.NewDisposeScope();
        var live = OptimizerState.Get(opt);
        SafeTensors.LoadInto(live, stream, opt.GetType().Name);
        OptimizerState.ApplyScalars(opt, live);
    }

    /// <summary>
    /// Two steps on one net, its weights and optimizer state saved and loaded into a second net whose optimizer
    /// <paramref name="make"/> creates with other settings (<paramref name="restoredLearningRate"/> is what the state
    /// brings back); then one more step on both must give the same weights.
    /// </summary>
    private void AssertStateRoundTripGivesTheSameNextStep(Func<IEnumerable<TorchSharp.Modules.Parameter>, double, TorchSharp.Modules.OptimizerHelper> make,
                                                           double restoredLearningRate)
    {
        using var netA = new TinyNet(1);
        using var optA = make(netA.parameters(), restoredLearningRate);
        TrainStep(netA, optA, 1);
        TrainStep(netA, optA, 2);
        var modelPath = FilePath("model.safetensors");
        SafeTensors.Save(netA.state_dict(), modelPath);
        var optim = SaveState(optA);

        using var netB = new TinyNet(2);
        using var optB = make(netB.parameters(), 0.5);
        SafeTensors.LoadInto(netB, modelPath);
        LoadState(optB, optim);
        Assert.AreEqual(restoredLearningRate, OptimizerState.LearningRate(optB), 1e-15);
        TrainStep(netA, optA, 3);
        TrainStep(netB, optB, 3);

        AssertSameWeights(Snapshot(netA), netB);
    }

    [TestMethod]
    public void Adam_state_round_trip_gives_the_same_next_step() =>
        AssertStateRoundTripGivesTheSameNextStep((p, lr) => torch.optim.Adam(p, lr: lr), 0.01);

    [TestMethod]
    public void Rmsprop_with_momentum_state_round_trip_gives_the_same_next_step() =>
        AssertStateRoundTripGivesTheSameNextStep((p, lr) => torch.optim.RMSProp(p, lr: lr, momentum: 0.9), 0.01);

    [TestMethod]
    public void Adam_without_its_state_takes_a_different_next_step()
    {
        using var netA = new TinyNet(1);
        using var adamA = torch.optim.Adam(netA.parameters(), lr: 0.01);
        TrainStep(netA, adamA, 1);
        TrainStep(netA, adamA, 2);
        var modelPath = FilePath("model.safetensors");
        SafeTensors.Save(netA.state_dict(), modelPath);

        using var netB = new TinyNet(2);
        using var adamB = torch.optim.Adam(netB.parameters(), lr: 0.01);
        SafeTensors.LoadInto(netB, modelPath);
        TrainStep(netA, adamA, 3);
        TrainStep(netB, adamB, 3);

        var a = Snapshot(netA)["fc.weight"];
        var b = Snapshot(netB)["fc.weight"];
        CollectionAssert.AreNotEqual(a, b, "a fresh Adam state must step differently, or the round trip test proves nothing");
    }

    [TestMethod]
    public void Optimizer_state_holds_step_counts_learning_rate_and_per_parameter_moments()
    {
        using var net = new TinyNet(1);
        using var adam = torch.optim.Adam(net.parameters(), lr: 0.01);
        TrainStep(net, adam, 1);
        using var scope = torch.NewDisposeScope();
        var state = OptimizerState.Get(adam);

        CollectionAssert.AreEquivalent(new[] { "lr", "0.step", "0.exp_avg", "0.exp_avg_sq", "1.step", "1.exp_avg", "1.exp_avg_sq",
            "2.step", "2.exp_avg", "2.exp_avg_sq", "3.step", "3.exp_avg", "3.exp_avg_sq" }, state.Keys.ToArray());
        Assert.AreEqual(1L, state["0.step"].item<long>());
        CollectionAssert.AreEqual(net.fc.weight!.shape, state["0.exp_avg"].shape);
    }

    [TestMethod]
    public void Optimizer_state_of_another_model_is_rejected_naming_the_key()
    {
        using var small = new TinyNet(1);
        using var adamSmall = torch.optim.Adam(small.fc.parameters());
        using var net = new TinyNet(2);
        using var adam = torch.optim.Adam(net.parameters());
        var stream = SaveState(adamSmall);

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => LoadState(adam, stream));

        StringAssert.Contains(e.Message, "does not match Adam: missing [2.exp_avg, 2.exp_avg_sq, 2.step, 3.exp_avg, 3.exp_avg_sq, 3.step]");
    }
}
