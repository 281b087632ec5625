using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PvGen.Model.Json;

/// <summary>
/// The shapes every hand-streamed pvgen.*/1 document repeats (arrays of objects, nested objects, nullable numbers, string
/// lists), once; the field lists stay with each contract's writer.
/// </summary>
public static class JsonWriting
{
    /// <summary>How pvgen writes JSON: indented, and text as it is (paths, asm, C types) rather than \u-escaped.</summary>
    public static JsonWriterOptions Options { get; } = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A whole document as text, newline-terminated.</summary>
    /// <param name="options">The writer's options; <see cref="Options"/> when null.</param>
    public static string Render(Action<Utf8JsonWriter> write, JsonWriterOptions? options = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, options ?? Options))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary><c>"name": [ {…}, … ]</c>, one object per item with the fields <paramref name="fields"/> writes.</summary>
    public static void WriteObjects<T>(this Utf8JsonWriter writer, string name, IEnumerable<T> items, Action<Utf8JsonWriter, T> fields)
    {
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            writer.WriteStartObject();
            fields(writer, item);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary><c>"name": {…}</c> with the fields <paramref name="fields"/> writes.</summary>
    public static void WriteObject(this Utf8JsonWriter writer, string name, Action<Utf8JsonWriter> fields)
    {
        writer.WriteStartObject(name);
        fields(writer);
        writer.WriteEndObject();
    }

    /// <summary><c>"name": {"key": count, …}</c> in the order given.</summary>
    public static void WriteCounts(this Utf8JsonWriter writer, string name, IEnumerable<KeyValuePair<string, int>> counts)
    {
        writer.WriteStartObject(name);
        foreach (var (key, count) in counts)
        {
            writer.WriteNumber(key, count);
        }

        writer.WriteEndObject();
    }

    /// <summary><c>"name": ["…", …]</c>.</summary>
    public static void WriteStrings(this Utf8JsonWriter writer, string name, IEnumerable<string> values)
    {
        writer.WriteStartArray(name);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    /// <summary><c>"name": value</c>, or <c>null</c> when there is none.</summary>
    public static void WriteNumberOrNull(this Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
