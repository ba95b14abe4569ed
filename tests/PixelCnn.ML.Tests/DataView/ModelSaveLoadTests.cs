using System.IO.Compression;
using System.Text.Json.Nodes;
using PixelCnn.ML.Data;

namespace PixelCnn.ML.Tests.DataView;

[TestClass]
public class ModelSaveLoadTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("pixelcnn-model-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    private static IDataView Input() => new ArrayDataViewBuilder()
        .AddColumn("A", 1f, 2f, 3f)
        .AddVectorColumn<float>("B", new float[] { 1, 2, 3, 4, 5, 6 }, 2)
        .Build();

    private static TransformerChain<SumScoreTransformer> Fitted(MLContext ml) =>
        ml.Transforms.Concatenate("Features", "A", "B")
            .Append(ml.Transforms.CopyColumns("Copy", "Features"))
            .Fit(Input())
            .Append(new SumScoreTransformer("Copy", factor: 0.5f));

    /// <summary>A saved model as bytes, to be tampered with.</summary>
    private static byte[] SavedBytes(MLContext ml)
    {
        using var ms = new MemoryStream();
        ml.Model.Save(Fitted(ml), Input().Schema, ms);
        return ms.ToArray();
    }

    private static byte[] Edit(byte[] zipBytes, Action<ZipArchive> edit)
    {
        using var ms = new MemoryStream();
        ms.Write(zipBytes);
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Update, leaveOpen: true)) edit(zip);
        return ms.ToArray();
    }

    private static void Replace(ZipArchive zip, string name, Func<JsonObject, JsonObject> change)
    {
        var entry = zip.GetEntry(name)!;
        JsonObject json;
        using (var s = entry.Open()) json = (JsonObject)JsonNode.Parse(s)!;
        entry.Delete();
        using var w = new StreamWriter(zip.CreateEntry(name).Open());
        w.Write(change(json).ToJsonString());
    }

    private InvalidDataException LoadFails(byte[] bytes)
    {
        var path = Path.Combine(_dir, "bad.zip");
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsException<InvalidDataException>(() => new MLContext(1).Model.Load(path, out _));
        StringAssert.Contains(e.Message, path);
        return e;
    }

    [TestMethod]
    public void Saved_chain_loads_back_and_gives_the_same_outputs()
    {
        var ml = new MLContext(1);
        var path = Path.Combine(_dir, "model.zip");
        using var model = Fitted(ml);
        ml.Model.Save(model, Input().Schema, path);
        using var loaded = (IDisposable)ml.Model.Load(path, out var schema);

        var chain = (TransformerChain<ITransformer>)loaded;
        Assert.AreEqual(3, chain.Count());
        CollectionAssert.AreEqual(model.Transform(Input()).GetColumn<float>("Score").ToArray(), chain.Transform(Input()).GetColumn<float>("Score").ToArray());
        CollectionAssert.AreEqual(new[] { 2f, 4.5f, 7f }, chain.Transform(Input()).GetColumn<float>("Score").ToArray());
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 2), schema["B"].Type);
    }

    [TestMethod]
    public void A_single_transformer_round_trips_through_a_stream()
    {
        var ml = new MLContext(1);
        using var ms = new MemoryStream();
        ml.Model.Save(new SumScoreTransformer("B", 3), null, ms);
        ms.Position = 0;
        var loaded = (SumScoreTransformer)ml.Model.Load(ms, out var schema);
        Assert.AreEqual(3f, loaded.Factor);
        Assert.AreEqual(0, schema.Count);
    }

    [TestMethod]
    public void The_zip_holds_a_manifest_and_one_folder_per_component()
    {
        var ml = new MLContext(1);
        using var zip = new ZipArchive(new MemoryStream(SavedBytes(ml)));
        var names = zip.Entries.Select(e => e.FullName).ToArray();
        CollectionAssert.Contains(names, "manifest.json");
        CollectionAssert.Contains(names, "components/000-ColumnConcatenatingTransformer/component.json");
        CollectionAssert.Contains(names, "components/001-ColumnCopyingTransformer/component.json");
        CollectionAssert.Contains(names, "components/002-SumScoreTransformer/factor.bin");
        using var s = zip.GetEntry("manifest.json")!.Open();
        var manifest = JsonNode.Parse(s)!;
        Assert.AreEqual("PixelCnn.ML.Model", (string?)manifest["format"]);
        Assert.AreEqual("Vector<Single, 2>", (string?)manifest["inputSchema"]![1]!["type"]);
    }

    [TestMethod]
    public void Saving_replaces_the_file_atomically_and_leaves_no_temporary_file()
    {
        var ml = new MLContext(1);
        var path = Path.Combine(_dir, "model.zip");
        File.WriteAllText(path, "old");
        ml.Model.Save(Fitted(ml), Input().Schema, path);
        Assert.AreEqual(1, Directory.GetFiles(_dir).Length);
        Assert.IsTrue(ml.Model.Load(path, out _) is TransformerChain<ITransformer>);
    }

    [TestMethod]
    public void A_failed_save_leaves_the_previous_file_untouched()
    {
        var ml = new MLContext(1);
        var path = Path.Combine(_dir, "model.zip");
        File.WriteAllText(path, "old");
        var unsavable = new TransformerChain<ITransformer>(new SumScoreTransformer("B", 1), new UnsavableTransformer());
        var e = Assert.ThrowsException<InvalidOperationException>(() => ml.Model.Save(unsavable, null, path));
        StringAssert.Contains(e.Message, "component 1 (UnsavableTransformer) does not implement ISavableTransformer");
        Assert.AreEqual("old", File.ReadAllText(path));
        Assert.AreEqual(1, Directory.GetFiles(_dir).Length);
    }

    private sealed class UnsavableTransformer : RowToRowTransformerBase
    {
        protected override IRowMapper MakeRowMapper(DataViewSchema inputSchema) => throw new NotSupportedException();
    }

    [TestMethod]
    public void A_type_id_cannot_be_claimed_by_a_second_loader()
    {
        ModelLoaderRegistry.Register(SumScoreTransformer.Id, SumScoreTransformer.Load);
        var e = Assert.ThrowsException<InvalidOperationException>(() =>
            ModelLoaderRegistry.Register(SumScoreTransformer.Id, _ => new SumScoreTransformer("B", 1)));
        StringAssert.Contains(e.Message, $"'{SumScoreTransformer.Id}' already has a loader");
    }

    [TestMethod]
    public void Loading_a_file_that_is_not_a_zip_says_so()
    {
        StringAssert.Contains(LoadFails("not a zip at all"u8.ToArray()).Message, "not a zip archive");
    }

    [TestMethod]
    public void Loading_a_zip_without_manifest_says_so()
    {
        var bytes = Edit(SavedBytes(new MLContext(1)), zip => zip.GetEntry("manifest.json")!.Delete());
        StringAssert.Contains(LoadFails(bytes).Message, "manifest.json is missing");
    }

    [TestMethod]
    public void Loading_a_newer_format_version_names_both_versions()
    {
        var bytes = Edit(SavedBytes(new MLContext(1)), zip => Replace(zip, "manifest.json", m => { m["formatVersion"] = 2; return m; }));
        var e = LoadFails(bytes);
        StringAssert.Contains(e.Message, "format version 2 is not supported");
        StringAssert.Contains(e.Message, "reads format versions 1 to 1");
    }

    [TestMethod]
    public void Loading_an_unknown_component_type_lists_the_known_ones()
    {
        const string path = "components/001-ColumnCopyingTransformer/";
        var bytes = Edit(SavedBytes(new MLContext(1)), zip =>
        {
            Replace(zip, "manifest.json", m => { m["model"]!["components"]![1]!["typeId"] = "Vendor.Unknown"; return m; });
            Replace(zip, path + "component.json", c => { c["typeId"] = "Vendor.Unknown"; return c; });
        });
        var e = LoadFails(bytes);
        StringAssert.Contains(e.Message, "unknown component type 'Vendor.Unknown'");
        StringAssert.Contains(e.Message, "PixelCnn.ML.CopyColumns");
        StringAssert.Contains(e.Message, SumScoreTransformer.Id);
    }

    [TestMethod]
    public void Loading_with_a_missing_entry_names_the_entry()
    {
        var bytes = Edit(SavedBytes(new MLContext(1)), zip => zip.GetEntry("components/002-SumScoreTransformer/factor.bin")!.Delete());
        StringAssert.Contains(LoadFails(bytes).Message, "entry 'components/002-SumScoreTransformer/factor.bin' is missing");
    }

    [TestMethod]
    public void Loading_a_component_with_a_bad_option_names_the_component_and_option()
    {
        var bytes = Edit(SavedBytes(new MLContext(1)), zip =>
            Replace(zip, "components/000-ColumnConcatenatingTransformer/component.json", c => { c["options"]!["inputColumnNames"] = 5; return c; }));
        var e = LoadFails(bytes);
        StringAssert.Contains(e.Message, "components/000-ColumnConcatenatingTransformer/");
        StringAssert.Contains(e.Message, "option 'inputColumnNames' must be an array of strings");
    }

    [TestMethod]
    public void Loading_malformed_manifest_json_says_so()
    {
        var bytes = Edit(SavedBytes(new MLContext(1)), zip =>
        {
            zip.GetEntry("manifest.json")!.Delete();
            using var w = new StreamWriter(zip.CreateEntry("manifest.json").Open());
            w.Write("{ \"format\": ");
        });
        StringAssert.Contains(LoadFails(bytes).Message, "entry 'manifest.json' is not valid JSON");
    }
}
