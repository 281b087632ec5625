using System.Text.RegularExpressions;

namespace PvGen.Generation;

/// <summary>Facts about the user's ops header that decide what the generated headers must add.</summary>
public static class OpsHeader
{
    /// <summary>True when the header itself declares "extern struct S sym;" (then the generated headers need not).</summary>
    public static bool DeclaresTable(string headerPath, string structName, string symbol)
    {
        try
        {
            string text = File.ReadAllText(headerPath);
            return Regex.IsMatch(text, $@"\bextern\s+struct\s+{Regex.Escape(structName)}\s+{Regex.Escape(symbol)}\s*;");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
