using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.Json;
using PvGen.Model;
using PvGen.Model.Json;

namespace PvGen.SourceGenerator;

/// <summary>The outcome of reading one model file: the model, or diagnostics located in the file.</summary>
/// <param name="OpLocations">Where each op's object starts in the JSON (for diagnostics about an op).</param>
public sealed record ModelReadResult(OpsModel? Model, EquatableArray<Diagnostic> Diagnostics, EquatableArray<SourceLocation> OpLocations);

/// <summary>
/// Reads pvgen.model/1 with System.Text.Json (JsonDocument for the values, Utf8JsonReader for positions) into the
/// shared records. Strict like PvGen.Model's ModelJson: unknown members and wrong types are errors. Never throws.
/// </summary>
public static class ModelReader
{
    public static ModelReadResult Read(string json, string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            var where = new SourceLocation(path, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1);
            return Failed(DiagnosticIds.CSharpBadModel, $"not valid JSON: {FirstSentence(e.Message)}", where);
        }

        using (document)
        {
            var positions = Positions(bytes, path);
            var start = new SourceLocation(path, 1, 1);
            try
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return Failed(DiagnosticIds.CSharpBadModel, "a model is a JSON object", start);
                }

                string? schema = root.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
                if (schema != OpsModel.SchemaId)
                {
                    string found = schema is null ? "no 'schema' string" : $"schema '{schema}'";
                    return Failed(DiagnosticIds.CSharpUnsupportedSchema, $"{found}; PvGen's C# generator reads '{OpsModel.SchemaId}' (write it with `pvgen parse --format json -o NAME.pvgen.json`)", positions.Schema ?? start);
                }

