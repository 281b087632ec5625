using System.Globalization;
using System.Text;
using PvGen.Model;

namespace PvGen.Parse.Tests;

/// <summary>
/// A C translation unit that asserts, in the compiler's own terms, every offset and size the model claims.
/// If the parser's layout differs from the compiler's for any member, the probe does not compile.
/// </summary>
internal static class LayoutProbe
{
    public static string For(OpsModel model, string headerPath)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"#include \"{headerPath}\"\n");
        text.Append(CultureInfo.InvariantCulture, $"_Static_assert(sizeof(struct {model.Struct}) == {model.StructSize}, \"sizeof\");\n");
        foreach (var op in model.Ops)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"_Static_assert(__builtin_offsetof(struct {model.Struct}, {op.Path}) == {op.Offset}, \"{op.Path}\");\n");
            if (op.Slot * model.Target.PointerSize != op.Offset)
            {
                text.Append(CultureInfo.InvariantCulture, $"#error slot of {op.Path} is not offset / pointer size\n");
            }
        }

        foreach (var member in model.Data)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"_Static_assert(__builtin_offsetof(struct {model.Struct}, {member.Path}) == {member.Offset}, \"{member.Path}\");\n");
        }

        return text.ToString();
    }
}
