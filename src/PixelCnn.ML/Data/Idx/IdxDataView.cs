// The data view ml.Data.LoadFromIdx and LoadFashionMnist return: every column is computed on demand from the
// IdxDataset's bytes, so 60,000 Fashion-MNIST images cost their 47 MB of bytes rather than a float copy of each pixel.
namespace PixelCnn.ML.Data;

/// <summary>Image, Pixels, Label and LabelIndex columns over an <see cref="IdxDataset"/>; shuffles when given a Random.</summary>
internal sealed class IdxDataView : IDataView
{
    internal const string ImageColumn = "Image";
    internal const string PixelsColumn = "Pixels";
    internal const string LabelColumn = "Label";
    internal const string LabelIndexColumn = "LabelIndex";

    // The class count MNIST-family files use; labels at or above it widen the key to every byte value.
    private const int DigitClasses = 10;

    private readonly IdxDataset _data;

    /// <summary>The view of <paramref name="data"/>; <paramref name="classNames"/>, when given, fix the key count and
    /// become the label's key values.</summary>
    internal IdxDataView(IdxDataset data, IReadOnlyList<string>? classNames = null)
    {
        _data = data;
        int classes = classNames?.Count ?? (data.Labels.All(l => l < DigitClasses) ? DigitClasses : 256);
        var b = new DataViewSchema.Builder();
        b.AddColumn(ImageColumn, new ImageDataViewType(data.Rows, data.Columns));
        b.AddColumn(PixelsColumn, new VectorDataViewType(NumberDataViewType.Single, 1, data.Rows, data.Columns));
        DataViewSchema.Annotations? keyValues = null;
        if (classNames != null)
        {
            var names = new VBuffer<ReadOnlyMemory<char>>(classNames.Count, classNames.Select(n => n.AsMemory()).ToArray());
            var ab = new DataViewSchema.Annotations.Builder();
            ab.AddKeyValues(classNames.Count, TextDataViewType.Instance, (ref VBuffer<ReadOnlyMemory<char>> dst) => names.CopyTo(ref dst));
            keyValues = ab.ToAnnotations();
        }
        b.AddColumn(LabelColumn, new KeyDataViewType(typeof(uint), classes), keyValues);
        b.AddColumn(LabelIndexColumn, NumberDataViewType.Int32);
        Schema = b.ToSchema();
    }

    public bool CanShuffle => true;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => _data.Count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        int[]? order = null;
        if (rand != null)
        {
            order = Enumerable.Range(0, _data.Count).ToArray();
            rand.Shuffle(order);
        }
        return new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet(), order);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor(IdxDataView view, HashSet<int> active, int[]? order) : CursorBase(view.Schema)
    {
        private int _row = -1;

        public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

        protected override bool MoveNextCore()
        {
            long next = Position + 1;
            if (next >= view._data.Count) return false;
            _row = order == null ? (int)next : order[next];
            return true;
        }

        private int Row() => Position >= 0 ? _row : throw NotOnRow();

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)Row(), 0);

        protected override ValueGetter<TValue> GetGetterCore<TValue>(DataViewSchema.Column column)
        {
            var data = view._data;
            Delegate getter = column.Name switch
            {
                ImageColumn => (ValueGetter<MLImage>)((ref MLImage dst) => dst = data.GetImage(Row())),
                PixelsColumn => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
                {
                    int size = data.Rows * data.Columns;
                    var src = data.Images.AsSpan(Row() * size, size);
                    var editor = VBufferEditor.Create(ref dst, size);
                    var values = editor.Values;
                    for (int i = 0; i < size; i++) values[i] = src[i];
                    dst = editor.Commit();
                }),
                LabelColumn => (ValueGetter<uint>)((ref uint dst) => dst = data.Labels[Row()] + 1u),
                _ => (ValueGetter<int>)((ref int dst) => dst = data.Labels[Row()]),
            };
            return (ValueGetter<TValue>)getter;
        }
    }
}
