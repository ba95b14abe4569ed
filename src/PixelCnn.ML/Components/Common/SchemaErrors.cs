// Schema errors in ML.NET's words: they name the role and the column, and say what type was expected and found.
using Microsoft.ML;

namespace PixelCnn.ML.Components;

internal static class SchemaErrors
{
    public static ArgumentOutOfRangeException Missing(string role, string column) =>
        new("inputSchema", $"Could not find {role} column '{column}' in the input.");

    public static ArgumentOutOfRangeException Mismatch(string role, string column, string expected, string? actual) =>
        new("inputSchema", $"Schema mismatch for {role} column '{column}': expected {expected}, got {actual}.");

    public static DataViewSchema.Column Find(DataViewSchema schema, string role, string column) =>
        schema.GetColumnOrNull(column) ?? throw Missing(role, column);

    public static SchemaShape.Column Find(SchemaShape schema, string role, string column) =>
        schema.Where(c => c.Name == column).Select(c => (SchemaShape.Column?)c).FirstOrDefault() ?? throw Missing(role, column);
}
