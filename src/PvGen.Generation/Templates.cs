using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PvGen.Model;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;

namespace PvGen.Generation;

/// <summary>The default templates, embedded in this assembly from the repository's templates/ folder.</summary>
public static class DefaultTemplates
{
    private const string Prefix = "templates/";

    private static readonly Lazy<IReadOnlyDictionary<string, string>> All = new(Load);

    /// <summary>Template names (paths relative to templates/, '/'-separated) to their text.</summary>
    public static IReadOnlyDictionary<string, string> Texts => All.Value;

    public static string ManifestName => "templates.manifest.json";

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes every default template and a manifest of their hashes (so later generations can tell when a default changed).</summary>
    public static IReadOnlyList<(string Path, string Content)> Export()
    {
        var files = Texts.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => (t.Key, t.Value)).ToList();
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("schema", "pvgen.templates/1");
            writer.WriteString("generator_version", TemplateModelBuilder.Version);
            writer.WriteStartObject("templates");
            foreach (var (name, text) in files)
            {
                writer.WriteString(name, Sha256(text));
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        files.Add((ManifestName, Encoding.UTF8.GetString(stream.ToArray()) + "\n"));
        return files;
    }

    private static IReadOnlyDictionary<string, string> Load()
    {
        var assembly = typeof(DefaultTemplates).Assembly;
        var texts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            texts[resource[Prefix.Length..].Replace('\\', '/')] = reader.ReadToEnd().Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        return texts;
    }
}

/// <summary>
/// Layered template lookup: the maintainer's override directory first, the embedded defaults second.
/// Paths it hands to Scriban carry the layer ("override:" or "default:") so errors name the file that was used.
/// </summary>
public sealed class LayeredTemplateLoader(string? overrideDirectory, string? overrideDisplay) : ITemplateLoader
{
    private const string OverrideLayer = "override:";
    private const string DefaultLayer = "default:";

    // Override files a render has read (a maintainer's own included partials count as used).
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    public string GetPath(TemplateContext context, SourceSpan callerSpan, string templateName) => Resolve(templateName)
        ?? throw new Scriban.Syntax.ScriptRuntimeException(callerSpan, $"template '{templateName}' not found (looked in {(overrideDirectory is null ? string.Empty : overrideDisplay + " and ")}the defaults)");

    public string? Resolve(string templateName)
    {
        string name = templateName.Replace('\\', '/');
        if (overrideDirectory is not null && IsSafe(name) && File.Exists(Path.Combine(overrideDirectory, name)))
        {
            return OverrideLayer + name;
        }

        return DefaultTemplates.Texts.ContainsKey(name) ? DefaultLayer + name : null;
    }

    public string Load(TemplateContext context, SourceSpan callerSpan, string templatePath) => Read(templatePath);

    public ValueTask<string?> LoadAsync(TemplateContext context, SourceSpan callerSpan, string templatePath) => ValueTask.FromResult<string?>(Read(templatePath));

