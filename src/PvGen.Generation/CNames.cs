using System.Text;

namespace PvGen.Generation;

/// <summary>C spelling helpers: identifiers, declarations, literals.</summary>
public static class CNames
{
    public static bool IsIdentifier(string text) =>
        text.Length > 0 && (char.IsAsciiLetter(text[0]) || text[0] == '_') && text.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    public static bool IsIdentifierOrEmpty(string text) => text.Length == 0 || IsIdentifier(text);

    /// <summary>"irq.save_fl" -> "IRQ_SAVE_FL"; any other non-identifier character becomes '_'.</summary>
    public static string Upper(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        }

        return builder.ToString();
    }

    /// <summary>A type that cannot prefix a declarator as written (function pointers, arrays) goes through __typeof__.</summary>
    public static string TypeForDeclaration(string spelling) =>
        spelling.IndexOfAny(['(', '[']) >= 0 ? $"__typeof__({spelling})" : spelling;

    /// <summary>"pte_t *" and "ptep" declare as "pte_t *ptep", the way C is written.</summary>
    public static string Declaration(string spelling, string name)
    {
        string type = TypeForDeclaration(spelling);
        return type.EndsWith('*') ? type + name : $"{type} {name}";
    }

    public static string Hex(long value) => "0x" + value.ToString("x", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A C string literal body (no quotes).</summary>
    public static string StringLiteral(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        foreach (char c in text)
        {
            builder.Append(c switch
            {
                '\\' => "\\\\",
                '"' => "\\\"",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when c < ' ' => $"\\{Convert.ToString(c, 8).PadLeft(3, '0')}",
                _ => c.ToString(),
            });
        }

        return builder.ToString();
    }

    /// <summary>Text safe inside a /* */ comment, on one line.</summary>
    public static string CommentText(string text) =>
        string.Join(' ', text.Replace("*/", "* /", StringComparison.Ordinal).Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => s.Trim()).Where(s => s.Length > 0));
}
