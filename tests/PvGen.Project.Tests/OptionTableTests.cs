using System.Text.RegularExpressions;
using PvGen.Project.Options;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Project.Tests;

/// <summary>The table is the one declaration: help, the options reference, the README and the JSON schema agree with it.</summary>
public sealed class OptionTableTests
{
    public static IEnumerable<object[]> AllVerbs() => Verbs.All.Select(v => new object[] { v.Path });

    [Fact]
    public void The_options_reference_is_rendered_from_the_table()
    {
        Golden.MatchFile("docs/options.md", OptionDocs.Reference());
    }

    [Fact]
    public void The_pvgen_json_schema_is_rendered_from_the_table()
    {
        Golden.MatchFile("schemas/pvgen.schema.json", OptionDocs.Schema());
    }

    /// <summary>Each verb's synopsis in the README sits between markers and equals the table's rendering.</summary>
    [Fact]
    public void The_readme_synopses_are_the_table_s()
    {
        string readme = File.ReadAllText(Path.Combine(Repo.Root, "README.md"));
        foreach (var verb in Verbs.All)
        {
            var block = Regex.Match(readme, $@"<!-- synopsis: {Regex.Escape(verb.Path)} -->\n```sh\n(?<text>.*?)\n```", RegexOptions.Singleline);
            Assert.True(block.Success, $"README.md has no synopsis block for 'pvgen {verb.Path}' (<!-- synopsis: {verb.Path} --> followed by a sh block)");
            Assert.Equal(OptionDocs.Synopsis(verb), block.Groups["text"].Value);
        }
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Every_option_of_a_verb_is_in_its_help_with_its_words(string path)
    {
        var verb = Verbs.All.Single(v => v.Path == path);
        var run = Tool.Pvgen([.. path.Split(' '), "--help"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        string help = Regex.Replace(run.Stdout, @"\s+", " ");
        foreach (var option in verb.Options)
        {
            Assert.Contains(option.Positional == Positional.No ? "--" + option.Name : option.Name, help, StringComparison.Ordinal);
            string firstWords = string.Join(' ', option.Help.Split(' ').Take(5));
            Assert.Contains(firstWords, help, StringComparison.Ordinal);
            if (option.Default is { } @default)
            {
                Assert.Contains($"Default: {@default}.", help, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllVerbs))]
    public void Names_and_spellings_are_unique_within_a_verb(string path)
    {
        var verb = Verbs.All.Single(v => v.Path == path);
        var spellings = verb.Options.Where(o => o.Positional == Positional.No).SelectMany(o => o.Aliases.Prepend("--" + o.Name)).ToList();
        Assert.Equal(spellings.Count, spellings.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(verb.Options.Count, verb.Options.Select(o => o.Name).Distinct(StringComparer.Ordinal).Count());
    }

    /// <summary>A key is one option wherever it is declared: its kind, choices and help do not differ between the verbs that read it.</summary>
    [Fact]
    public void A_pvgen_json_key_means_one_thing_in_every_verb()
    {
        foreach (var group in Verbs.All.SelectMany(v => v.Options).Where(o => o.JsonPath is not null).GroupBy(o => o.JsonPath))
        {
            var first = group.First();
            Assert.All(group, o =>
            {
                Assert.Equal(first.Kind, o.Kind);
                Assert.Equal(first.Choices, o.Choices);
                Assert.Equal(first.Help, o.Help);
            });
        }
    }
}
