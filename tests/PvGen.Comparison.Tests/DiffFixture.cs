using System.Text.Json;
using PvGen.TestSupport;

namespace PvGen.Comparison.Tests;

/// <summary>
/// Runs `pvgen diff` once, with gcc on x86_64 at -O2 without and with -fpic, over a corpus written for the test:
/// a tail call, a table pointer loaded once and reused, and ordinary calls. Objects are kept for the oracle.
/// </summary>
public sealed class DiffFixture : IDisposable
{
    public const string Tail = """
        void tail_disable(void)
        {
        	pv_irq_irq_disable();
        }

        unsigned long tail_save(void)
        {
        	return pv_irq_save_fl();
        }
        """;

    public const string Reuse = """
        void kick_many(int n)
        {
        	void (*kick)(int) = pv_ops.lock.kick;
        	for (int i = 0; i < n; i++)
        		kick(i);
        }

        int plain_calls(int n)
        {
        	unsigned long flags = pv_irq_save_fl();
        	pv_irq_irq_disable();
        	for (int i = 0; i < n; i++)
        		pv_cpu_io_delay();
        	pv_irq_restore_fl(flags);
        	return n;
        }
        """;

    public string Directory { get; } = Repo.TempDir("diff");

    public string KeepBuild => Path.Combine(Directory, "build");

    public ToolResult Run { get; }

    public JsonElement Report { get; }

    public DiffFixture()
    {
        File.WriteAllText(Path.Combine(Directory, "tail.c"), Tail);
        File.WriteAllText(Path.Combine(Directory, "reuse.c"), Reuse);
        string json = Path.Combine(Directory, "diff.json");
        Run = Tool.Pvgen(["diff", "--config", Repo.Example("linux-5.10-x86_64", "pvgen.json"), "--corpus", "tail.c,reuse.c",
            "--cc", "gcc", "--opt", "O2", "--pic", "no,yes", "--format", "json", "-o", json, "--keep-build", KeepBuild, "--jobs", "2"], Directory);
        Assert.True(Run.ExitCode == 0, Run.ToString());
        Report = JsonDocument.Parse(File.ReadAllText(json)).RootElement.Clone();
    }

    public JsonElement Build(string id) => Report.GetProperty("builds").EnumerateArray().Single(b => b.GetProperty("id").GetString() == id);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the temp cleaner.
        }
    }
}
