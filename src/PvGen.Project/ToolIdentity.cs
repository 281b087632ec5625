using System.Reflection;
using System.Text;
using PvGen.Generation;
using PvGen.Model;

namespace PvGen.Project;

/// <summary>
/// This build of PvGen, as a generation stamp must know it: a stamp written by another build is not trusted, since the
/// other build may parse or render the same inputs differently.
/// </summary>
public static class ToolIdentity
{
    /// <summary>
    /// The version, the module version id of each assembly that takes part in a generation (the build is deterministic: an
    /// assembly whose code or embedded templates changed has a new id; Scriban's changes with its package), the size and
    /// time of the executable and of the libclang shipped beside it (a libclang update changes no managed assembly).
    /// </summary>
    public static string Current { get; } = Compute();

    private static string Compute()
    {
        var text = new StringBuilder(typeof(Generator).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown");
        Assembly?[] assemblies = [Assembly.GetEntryAssembly(), typeof(Settings).Assembly, typeof(Generator).Assembly, typeof(OpsModel).Assembly,
            typeof(X86.Records.RecordFormats).Assembly, typeof(Clang.HeaderParser).Assembly, typeof(Scriban.Template).Assembly];
        foreach (var assembly in assemblies.OfType<Assembly>().Distinct())
        {
            text.Append(' ').Append(assembly.GetName().Name).Append('=').Append(assembly.ManifestModule.ModuleVersionId.ToString("N"));
        }

        string baseDirectory = AppContext.BaseDirectory;
        string?[] files =
        [
            Environment.ProcessPath,
            Path.Combine(baseDirectory, "libclang.so"),
            Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", "libclang.so"),
        ];
        foreach (string file in files.OfType<string>())
        {
            var info = new FileInfo(file);
            if (info.Exists)
            {
                text.Append(' ').Append(info.Name).Append('=').Append(info.Length).Append('@').Append(info.LastWriteTimeUtc.Ticks);
            }
        }

        return text.ToString();
    }
}