    public string Read(string templatePath)
    {
        if (templatePath.StartsWith(OverrideLayer, StringComparison.Ordinal))
        {
            read.Add(templatePath[OverrideLayer.Length..]);
            return File.ReadAllText(Path.Combine(overrideDirectory!, templatePath[OverrideLayer.Length..])).Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        return DefaultTemplates.Texts[templatePath[DefaultLayer.Length..]];
    }

    /// <summary>How a resolved path is shown in messages: the override file as the user named its directory, or templates/NAME.</summary>
    public string Display(string templatePath) => templatePath.StartsWith(OverrideLayer, StringComparison.Ordinal)
        ? $"{overrideDisplay}/{templatePath[OverrideLayer.Length..]}"
        : $"templates/{templatePath[DefaultLayer.Length..]}";

    /// <summary>Warnings for overridden templates whose default changed since the maintainer exported it.</summary>
    public IEnumerable<Diagnostic> OutdatedOverrides()
    {
        if (overrideDirectory is null)
        {
            yield break;
        }

        string manifestPath = Path.Combine(overrideDirectory, DefaultTemplates.ManifestName);
        if (!File.Exists(manifestPath))
        {
            yield break;
        }

        JsonDocument manifest;
        try
        {
            manifest = JsonDocument.Parse(File.ReadAllText(manifestPath));
        }
        catch (JsonException e)
        {
            throw PvGenException.Error(DiagnosticIds.TemplateError,
                $"template manifest does not parse: {e.Message}", new SourceLocation($"{overrideDisplay}/{DefaultTemplates.ManifestName}", (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1));
        }

        using (manifest)
        {
            if (!manifest.RootElement.TryGetProperty("templates", out var hashes) || hashes.ValueKind != JsonValueKind.Object)
            {
                yield break;
            }

            foreach (var entry in hashes.EnumerateObject())
            {
                bool overridden = IsSafe(entry.Name) && File.Exists(Path.Combine(overrideDirectory, entry.Name));
                if (overridden && DefaultTemplates.Texts.TryGetValue(entry.Name, out string? current) && DefaultTemplates.Sha256(current) != entry.Value.GetString())
                {
                    yield return new Diagnostic(DiagnosticIds.OverrideOutdated, Severity.Warning,
                        $"the default template '{entry.Name}' changed since it was exported; compare your override with 'pvgen templates export' output",
                        new SourceLocation($"{overrideDisplay}/{entry.Name}", 1, 1));
                }
            }
        }
    }

    /// <summary>
    /// Warnings for files in the override directory that replace no default template and that no render read: a
    /// misnamed override (macro/heder.sbn-c) is otherwise silently ignored while the default is used. Call after rendering.
    /// </summary>
    public IEnumerable<Diagnostic> UnusedOverrides()
    {
        if (overrideDirectory is null || !Directory.Exists(overrideDirectory))
        {
            yield break;
        }

        var files = Directory.EnumerateFiles(overrideDirectory, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.Hidden })
            .Select(f => Path.GetRelativePath(overrideDirectory, f).Replace('\\', '/'))
            .Where(name => name != DefaultTemplates.ManifestName && !name.Split('/').Any(part => part.StartsWith('.')))
            .Order(StringComparer.Ordinal);
        foreach (string name in files)
        {
            if (!DefaultTemplates.Texts.ContainsKey(name) && !read.Contains(name))
            {
                yield return new Diagnostic(DiagnosticIds.OverrideUnused, Severity.Warning,
                    $"'{name}' in the template directory overrides no template and is not included by one, so it is not used"
                    + (Suggestions.Closest(name, DefaultTemplates.Texts.Keys) is { } close ? $" (did you mean '{close}'?)" : "; 'pvgen templates export' lists the template names"),
                    new SourceLocation($"{overrideDisplay}/{name}", 1, 1));
            }
        }
    }

    private static bool IsSafe(string name) => !name.Contains("..", StringComparison.Ordinal) && !Path.IsPathRooted(name);
}

/// <summary>Renders templates in strict mode: an unknown variable or member is an error at path(line,col), never an empty string.</summary>
public sealed class TemplateRenderer(LayeredTemplateLoader loader)
{
    private readonly Dictionary<string, Template> parsed = new(StringComparer.Ordinal);

    public string Render(string templateName, ScriptObject model)
    {
        string path = loader.Resolve(templateName) ?? throw PvGenException.Error(DiagnosticIds.TemplateNotFound, $"template '{templateName}' not found");
        var template = Parse(path);
        var context = new TemplateContext
        {
            TemplateLoader = loader,
            StrictVariables = true,
            EnableRelaxedMemberAccess = false,
            EnableRelaxedTargetAccess = false,
            EnableRelaxedFunctionAccess = false,
            EnableRelaxedIndexerAccess = false,
            EnableNullIndexer = false,
            NewLine = "\n",
            // Kept, but sized for real tables: the limit counts every iteration of every loop in one render.
            LoopLimit = 1_000_000,
            RecursiveLimit = 100,

            // Scriban cuts any string longer than LimitToString (1 MiB by default) to "...": a big table's header must never be cut.
            LimitToString = 0,
            MemberRenamer = member => member.Name,
        };
        var functions = new ScriptObject();
        functions.SetValue("pv", Functions(), true);
        context.PushGlobal(functions);
        context.PushGlobal(model);
        try
        {
            return template.Render(context);
        }
        catch (Scriban.Syntax.ScriptRuntimeException e)
        {
            // An included template that does not parse: report its own first error, not the include line.
            var included = System.Text.RegularExpressions.Regex.Match(e.OriginalMessage, "Error while parsing template `([^`]+)`");
            if (included.Success)
            {
                Parse(included.Groups[1].Value);
            }

            throw Error(e.Span, e.OriginalMessage);
        }
    }