                var model = ReadModel(root);
                return new ModelReadResult(model, EquatableArray<Diagnostic>.Empty, positions.Ops.ToEquatableArray());
            }
            catch (ModelShapeException e)
            {
                var where = e.OpIndex is int i && i < positions.Ops.Count ? positions.Ops[i] : start;
                return Failed(DiagnosticIds.CSharpBadModel, e.Message, where);
            }
        }
    }

    private static ModelReadResult Failed(string id, string message, SourceLocation where) =>
        new(null, new[] { new Diagnostic(id, Severity.Error, message, where) }.ToEquatableArray(), EquatableArray<SourceLocation>.Empty);

    private static OpsModel ReadModel(JsonElement root)
    {
        var o = new Obj(root, "model", null, "schema", "struct", "table_symbol", "target", "struct_size", "ops", "data", "location");
        var target = new Obj(o.Get("target", JsonValueKind.Object), "target", null, "arch", "triple", "pointer_size");
        var ops = o.Get("ops", JsonValueKind.Array).EnumerateArray().Select((e, i) => ReadOp(e, i)).ToEquatableArray();
        var data = o.Get("data", JsonValueKind.Array).EnumerateArray().Select((e, i) =>
        {
            var d = new Obj(e, $"data[{i}]", null, "path", "name", "offset", "size", "type", "location");
            return new DataMember(d.String("path"), d.String("name"), d.Long("offset"), d.Long("size"), d.String("type"), ReadLocation(d, "location"));
        }).ToEquatableArray();
        int pointerSize = target.Int("pointer_size");
        if (pointerSize is not (4 or 8))
        {
            throw new ModelShapeException($"target.pointer_size is {pointerSize}; expected 4 or 8", null);
        }

        return new OpsModel(
            o.String("schema"),
            o.String("struct"),
            o.OptionalString("table_symbol"),
            new Target(target.String("arch"), target.String("triple"), pointerSize),
            o.Long("struct_size"),
            ops,
            data,
            ReadLocation(o, "location"));
    }

    private static Op ReadOp(JsonElement element, int index)
    {
        var o = new Obj(element, $"ops[{index}]", index, "path", "name", "offset", "slot", "member_type", "return_type", "params", "callee_save", "signature_known", "location", "comment");
        var parameters = o.Get("params", JsonValueKind.Array).EnumerateArray().Select((e, i) =>
        {
            var p = new Obj(e, $"ops[{index}].params[{i}]", index, "name", "type");
            return new Param(p.String("name"), ReadType(p, "type"));
        }).ToEquatableArray();
        return new Op(
            o.String("path"),
            o.String("name"),
            o.Long("offset"),
            o.Int("slot"),
            o.String("member_type"),
            ReadType(o, "return_type"),
            parameters,
            o.Bool("callee_save"),
            o.Bool("signature_known"),
            ReadLocation(o, "location"),
            o.OptionalString("comment"));
    }

    private static CType ReadType(Obj parent, string name)
    {
        var t = new Obj(parent.Get(name, JsonValueKind.Object), parent.Where + "." + name, parent.OpIndex, "spelling", "canonical", "kind", "size");
        string kindText = t.String("kind");
        var kind = Kinds.FirstOrDefault(k => k.Name == kindText);
        if (kind.Name is null)
        {
            throw new ModelShapeException($"{t.Where}.kind '{kindText}' is not one of {string.Join(", ", Kinds.Select(k => k.Name))}", parent.OpIndex);
        }

        return new CType(t.String("spelling"), t.String("canonical"), kind.Kind, t.Int("size"));
    }

    private static SourceLocation ReadLocation(Obj parent, string name)
    {
        var l = new Obj(parent.Get(name, JsonValueKind.Object), parent.Where + "." + name, parent.OpIndex, "file", "line", "column");
        return new SourceLocation(l.String("file"), l.Int("line"), l.Int("column"));
    }

    /// <summary>TypeKind as the contract spells it (snake_case).</summary>
    private static readonly (string Name, TypeKind Kind)[] Kinds = Enum.GetValues(typeof(TypeKind)).Cast<TypeKind>()
        .Select(k => (string.Concat(k.ToString().Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString())), k))
        .ToArray();

    /// <summary>Where the schema value and each op object start, as line:column (1-based).</summary>
    private static (SourceLocation? Schema, List<SourceLocation> Ops) Positions(byte[] bytes, string path)
    {
        var lines = new LineIndex(bytes);
        SourceLocation At(long index) => lines.At(path, index);

        SourceLocation? schema = null;
        var ops = new List<SourceLocation>();
        var reader = new Utf8JsonReader(bytes);
        string? top = null;
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
            {
                top = reader.GetString();
                if (top == "schema" && reader.Read())
                {
                    schema = At(reader.TokenStartIndex);
                }
            }
            else if (top == "ops" && reader.CurrentDepth == 2 && reader.TokenType == JsonTokenType.StartObject)
            {
                ops.Add(At(reader.TokenStartIndex));
            }
        }

        return (schema, ops);
    }

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message.Substring(0, cut) : message).Trim();
    }

    /// <summary>One JSON object of the contract: checked for unknown members, read with type checks.</summary>
    private sealed class Obj
    {
        private readonly JsonElement element;

        public Obj(JsonElement element, string where, int? opIndex, params string[] members)
        {
            this.element = element;
            Where = where;
            OpIndex = opIndex;
            if (element.ValueKind != JsonValueKind.Object)
            {
                throw new ModelShapeException($"{where} must be an object", opIndex);
            }

            foreach (var property in element.EnumerateObject())
            {
                if (!members.Contains(property.Name))
                {
                    throw new ModelShapeException($"unknown member '{property.Name}' in {where}", opIndex);
                }
            }
        }

        public string Where { get; }

        public int? OpIndex { get; }

        public JsonElement Get(string name, JsonValueKind kind)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                throw new ModelShapeException($"{Where} lacks '{name}'", OpIndex);
            }

            if (value.ValueKind != kind)
            {
                throw new ModelShapeException($"{Where}.{name} must be {Describe(kind)}, not {Describe(value.ValueKind)}", OpIndex);
            }

            return value;
        }

        public string String(string name) => Get(name, JsonValueKind.String).GetString()!;

        public string? OptionalString(string name) =>
            element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Null ? null : String(name);

        public long Long(string name) => Get(name, JsonValueKind.Number).TryGetInt64(out long v) && v >= 0
            ? v
            : throw new ModelShapeException($"{Where}.{name} must be a non-negative integer", OpIndex);

        public int Int(string name) => Long(name) is var v && v <= int.MaxValue
            ? (int)v
            : throw new ModelShapeException($"{Where}.{name} is too large", OpIndex);

        public bool Bool(string name)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                throw new ModelShapeException($"{Where} lacks '{name}'", OpIndex);
            }

            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw new ModelShapeException($"{Where}.{name} must be true or false", OpIndex),
            };
        }

        private static string Describe(JsonValueKind kind) => kind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "an array",
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            JsonValueKind.Null => "null",
            _ => "missing",
        };
    }

    private sealed class ModelShapeException : Exception
    {
        public ModelShapeException(string message, int? opIndex)
            : base(message)
        {
            OpIndex = opIndex;
        }

        public int? OpIndex { get; }
    }
}
