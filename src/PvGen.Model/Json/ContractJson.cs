using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Model.Json;

/// <summary>
/// How pvgen's source-generated JSON documents are serialised, once: every one keeps text as it is (C spellings such as
/// "&lt;", paths, asm) rather than \u-escaped, and the reports share one naming convention.
/// </summary>
public static class ContractJson
{
    /// <summary>A context's own options (naming, indentation, converters) with text unescaped; read-only.</summary>
    public static JsonSerializerOptions Unescaped(JsonSerializerOptions generated)
    {
        var options = new JsonSerializerOptions(generated) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>
    /// A report contract (pvgen.diff/1, pvgen.prove/1): snake_case property names and dictionary keys, indented, text
    /// unescaped, with the metadata of <paramref name="generated"/> (no reflection, so a NativeAOT pvgen writes the same bytes).
    /// </summary>
    public static JsonSerializerOptions Report(IJsonTypeInfoResolver generated) => Unescaped(new JsonSerializerOptions
    {
        TypeInfoResolver = generated,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    });

    /// <summary>The typed metadata of <typeparamref name="T"/> under <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> InfoFor<T>(this JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>A whole document as text, newline-terminated.</summary>
    public static string Serialize<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.Serialize(value, info) + "\n";
}
