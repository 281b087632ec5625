using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PvGen.Model.Json;

/// <summary>Reads and writes the <c>pvgen.model/1</c> contract (snake_case, ops in declaration order).</summary>
public static class ModelJson
{
    private static readonly JsonTypeInfo<OpsModel> Info = ContractJson.Unescaped(ModelJsonContext.Default.Options).InfoFor<OpsModel>();

    public static string Serialize(OpsModel model) => ContractJson.Serialize(model, Info);

    /// <summary>Reads a model file named by the user: a missing file is PVG0001, a bad one PVG0004 (both located).</summary>
    public static OpsModel Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw PvGenException.Error(File.Exists(path) ? DiagnosticIds.BadModelJson : DiagnosticIds.FileNotFound,
                $"model file '{path}' cannot be read: {IO.AtomicFile.Describe(e, path)}");
        }

        return Deserialize(text, path);
    }

    /// <summary>
    /// Parses model JSON and validates it (a hand-edited or foreign model must not reach the stages): throws
    /// <see cref="PvGenException"/> located at the line and column of the problem.
    /// </summary>
    public static OpsModel Deserialize(string json, string path)
    {
        OpsModel? model;
        try
        {
            model = JsonSerializer.Deserialize(json, Info);
        }
        catch (JsonException e)
        {
            throw PvGenException.Error(DiagnosticIds.BadModelJson, $"not a valid model: {RuntimeMessages.OfJson(e)}", JsonLocations.Of(e, path));
        }

        if (model is null)
        {
            throw PvGenException.Error(DiagnosticIds.BadModelJson, "empty model", new SourceLocation(path, 1, 1));
        }

        var locations = JsonLocations.Of(System.Text.Encoding.UTF8.GetBytes(json), path);
        var problems = ModelValidation.Problems(model).Select(p => new Diagnostic(DiagnosticIds.BadModelJson, Severity.Error, p.Message, locations.Value(p.Pointer))).ToList();
        return problems.Count == 0 ? model : throw new PvGenException(problems);
    }
}

/// <summary>Writes <see cref="EquatableArray{T}"/> as a plain JSON array.</summary>
public sealed class EquatableArrayConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(EquatableArray<>);

    /// <summary>
    /// One converter per element type the model holds, named here rather than made with MakeGenericType: NativeAOT
    /// compiles only the instantiations it can see. A model record with a new element type fails its first JSON round trip.
    /// </summary>
    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        var element = typeToConvert.GetGenericArguments()[0];
        return element == typeof(Op) ? new Converter<Op>()
            : element == typeof(Param) ? new Converter<Param>()
            : element == typeof(DataMember) ? new Converter<DataMember>()
            : throw new NotSupportedException($"EquatableArray<{element.Name}> has no JSON converter: add it to {nameof(EquatableArrayConverterFactory)}");
    }

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
