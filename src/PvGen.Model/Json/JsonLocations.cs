using System.Text.Json;

namespace PvGen.Model.Json;

/// <summary>
/// Where every property of a JSON document starts, by JSON Pointer ("/generate/record_format"): System.Text.Json's
/// DOM keeps no positions, so one pass of Utf8JsonReader records them for located diagnostics.
/// </summary>
public sealed class JsonLocations
{
    private readonly Dictionary<string, SourceLocation> keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceLocation> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);

    private JsonLocations(string file) => File = file;

    public string File { get; }

    public SourceLocation Start => new(File, 1, 1);

    /// <summary>Where the key of the property at <paramref name="pointer"/> is written.</summary>
    public SourceLocation Key(string pointer) => keys.GetValueOrDefault(pointer) ?? Start;

    /// <summary>Where the value of the property at <paramref name="pointer"/> starts.</summary>
    public SourceLocation Value(string pointer) => values.GetValueOrDefault(pointer) ?? Key(pointer);

    /// <summary>How often a key occurs in its object (JSON allows duplicates; pvgen.json does not).</summary>
    public int Occurrences(string pointer) => counts.GetValueOrDefault(pointer);

    public static string Pointer(string parent, string key) => parent + "/" + key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    /// <summary>Scans <paramref name="utf8"/> (already known to be valid JSON, comments and trailing commas allowed).</summary>
    public static JsonLocations Of(byte[] utf8, string file)
    {
        var result = new JsonLocations(file);
        var lines = new LineIndex(utf8);
        SourceLocation At(long offset) => lines.At(file, offset);

        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var path = new Stack<string>();
        var arrayIndex = new Stack<int>();
        string? pendingKey = null;
        string Current() => path.Count == 0 ? string.Empty : path.Peek();

        void EnterValue(long offset)
        {
            if (pendingKey is not null)
            {
                result.values[pendingKey] = At(offset);
            }
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    pendingKey = Pointer(Current(), reader.GetString()!);
                    result.keys.TryAdd(pendingKey, At(reader.TokenStartIndex));
                    result.counts[pendingKey] = result.counts.GetValueOrDefault(pendingKey) + 1;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    EnterValue(reader.TokenStartIndex);
                    string container = pendingKey ?? (arrayIndex.Count > 0 ? Pointer(Current(), arrayIndex.Peek().ToString(System.Globalization.CultureInfo.InvariantCulture)) : string.Empty);
                    if (arrayIndex.Count > 0 && pendingKey is null)
                    {
                        arrayIndex.Push(arrayIndex.Pop() + 1);
                    }

                    path.Push(container);
                    arrayIndex.Push(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                    pendingKey = null;
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    path.Pop();
                    arrayIndex.Pop();
                    pendingKey = null;
                    break;
                default:
                    EnterValue(reader.TokenStartIndex);
                    if (pendingKey is null && arrayIndex.Count > 0 && arrayIndex.Peek() >= 0)
                    {
                        result.values[Pointer(Current(), arrayIndex.Peek().ToString(System.Globalization.CultureInfo.InvariantCulture))] = At(reader.TokenStartIndex);
                        arrayIndex.Push(arrayIndex.Pop() + 1);
                    }

                    pendingKey = null;
                    break;
            }
        }

        return result;
    }

    /// <summary>The line and column of a JsonException, in the same file.</summary>
    public static SourceLocation Of(JsonException e, string file) =>
        new(file, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
}
