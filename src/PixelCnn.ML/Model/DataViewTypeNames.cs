// Column types as text, for model manifests: the ToString() form of each type ("Single", "Text", "Key<UInt32, 10>",
// "Vector<Single, 1, 28, 28>", "Vector<Single>", "Image<28, 28>", "Image") and its inverse.
using PixelCnn.ML.Data;

namespace PixelCnn.ML;

internal static class DataViewTypeNames
{
    internal static string Format(DataViewType type) => type switch
    {
        NumberDataViewType or TextDataViewType or BooleanDataViewType or KeyDataViewType or VectorDataViewType or ImageDataViewType => type.ToString()!,
        _ => throw new NotSupportedException($"Column type {type} ({type.GetType().Name}) cannot be written to a model manifest."),
    };

    /// <summary>The type named <paramref name="text"/>, or null when it is not a type name this library writes.</summary>
    internal static DataViewType? Parse(string text)
    {
        text = text.Trim();
        switch (text)
        {
            case "Text": return TextDataViewType.Instance;
            case "Boolean": return BooleanDataViewType.Instance;
            case "Image": return new ImageDataViewType();
        }
        if (Number(text) is { } n) return n;
        int lt = text.IndexOf('<');
        if (lt < 0 || !text.EndsWith('>')) return null;
        var args = SplitArguments(text[(lt + 1)..^1]);
        if (args == null) return null;
        try
        {
            switch (text[..lt])
            {
                case "Key" when args.Count == 2 && Number(args[0]) is { } raw && ulong.TryParse(args[1], out var count):
                    return new KeyDataViewType(raw.RawType, count);
                case "Vector" when args.Count >= 1 && Parse(args[0]) is PrimitiveDataViewType item:
                    var dims = new int[args.Count - 1];
                    for (int i = 1; i < args.Count; i++)
                        if (!int.TryParse(args[i], out dims[i - 1])) return null;
                    return new VectorDataViewType(item, dims);
                case "Image" when args.Count == 2 && int.TryParse(args[0], out var h) && int.TryParse(args[1], out var w):
                    return new ImageDataViewType(h, w);
            }
        }
        catch (ArgumentException)
        {
            return null; // e.g. a zero key count or negative dimension: not a valid type name
        }
        return null;
    }

    private static NumberDataViewType? Number(string name) => name switch
    {
        "SByte" => NumberDataViewType.SByte,
        "Byte" => NumberDataViewType.Byte,
        "Int16" => NumberDataViewType.Int16,
        "UInt16" => NumberDataViewType.UInt16,
        "Int32" => NumberDataViewType.Int32,
        "UInt32" => NumberDataViewType.UInt32,
        "Int64" => NumberDataViewType.Int64,
        "UInt64" => NumberDataViewType.UInt64,
        "Single" => NumberDataViewType.Single,
        "Double" => NumberDataViewType.Double,
        _ => null,
    };

    /// <summary>Splits "Key&lt;UInt32, 10&gt;, 5" at top-level commas; null when the brackets do not balance.</summary>
    private static List<string>? SplitArguments(string s)
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '<') depth++;
            else if (s[i] == '>' && --depth < 0) return null;
            else if (s[i] == ',' && depth == 0)
            {
                parts.Add(s[start..i].Trim());
                start = i + 1;
            }
        }
        if (depth != 0) return null;
        parts.Add(s[start..].Trim());
        return parts;
    }
}
