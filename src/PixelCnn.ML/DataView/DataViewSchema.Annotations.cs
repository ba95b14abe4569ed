// Column annotations ("metadata" in old ML.NET): a small schema of named values attached to a column, such as
// the slot names of a vector or the values behind a key (class names of a label).
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

public sealed partial class DataViewSchema
{
    /// <summary>Named values attached to a column; <see cref="Schema"/> names their kinds and types.</summary>
    public sealed class Annotations
    {
        private readonly Delegate[] _getters;

        private Annotations(DataViewSchema schema, Delegate[] getters)
        {
            Schema = schema;
            _getters = getters;
        }

        /// <summary>No annotations.</summary>
        public static Annotations Empty { get; } = new(new DataViewSchema([]), []);

        /// <summary>One column per annotation kind.</summary>
        public DataViewSchema Schema { get; }

        /// <summary>A getter for the annotation described by <paramref name="column"/> of <see cref="Schema"/>.</summary>
        public ValueGetter<TValue> GetGetter<TValue>(Column column)
        {
            if ((uint)column.Index >= (uint)_getters.Length || !Schema[column.Index].Equals(column))
                throw new ArgumentOutOfRangeException(nameof(column), $"Annotation '{column.Name}' is not part of these annotations.");
            return _getters[column.Index] as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Annotation '{column.Name}' is {column.Type}; it cannot be read as {RawTypes.Name(typeof(TValue))}.");
        }

        /// <summary>Reads the annotation of kind <paramref name="kind"/> into <paramref name="value"/>.</summary>
        public void GetValue<TValue>(string kind, ref TValue value)
        {
            var column = Schema.GetColumnOrNull(kind)
                ?? throw new InvalidOperationException($"There is no annotation of kind '{kind}'. {Schema.DescribeColumns()}");
            GetGetter<TValue>(column)(ref value);
        }

        public override string ToString() => string.Join(", ", Schema.Select(c => c.Name));

        /// <summary>Builds <see cref="Annotations"/>.</summary>
        public sealed class Builder
        {
            private readonly List<(DetachedColumn Column, Delegate Getter)> _items = [];

            /// <summary>Adds an annotation whose value <paramref name="getter"/> delivers.</summary>
            public void Add<TValue>(string kind, DataViewType type, ValueGetter<TValue> getter, Annotations? annotations = null)
            {
                ArgumentNullException.ThrowIfNull(getter);
                if (type.RawType != typeof(TValue))
                    throw new ArgumentException($"Annotation '{kind}' of type {type} has raw type {RawTypes.Name(type.RawType)}, not {RawTypes.Name(typeof(TValue))}.", nameof(getter));
                _items.Add((new DetachedColumn(kind, type, annotations), getter));
            }

            /// <summary>Adds an annotation with a fixed value (copied into every reader's buffer).</summary>
            public void Add<TValue>(string kind, DataViewType type, TValue value, Annotations? annotations = null) =>
                Add(kind, type, (ref TValue dst) => DataValue<TValue>.Copy(in value, ref dst), annotations);

            /// <summary>Adds a scalar annotation of a primitive type.</summary>
            public void AddPrimitiveValue<TValue>(string kind, PrimitiveDataViewType type, TValue value, Annotations? annotations = null) =>
                Add(kind, type, value, annotations);

            /// <summary>Adds the annotations of <paramref name="annotations"/> whose kind <paramref name="selector"/> accepts.</summary>
            public void Add(Annotations annotations, Func<string, bool> selector)
            {
                foreach (var c in annotations.Schema)
                    if (!c.IsHidden && selector(c.Name)) _items.Add((new DetachedColumn(c), annotations._getters[c.Index]));
            }

            /// <summary>Adds slot names: one text per item of a vector of <paramref name="size"/> items.</summary>
            public void AddSlotNames(int size, ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter) =>
                Add(AnnotationUtils.Kinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, size), getter);

            /// <summary>Adds key values: what each of the <paramref name="size"/> key values stands for (e.g. class names).</summary>
            public void AddKeyValues<TValue>(int size, PrimitiveDataViewType valueType, ValueGetter<VBuffer<TValue>> getter) =>
                Add(AnnotationUtils.Kinds.KeyValues, new VectorDataViewType(valueType, size), getter);

            /// <summary>The annotations built so far.</summary>
            public Annotations ToAnnotations()
            {
                var schema = new DataViewSchema(_items.Select(i => i.Column));
                return new Annotations(schema, _items.Select(i => i.Getter).ToArray());
            }
        }
    }
}
