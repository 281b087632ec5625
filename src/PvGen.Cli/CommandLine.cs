using System.CommandLine;
using PvGen.Project;
using PvGen.Project.Options;

namespace PvGen.Cli;

/// <summary>Builds System.CommandLine commands from the verb table, and reads what was given back as <see cref="OptionValues"/>.</summary>
internal static class CommandLine
{
    /// <summary>One command per verb (verbs such as "templates export" under their group).</summary>
    public static void AddVerbs(RootCommand root, Func<VerbSpec, Func<OptionValues, int>> action)
    {
        var groups = new Dictionary<string, Command>(StringComparer.Ordinal);
        foreach (var verb in Verbs.All)
        {
            var command = Create(verb, action(verb));
            string[] path = verb.Path.Split(' ');
            if (path.Length == 1)
            {
                root.Subcommands.Add(command);
                continue;
            }

            if (!groups.TryGetValue(path[0], out var group))
            {
                group = new Command(path[0], $"Work with the {path[0]} (see the subcommands).");
                groups[path[0]] = group;
                root.Subcommands.Add(group);
            }

            group.Subcommands.Add(command);
        }
    }

    private static Command Create(VerbSpec verb, Func<OptionValues, int> run)
    {
        var command = new Command(verb.Name, Help(verb));
        var readers = new List<Action<ParseResult, OptionValues>>();
        foreach (var spec in verb.Options)
        {
            readers.Add(spec.Positional != Positional.No ? AddArgument(command, spec) : AddOption(command, spec));
        }

        command.SetAction(result =>
        {
            var values = new OptionValues();
            foreach (var read in readers)
            {
                read(result, values);
            }

            return run(values);
        });
        return command;
    }

    private static Action<ParseResult, OptionValues> AddArgument(Command command, OptionSpec spec)
    {
        if (spec.Positional == Positional.OneOrMore)
        {
            var list = new Argument<string[]>(spec.Name) { Description = spec.FullHelp, Arity = ArgumentArity.OneOrMore };
            command.Arguments.Add(list);
            return (result, values) =>
            {
                if (result.GetValue(list) is { Length: > 0 } given)
                {
                    values.Set(spec.Name, given);
                }
            };
        }

        var single = new Argument<string?>(spec.Name)
        {
            Description = spec.FullHelp,
            Arity = spec.Positional == Positional.ExactlyOne ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne,
        };
        command.Arguments.Add(single);
        return (result, values) =>
        {
            if (result.GetValue(single) is { } given)
            {
                values.Set(spec.Name, [given]);
            }
        };
    }

    private static Action<ParseResult, OptionValues> AddOption(Command command, OptionSpec spec)
    {
        string[] aliases = [.. spec.Aliases];
        if (spec.Kind == OptionKind.Flag)
        {
            var flag = new Option<bool>("--" + spec.Name, aliases) { Description = spec.FullHelp };
            command.Options.Add(flag);
            return (result, values) =>
            {
                if (result.GetResult(flag) is { Implicit: false })
                {
                    values.Set(spec.Name, [result.GetValue(flag) ? "true" : "false"]);
                }
            };
        }

        // Every value is read as text: the project resolver parses and checks it, with the same rules as pvgen.json.
        string helpName = spec.ValueName ?? spec.Name.ToUpperInvariant();
        if (spec.IsList)
        {
            var list = new Option<string[]>("--" + spec.Name, aliases)
            {
                // One value per flag (repeat it, or separate with commas): several values after one flag would swallow the positional arguments.
                Description = spec.FullHelp, HelpName = helpName, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false,
            };
            command.Options.Add(list);
            return (result, values) =>
            {
                if (result.GetResult(list) is { Implicit: false } && result.GetValue(list) is { } given)
                {
                    values.Set(spec.Name, given);
                }
            };
        }

        var single = new Option<string?>("--" + spec.Name, aliases) { Description = spec.FullHelp, HelpName = helpName };
        command.Options.Add(single);
        return (result, values) =>
        {
            if (result.GetResult(single) is { Implicit: false } && result.GetValue(single) is { } given)
            {
                values.Set(spec.Name, [given]);
            }
        };
    }

    /// <summary>The verb's help: its description and examples (the options list their own help from the table).</summary>
    public static string Help(VerbSpec verb) =>
        verb.Description + "\n\nExamples:\n" + string.Join("\n", verb.Examples.Select(e => "  " + e));
}
