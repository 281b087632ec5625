using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Model.Json;

/// <summary>Reads and writes the <c>pvgen.model/1</c> contract (snake_case, ops in declaration order).</summary>
public static class ModelJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    public static string Serialize(OpsModel model) =>
        JsonSerializer.Serialize(model, (JsonTypeInfo<OpsModel>)Options.GetTypeInfo(typeof(OpsModel))) + "\n";

    /// <summary>Parses model JSON; throws <see cref="ModelJsonException"/> with a line and column on bad input.</summary>
    public static OpsModel Deserialize(string json, string path)
    {
        OpsModel? model;
        try
        {
            model = JsonSerializer.Deserialize(json, (JsonTypeInfo<OpsModel>)Options.GetTypeInfo(typeof(OpsModel)));
        }
        catch (JsonException e)
        {
            var where = new SourceLocation(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            throw new ModelJsonException(new Diagnostic(DiagnosticIds.BadModelJson, Severity.Error, $"not a valid model: {FirstLine(e.Message)}", where));
        }

        if (model is null)
        {
            throw new ModelJsonException(new Diagnostic(DiagnosticIds.BadModelJson, Severity.Error, "empty model", new SourceLocation(path, 1, 1)));
        }

        if (model.Schema != OpsModel.SchemaId)
        {
            throw new ModelJsonException(new Diagnostic(
                DiagnosticIds.BadModelJson,
                Severity.Error,
                $"unsupported schema '{model.Schema}', expected '{OpsModel.SchemaId}'",
                new SourceLocation(path, 1, 1)));
        }

        return model;
    }

    private static string FirstLine(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    internal static JsonSerializerOptions CreateOptions()
    {
        // Relaxed escaping keeps C spellings such as "<" in doc comments readable.
        var options = new JsonSerializerOptions(ModelJsonContext.Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        options.MakeReadOnly();
        return options;
    }
}

public sealed class ModelJsonException(Diagnostic diagnostic) : Exception(diagnostic.ToString())
{
    public Diagnostic Diagnostic { get; } = diagnostic;
}

/// <summary>Writes <see cref="EquatableArray{T}"/> as a plain JSON array.</summary>
public sealed class EquatableArrayConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(EquatableArray<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class Converter<T> : JsonConverter<EquatableArray<T>>
    {
        public override EquatableArray<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var items = JsonSerializer.Deserialize(ref reader, (JsonTypeInfo<T[]>)options.GetTypeInfo(typeof(T[])));
            return new EquatableArray<T>(items ?? []);
        }

        public override void Write(Utf8JsonWriter writer, EquatableArray<T> value, JsonSerializerOptions options)
        {
            var info = (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));
            writer.WriteStartArray();
            foreach (var item in value)
            {
                JsonSerializer.Serialize(writer, item, info);
            }

            writer.WriteEndArray();
        }
    }
}

public sealed class TypeKindConverter() : JsonStringEnumConverter<TypeKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

public sealed class SeverityConverter() : JsonStringEnumConverter<Severity>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

/// <summary>
/// Source-generated metadata: no reflection at start-up (parse-to-JSON is benchmarked end to end).
/// Unknown members are errors so a typo in a hand-edited model is caught.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    IndentSize = 2,
    NewLine = "\n",
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(EquatableArrayConverterFactory), typeof(TypeKindConverter), typeof(SeverityConverter)])]
[JsonSerializable(typeof(OpsModel))]
[JsonSerializable(typeof(Op[]))]
[JsonSerializable(typeof(Param[]))]
[JsonSerializable(typeof(DataMember[]))]
[JsonSerializable(typeof(Diagnostic))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
