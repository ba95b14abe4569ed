// One wording for every schema error in the library, so users learn one shape of message: it names the column,
// its role (input/output/feature...), what was expected and what was found.
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

internal static class SchemaErrors
{
    /// <summary>"Could not find input column 'Pixels'. Available columns: ..."</summary>
    internal static ArgumentOutOfRangeException ColumnNotFound(string role, string name, DataViewSchema schema) =>
        new("inputSchema", $"Could not find {Role(role)} '{name}'. {schema.DescribeColumns()}");

    /// <inheritdoc cref="ColumnNotFound(string, string, DataViewSchema)"/>
    internal static ArgumentOutOfRangeException ColumnNotFound(string role, string name, SchemaShape shape) =>
        new("inputSchema", $"Could not find {Role(role)} '{name}'. Available columns: {string.Join(", ", shape.Select(c => $"{c.Name} ({c.GetTypeString()})"))}.");

    /// <summary>"Input column 'Pixels': expected Vector&lt;Single, 784&gt;, got Text." (plain "Column" when <paramref name="role"/> is empty).</summary>
    internal static ArgumentOutOfRangeException Mismatch(string role, string name, string expected, string? actual) =>
        new("inputSchema", $"{(role.Length == 0 ? "Column" : Capitalize(role) + " column")} '{name}': expected {expected}, got {actual}.");

    /// <summary>The visible column <paramref name="name"/> of <paramref name="schema"/>, or a not-found error.</summary>
    internal static DataViewSchema.Column Find(DataViewSchema schema, string role, string name) =>
        schema.GetColumnOrNull(name) ?? throw ColumnNotFound(role, name, schema);

    /// <summary>Checks a getter request on a row: the column belongs to the schema, is active, and <typeparamref name="TValue"/> is its raw type.</summary>
    internal static void CheckGetter<TValue>(DataViewSchema schema, DataViewSchema.Column column, bool isActive)
    {
        if ((uint)column.Index >= (uint)schema.Count || schema[column.Index].Name != column.Name)
            throw new ArgumentOutOfRangeException(nameof(column), $"Column '{column.Name}' (index {column.Index}) is not a column of this row. {schema.DescribeColumns()}");
        if (!isActive)
            throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor: pass it in columnsNeeded when opening the cursor.");
        var type = schema[column.Index].Type;
        if (typeof(TValue) != type.RawType)
            throw new InvalidOperationException($"Column '{column.Name}' is {type}; its values are read as {RawTypes.Name(type.RawType)}, not {RawTypes.Name(typeof(TValue))}.");
    }

    private static string Role(string role) => role.Length == 0 ? "column" : role + " column";

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
