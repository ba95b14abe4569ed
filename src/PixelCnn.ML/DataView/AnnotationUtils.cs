namespace PixelCnn.ML.Data;

/// <summary>Well-known annotation kinds and accessors (as ML.NET's AnnotationUtils).</summary>
public static class AnnotationUtils
{
    /// <summary>Annotation kind names.</summary>
    public static class Kinds
    {
        /// <summary>Names of the items of a vector column: a Vector&lt;Text&gt; of the column's size.</summary>
        public const string SlotNames = "SlotNames";

        /// <summary>What each value of a key column stands for: a vector of the key's count.</summary>
        public const string KeyValues = "KeyValues";
    }

    /// <summary>Whether <paramref name="column"/> has slot names for a vector of <paramref name="vectorSize"/> items.</summary>
    public static bool HasSlotNames(this DataViewSchema.Column column, int vectorSize) =>
        column.Annotations.Schema.GetColumnOrNull(Kinds.SlotNames) is { } c
        && c.Type is VectorDataViewType { ItemType: TextDataViewType } v && v.Size == vectorSize;

    /// <summary>Reads the slot names of <paramref name="column"/>.</summary>
    public static void GetSlotNames(this DataViewSchema.Column column, ref VBuffer<ReadOnlyMemory<char>> slotNames) =>
        column.Annotations.GetValue(Kinds.SlotNames, ref slotNames);

    /// <summary>Whether <paramref name="column"/> has key values (of item type <paramref name="keyValueItemType"/> when given).</summary>
    public static bool HasKeyValues(this DataViewSchema.Column column, PrimitiveDataViewType? keyValueItemType = null) =>
        column.Annotations.Schema.GetColumnOrNull(Kinds.KeyValues) is { } c
        && c.Type is VectorDataViewType v && (keyValueItemType == null || v.ItemType.Equals(keyValueItemType));

    /// <summary>Reads the key values of <paramref name="column"/> (e.g. the class names behind a label key).</summary>
    public static void GetKeyValues<TValue>(this DataViewSchema.Column column, ref VBuffer<TValue> keyValues) =>
        column.Annotations.GetValue(Kinds.KeyValues, ref keyValues);
}