    private Template Parse(string path)
    {
        if (parsed.TryGetValue(path, out var cached))
        {
            return cached;
        }

        // Defaults never change within a process: reuse what the warm-up parsed.
        var template = path.StartsWith("default:", StringComparison.Ordinal)
            ? TemplateWarmUp.Defaults.GetOrAdd(path, p => Template.Parse(loader.Read(p), p))
            : Template.Parse(loader.Read(path), path);
        if (template.HasErrors)
        {
            var first = template.Messages.First(m => m.Type == Scriban.Parsing.ParserMessageType.Error);
            throw Error(first.Span, first.Message);
        }

        parsed[path] = template;
        return template;
    }

    /// <summary>A template error at the template's own line and column (the override file as the user named it).</summary>
    private PvGenException Error(SourceSpan span, string message) => PvGenException.Error(DiagnosticIds.TemplateError, message,
        new SourceLocation(span.FileName is { Length: > 0 } f ? loader.Display(f) : "<template>", span.Start.Line + 1, span.Start.Column + 1));

    /// <summary>Helpers for template authors, under "pv." (documented in the README).</summary>
    private static ScriptObject Functions()
    {
        var functions = new ScriptObject();
        functions.SetValue("hex", new TemplateFunction<long>("hex", CNames.Hex), true);
        functions.SetValue("c_string", new TemplateFunction<string>("c_string", CNames.StringLiteral), true);
        functions.SetValue("comment", new TemplateFunction<string>("comment", CNames.CommentText), true);
        functions.SetValue("upper", new TemplateFunction<string>("upper", CNames.Upper), true);
        return functions;
    }
}

/// <summary>
/// A one-argument helper for templates. Scriban's Import(Delegate) builds its wrapper by reflection over the delegate's
/// method, which NativeAOT cannot do; this is the same wrapper written out: the argument converted the way Scriban converts
/// an imported function's argument (<see cref="TemplateContext.ToObject{T}(SourceSpan, object)"/>), one argument required.
/// </summary>
internal sealed class TemplateFunction<TArgument>(string name, Func<TArgument, string> body) : IScriptCustomFunction
{
    private static readonly ScriptParameterInfo Parameter = new(typeof(TArgument), "value");

    public int RequiredParameterCount => 1;

    public int ParameterCount => 1;

    public ScriptVarParamKind VarParamKind => ScriptVarParamKind.None;

    public Type ReturnType => typeof(string);

    public ScriptParameterInfo GetParameterInfo(int index) => Parameter;

    public object? Invoke(TemplateContext context, Scriban.Syntax.ScriptNode? callerContext, ScriptArray arguments, Scriban.Syntax.ScriptBlockStatement? blockStatement)
    {
        var span = callerContext?.Span ?? default;
        if (arguments.Count != 1)
        {
            throw new Scriban.Syntax.ScriptRuntimeException(span,
                $"Invalid number of arguments `{arguments.Count}` passed to `pv.{name}` while expecting `1` arguments");
        }

        return body(context.ToObject<TArgument>(span, arguments[0])!);
    }

    public ValueTask<object?> InvokeAsync(TemplateContext context, Scriban.Syntax.ScriptNode? callerContext, ScriptArray arguments, Scriban.Syntax.ScriptBlockStatement? blockStatement) =>
        ValueTask.FromResult(Invoke(context, callerContext, arguments, blockStatement));
}

/// <summary>
/// Scriban's first parse and render cost more in JIT than in work; the CLI starts this on a background thread
/// while libclang parses the header, so the two overlap (2+ cores).
/// </summary>
public static class TemplateWarmUp
{
    internal static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Template> Defaults = new(StringComparer.Ordinal);

    private static Task? warming;

    public static void Start() => warming ??= Task.Run(Run);

    private static void Run()
    {
        try
        {
            foreach (var (name, text) in DefaultTemplates.Texts)
            {
                Defaults.GetOrAdd("default:" + name, p => Template.Parse(text, p));
            }

#pragma warning disable CA1861 // the warm-up runs once per process
            var model = new ModelNode().Add("items", new[] { new ModelNode().Add("a", 1).Add("b", true).Add("c", new[] { "x" }) }).ToScriptObject();
#pragma warning restore CA1861
            var context = new TemplateContext { StrictVariables = true, EnableRelaxedMemberAccess = false, LoopLimit = 1000 };
            context.PushGlobal(model);
            Template.Parse("{{ for i in items }}{{ i.a + 1 }}{{ if i.b && !for.first }}{{ array.join i.c \", \" }}{{ end }}{{ end }}").Render(context);
        }
        catch (Exception)
        {
            // Only a warm-up: the real render reports every problem.
        }
    }
}
