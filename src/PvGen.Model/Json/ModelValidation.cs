namespace PvGen.Model.Json;

/// <summary>
/// What a model must satisfy before any stage trusts it: a known schema and target, a positive size, and ops whose
/// offsets, slots and paths are consistent with it. Each problem names the JSON Pointer of the offending value.
/// </summary>
public static class ModelValidation
{
    public readonly record struct Problem(string Pointer, string Message);

    public static IEnumerable<Problem> Problems(OpsModel model)
    {
        if (model.Schema != OpsModel.SchemaId)
        {
            yield return new("/schema", $"unsupported schema '{model.Schema}', expected '{OpsModel.SchemaId}'");
            yield break;
        }

        var known = Target.FromName(model.Target?.Arch ?? string.Empty);
        if (model.Target is null || known is null)
        {
            yield return new("/target/arch", $"unknown target '{model.Target?.Arch}': models are laid out for x86_64 or i386");
            yield break;
        }

        if (model.Target.PointerSize != known.PointerSize || model.Target.Triple != known.Triple)
        {
            yield return new("/target/pointer_size", $"target {known.Arch} has {known.PointerSize}-byte pointers and triple {known.Triple}, not {model.Target.PointerSize} and {model.Target.Triple}");
            yield break;
        }

        if (model.StructSize <= 0)
        {
            yield return new("/struct_size", $"struct_size must be positive (got {model.StructSize})");
        }

        if (string.IsNullOrEmpty(model.Struct))
        {
            yield return new("/struct", "the model names no struct");
        }

        if (model.Ops.Count == 0)
        {
            yield return new("/ops", "a model holds at least one op");
            yield break;
        }

        int pointer = known.PointerSize;
        var paths = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < model.Ops.Count; i++)
        {
            var op = model.Ops[i];
            string at = $"/ops/{i}";
            if (op is null || string.IsNullOrEmpty(op.Path))
            {
                yield return new(at, $"op {i} has no path");
                continue;
            }

            if (!paths.Add(op.Path))
            {
                yield return new(at + "/path", $"op '{op.Path}' appears twice");
            }

            // Wrapper names and parameters are generated from these names: each must be a C identifier.
            if (op.Path.Split('.').FirstOrDefault(part => !IsIdentifier(part)) is { } badPart)
            {
                yield return new(at + "/path", $"op path '{op.Path}': '{badPart}' is not a C identifier");
            }

            if (op.ReturnType is null || string.IsNullOrWhiteSpace(op.ReturnType.Spelling))
            {
                yield return new(at + "/return_type", $"op '{op.Path}' has no return type");
                continue;
            }

            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int p = 0; p < op.Params.Count; p++)
            {
                var param = op.Params[p];
                if (param is null || param.Type is null || string.IsNullOrWhiteSpace(param.Type.Spelling))
                {
                    yield return new($"{at}/params/{p}", $"op '{op.Path}': parameter {p} has no type");
                }
                else if (!IsIdentifier(param.Name) || !names.Add(param.Name))
                {
                    yield return new($"{at}/params/{p}/name", $"op '{op.Path}': parameter {p} is named '{param.Name}', not a C identifier of its own");
                }
            }

            // A callee-save op is a member of the callee-save struct, called through its field: never a function pointer.
            if (op.CalleeSave && SpelledSignature(op.MemberType) is not null)
            {
                yield return new(at + "/callee_save", $"op '{op.Path}' is callee-save, but its member type '{op.MemberType}' is a function pointer, not the callee-save struct");
            }

            // A member declared as a function pointer spells its type: the return type and parameters must say the same.
            if (op.SignatureKnown && !op.CalleeSave && SpelledSignature(op.MemberType) is var (returns, parameters)
                && op.Params.All(x => x?.Type?.Spelling is not null)
                && (returns != op.ReturnType.Spelling.Trim() || parameters != (op.Params.Count == 0 ? "void" : string.Join(", ", op.Params.Select(x => x.Type.Spelling)))))
            {
                yield return new(at + "/params", $"op '{op.Path}': return type and parameters ({op.ReturnType.Spelling}; {string.Join(", ", op.Params.Select(x => x.Type.Spelling))}) differ from its member type '{op.MemberType}'");
            }

            if (op.Offset < 0 || op.Offset % pointer != 0 || (model.StructSize > 0 && op.Offset + pointer > model.StructSize))
            {
                yield return new(at + "/offset", $"op '{op.Path}': offset {op.Offset} is not a {pointer}-byte slot inside the {model.StructSize}-byte struct");
            }
            else if (op.Slot != op.Offset / pointer)
            {
                yield return new(at + "/slot", $"op '{op.Path}': slot {op.Slot} but offset {op.Offset} is slot {op.Offset / pointer}");
            }
        }
    }

    private static bool IsIdentifier(string? text) =>
        !string.IsNullOrEmpty(text) && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>"RET (*)(PARAMS)" as clang spells a function-pointer member, split; null for any other spelling (a typedef name).</summary>
    private static (string Returns, string Parameters)? SpelledSignature(string? memberType)
    {
        if (memberType is null)
        {
            return null;
        }

        int star = memberType.IndexOf("(*)", StringComparison.Ordinal);
        if (star < 0 || memberType.IndexOf("(*)", star + 1, StringComparison.Ordinal) >= 0)
        {
            return null;
        }

        string rest = memberType[(star + 3)..].Trim();
        return rest.Length >= 2 && rest[0] == '(' && rest[^1] == ')' ? (memberType[..star].Trim(), rest[1..^1].Trim()) : null;
    }
}
