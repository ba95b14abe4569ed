using PixelCnn.ML.Serialization;
using PixelCnn.ML.Torch;
using static PixelCnn.ML.Tests.Serialization.SafeTensorsBytes;

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

        var back = SaveAndLoad(new() { ["x"] = torch.tensor<float>(values, [2, 4]) })["x"];

        Assert.AreEqual(ScalarType.Float32, back.dtype);
        CollectionAssert.AreEqual(new long[] { 2, 4 }, back.shape);
        CollectionAssert.AreEqual(bits, back.data<float>().Select(BitConverter.SingleToUInt32Bits).ToArray());
    }

    [TestMethod]
    public void Float64_round_trip_is_bit_exact_including_NaN_payloads_and_negative_zero()
    {
        ulong[] bits = [0x7FF8000000000001, 0xFFF0000000000ABC, 0x8000000000000000, 0x7FF0000000000000, 0x0000000000000001, 0x7FEFFFFFFFFFFFFF];
        var values = bits.Select(BitConverter.UInt64BitsToDouble).ToArray();

        var back = SaveAndLoad(new() { ["x"] = torch.tensor<double>(values, [3, 2]) })["x"];

        Assert.AreEqual(ScalarType.Float64, back.dtype);
        CollectionAssert.AreEqual(bits, back.data<double>().Select(BitConverter.DoubleToUInt64Bits).ToArray());
    }

    [TestMethod]
    public void Int64_round_trip_keeps_the_extremes()
    {
        long[] values = [long.MinValue, long.MaxValue, -1, 0, 1, long.MinValue + 1];

        var back = SaveAndLoad(new() { ["x"] = torch.tensor<long>(values, [6]) })["x"];

        Assert.AreEqual(ScalarType.Int64, back.dtype);
        CollectionAssert.AreEqual(values, back.data<long>());
    }

    [TestMethod]
    public void UInt8_round_trip_keeps_every_byte_value()
    {
        var values = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        var back = SaveAndLoad(new() { ["x"] = torch.tensor<byte>(values, [16, 16]) })["x"];

        Assert.AreEqual(ScalarType.Byte, back.dtype);
        CollectionAssert.AreEqual(values, back.data<byte>());
    }

    [TestMethod]
    public void Bool_round_trip_keeps_the_values()
    {
        bool[] values = [true, false, false, true, true];

        var back = SaveAndLoad(new() { ["x"] = torch.tensor<bool>(values, [5]) })["x"];

        Assert.AreEqual(ScalarType.Bool, back.dtype);
        CollectionAssert.AreEqual(values, back.data<bool>());
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
        CollectionAssert.AreEqual(new[] { oneValue, otherValue }, loaded.to(ScalarType.Float32).data<float>()[..2]);
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
        Assert.AreEqual(2.5, back["scalar"].item());
    }

    [TestMethod]
    public void A_non_contiguous_tensor_is_written_row_major()
    {
        var transposed = torch.tensor<long>([0, 1, 2, 3, 4, 5], [2, 3]).transpose(0, 1);
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
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = torch.tensor<float>([1f, -0f, 3.5f], [3]) }, path);

        var onGpu = SafeTensors.Load(path, Device.CUDA(0))["x"];
        var again = new MemoryStream();
        SafeTensors.Save(new Dictionary<string, Tensor> { ["x"] = onGpu }, again);

        Assert.IsTrue(onGpu.device.IsCuda);
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
        long before = torch.live_tensor_count();

        Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.Load(new MemoryStream(bytes)));

        Assert.AreEqual(before, torch.live_tensor_count());
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
        public readonly torch.nn.Linear fc;
        public readonly torch.nn.Conv2d conv;
        public readonly Tensor steps;

        public TinyNet(ulong seed)
        {
            using var g = new Generator(seed);
            fc = register_module("fc", new torch.nn.Linear(4, 2, generator: g));
            conv = register_module("conv", new torch.nn.Conv2d(1, 3, 3, generator: g));
            steps = register_buffer("steps", torch.tensor<long>([seed == 0 ? 0L : (long)seed], [1]));
        }
    }

    private static Dictionary<string, float[]> Snapshot(torch.nn.Module m) =>
        m.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().data<float>());

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
            var bias = sd["conv.bias"].detach().data<float>();
            bias[1] = float.NaN;
            sd["conv.bias"] = torch.tensor(bias, 3);
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
            var w = sd["fc.weight"].detach().data<float>();
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
        var targetConv = target.conv.weight.detach().data<float>();
        var path = SaveModified(source, sd =>
        {
            sd.Remove("conv.weight");
            sd["extra"] = torch.ones([1]);
        });

        SafeTensors.LoadInto(target, path, strict: false);

        CollectionAssert.AreEqual(source.fc.weight.detach().data<float>(), target.fc.weight.detach().data<float>());
        CollectionAssert.AreEqual(targetConv, target.conv.weight.detach().data<float>());
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

    // ---- LoadInto an optimizer

    private static void TrainStep(TinyNet net, torch.optim.Optimizer opt, float scale)
    {
        using var scope = torch.NewDisposeScope();
        opt.zero_grad();
        var x = torch.tensor<float>(new[] { 1f, -2f, 0.5f, 3f }.Select(v => v * scale).ToArray(), [1, 4]);
        net.fc.forward(x).square().sum().backward();
        opt.step();
    }

    [TestMethod]
    public void Adam_state_round_trip_gives_the_same_next_step()
    {
        using var netA = new TinyNet(1);
        using var adamA = new torch.optim.Adam(netA.parameters(), lr: 0.01);
        TrainStep(netA, adamA, 1);
        TrainStep(netA, adamA, 2);
        var modelPath = FilePath("model.safetensors");
        var optimPath = FilePath("optim.safetensors");
        SafeTensors.Save(netA.state_dict(), modelPath);
        var state = adamA.state_dict();
        SafeTensors.Save(state, optimPath);
        foreach (var t in state.Values) t.Dispose();

        using var netB = new TinyNet(2);
        using var adamB = new torch.optim.Adam(netB.parameters(), lr: 0.5);
        SafeTensors.LoadInto(netB, modelPath);
        SafeTensors.LoadInto(adamB, optimPath);
        TrainStep(netA, adamA, 3);
        TrainStep(netB, adamB, 3);

        Assert.AreEqual(adamA.StepCount, adamB.StepCount);
        AssertSameWeights(Snapshot(netA), netB);
    }

    [TestMethod]
    public void Optimizer_state_of_another_model_is_rejected_naming_the_key()
    {
        using var small = new TinyNet(1);
        using var adamSmall = new torch.optim.Adam(small.fc.parameters());
        using var net = new TinyNet(2);
        using var adam = new torch.optim.Adam(net.parameters());
        var path = FilePath("optim.safetensors");
        var state = adamSmall.state_dict();
        SafeTensors.Save(state, path);
        foreach (var t in state.Values) t.Dispose();

        var e = Assert.ThrowsExactly<SafeTensorsFormatException>(() => SafeTensors.LoadInto(adam, path));

        StringAssert.Contains(e.Message, "does not match Adam: missing [state.2.exp_avg, state.2.exp_avg_sq, state.3.exp_avg, state.3.exp_avg_sq]");
    }
}
