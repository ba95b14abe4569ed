// pixelcnn apply: loads any model zip written by mlContext.Model.Save (a scorer behind ML.NET's image chain, a
// sampler, an autoencoder) and writes the columns it adds to a CSV, one row per input row. Folders are given to the
// model as ImagePath/Label rows (the saved chain loads the images itself); Fashion-MNIST and IDX files as the data
// catalog's Pixels/Label/LabelIndex rows.
using System.CommandLine;
using System.Globalization;
using Microsoft.ML.Transforms.Image;
using PixelCnn.ML.IO;

namespace PixelCnn.ML.Samples.Commands;

internal static class ApplyCommand
{
    private static readonly Option<FileInfo> Model = new("--model") { Description = "Model zip written by mlContext.Model.Save.", Required = true };
    private static readonly Option<string> Data = new("--data") { Description = "Rows to transform: " + DataSources.Help, DefaultValueFactory = _ => "fashion-mnist:test" };
    private static readonly Option<int?> Take = new("--take") { Description = "Transform only the first N rows." };
    private static readonly Option<FileInfo> Out = new("--out") { Description = "CSV file to write.", DefaultValueFactory = _ => new FileInfo("applied.csv") };
    private static readonly Option<string?> Columns = new("--columns") { Description = "Comma-separated columns to write (default: the added scalar columns and vectors of at most 256 values)." };

    public static Command Create()
    {
        var cmd = new Command("apply", "Apply a saved ML.NET model (mlContext.Model.Load) to data and write the columns it adds as CSV (vectors as space-separated values).")
        {
            Model, Data, Take, Out, Columns, TrainCommand.DeviceOption,
        };
        cmd.SetAction(p =>
        {
            var ml = Generation.Context(p);
            var file = p.GetValue(Model)!;
            if (!file.Exists) throw new FileNotFoundException($"--model {file.FullName} does not exist");
            var model = ml.Model.LoadChecked(file.FullName, out var inputSchema);
            try
            {
                var spec = p.GetValue(Data)!;
                IDataView rows = Directory.Exists(spec) ? ml.Data.LoadImagesFromFolder(spec) : DataSources.OpenTable(ml, spec);
                if (p.GetValue(Take) is { } take) rows = ml.Data.TakeRows(rows, take);
                var output = model.Transform(rows);
                var added = p.GetValue(Columns) is { } names
                    ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(n => output.Schema.GetColumnOrNull(n) ?? throw new ArgumentException($"--columns: the model's output has no column '{n}'")).ToList()
                    : output.Schema.Where(c => !c.IsHidden && rows.Schema.GetColumnOrNull(c.Name) is null && c.Type is not ImageDataViewType
                                               && c.Type is not VectorDataViewType { Size: 0 or > 256 }).ToList();
                int n = Write(output, added, p.GetValue(Out)!);
                Console.WriteLine($"Applied {file.Name} to {n} rows of {spec}: wrote {string.Join(", ", added.Select(c => c.Name))} to {p.GetValue(Out)!.FullName}");
                return Cli.Ok;
            }
            finally { (model as IDisposable)?.Dispose(); }
        });
        return cmd;
    }

    private static int Write(IDataView data, List<DataViewSchema.Column> columns, FileInfo csv)
    {
        using var cursor = data.GetRowCursor(columns);
        var cells = columns.Select(c => Cell(cursor, c)).ToArray();
        int n = 0;
        AtomicFile.Write(csv.FullName, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            w.WriteLine(string.Join(',', columns.Select(c => c.Name)));
            while (cursor.MoveNext())
            {
                w.WriteLine(string.Join(',', cells.Select(c => c())));
                n++;
            }
        });
        return n;
    }

    private static Func<string> Cell(DataViewRowCursor cursor, DataViewSchema.Column c)
    {
        static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);
        switch (c.Type)
        {
            case VectorDataViewType { ItemType: var t } when t == NumberDataViewType.Single:
            {
                var g = cursor.GetGetter<VBuffer<float>>(c);
                VBuffer<float> v = default;
                return () => { g(ref v); return string.Join(' ', v.DenseValues().Select(F)); };
            }
            case var t when t == NumberDataViewType.Single:
            {
                var g = cursor.GetGetter<float>(c);
                float v = 0;
                return () => { g(ref v); return F(v); };
            }
            case var t when t == BooleanDataViewType.Instance:
            {
                var g = cursor.GetGetter<bool>(c);
                bool v = false;
                return () => { g(ref v); return v ? "1" : "0"; };
            }
            case TextDataViewType:
            {
                var g = cursor.GetGetter<ReadOnlyMemory<char>>(c);
                ReadOnlyMemory<char> v = default;
                return () => { g(ref v); var s = v.ToString(); return s.Contains(',') || s.Contains('"') ? "\"" + s.Replace("\"", "\"\"") + "\"" : s; };
            }
            default:
                throw new ArgumentException($"column '{c.Name}' has type {c.Type}, which apply does not write");
        }
    }
}
