using PvGen.Model;
using PvGen.TestSupport;
using Xunit;

namespace PvGen.Binary.Tests;

/// <summary>
/// Directory walking on trees that are hostile by accident: symbolic links back to a parent or to the directory itself,
/// hard links, a FIFO and a device named like modules, dangling and looping links. Each real file is listed once, the
/// walk ends (a bounded time, asserted by a timeout, not a speed), and each odd entry is one warning. The oracle for
/// "same file" is <c>stat -c %d:%i</c> (coreutils), for the tree itself <c>ln</c> and <c>mkfifo</c>.
/// </summary>
public sealed class DirectoryWalkTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CyclesHardLinksFifosDevicesAndDanglingLinksAreWalkedOnceAndWarned()
    {
        string root = Repo.TempDir("walk");
        string module = Build.Compile("m.c", "struct ops { void (*a)(void); }; extern struct ops pv_ops; void f(void) { pv_ops.a(); }\n", Build.KernelFlags("x86_64"));
        Directory.CreateDirectory(Path.Combine(root, "kernel", "drivers"));
        File.Copy(module, Path.Combine(root, "kernel", "drivers", "a.ko"));
        File.Copy(module, Path.Combine(root, "kernel", "b.o"));
        Ln(root, "-s", ".", "loop1");                         // two links to "." made the old walk exponential
        Ln(root, "-s", ".", "loop2");
        Ln(Path.Combine(root, "kernel", "drivers"), "-s", "..", "up");  // a cycle through the parent
        Ln(Path.Combine(root, "kernel"), "-s", "b.o", "same.ko");     // a second name for b.o
        Ln(Path.Combine(root, "kernel"), "", "b.o", "hard.ko");       // a hard link: the same inode
        Ln(root, "-s", "missing.ko", "dangling.ko");
        Ln(root, "-s", "self.ko", "self.ko");                  // a link to itself: ELOOP
        Ln(root, "-s", "/dev/null", "null.ko");                // a character device named like a module
        Assert.Equal(0, Tool.Run("mkfifo", [Path.Combine(root, "pipe.ko")]).ExitCode);

        var warnings = new List<Diagnostic>();
        var walk = Task.Run(() => ObjectScanner.ExpandInputs([root], warnings));
        Assert.True(await Task.WhenAny(walk, Task.Delay(Bound)) == walk, $"the walk of {root} did not end within {Bound.TotalSeconds} s");
        var files = await walk;

        // hard.ko and same.ko are b.o; a.ko is reached also through loop1, loop2 and up: each file once, under its first name.
        Assert.Equal([Path.Combine(root, "kernel", "b.o"), Path.Combine(root, "kernel", "drivers", "a.ko")], files.Order(StringComparer.Ordinal));
        Assert.Equal(files.Count, files.Select(Identity).Distinct().Count());
        Assert.Equal(Identity(Path.Combine(root, "kernel", "b.o")), Identity(Path.Combine(root, "kernel", "hard.ko")));
        Assert.Equal(Identity(Path.Combine(root, "kernel", "b.o")), Identity(Path.Combine(root, "kernel", "same.ko")));

        Assert.All(warnings, w => Assert.Equal((DiagnosticIds.ScanInputSkipped, Severity.Warning), (w.Id, w.Severity)));
        Assert.Equal(4, warnings.Count);
        Assert.Contains(warnings, w => w.Message.Contains("pipe.ko' is a FIFO (named pipe), not a regular file", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("null.ko' is a character device", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("dangling.ko' is a symbolic link that leads to no file", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Message.Contains("self.ko' is a symbolic link that leads to no file", StringComparison.Ordinal));
    }

    /// <summary>A FIFO or a device given by name is one error line, never a read that waits for a writer.</summary>
    [Theory]
    [InlineData("fifo")]
    [InlineData("device")]
    public async Task ANamedFifoOrDeviceIsAnErrorNotAHang(string kind)
    {
        string root = Repo.TempDir("walk-explicit");
        string path = Path.Combine(root, "odd.ko");
        if (kind == "fifo")
        {
            Assert.Equal(0, Tool.Run("mkfifo", [path]).ExitCode);
        }
        else
        {
            Ln(root, "-s", "/dev/zero", "odd.ko"); // endless bytes: a reader that trusted it would never stop
        }

        var scan = Task.Run(() => ObjectScanner.ScanFile(path, new ScanOptions()));
        Assert.True(await Task.WhenAny(scan, Task.Delay(Bound)) == scan, $"scanning {kind} {path} did not end");
        var result = Assert.Single(await scan);

        Assert.Equal(kind == "fifo" ? "a FIFO (named pipe), not a regular file: not read" : "a character device, not a regular file: not read", result.Error);
    }

    /// <summary>A directory of 200 links to itself (each a way back to the top) is walked once: no blow-up, no repeats.</summary>
    [Fact]
    public async Task ManyLinksToTheSameDirectoryDoNotMultiplyTheWalk()
    {
        string root = Repo.TempDir("walk-many");
        string module = Build.Compile("n.c", "void g(void) {}\n", Build.KernelFlags("x86_64"));
        File.Copy(module, Path.Combine(root, "only.o"));
        for (int i = 0; i < 200; i++)
        {
            File.CreateSymbolicLink(Path.Combine(root, $"l{i:D3}"), ".");
        }

        var walk = Task.Run(() => ObjectScanner.ExpandInputs([root]));
        Assert.True(await Task.WhenAny(walk, Task.Delay(Bound)) == walk, "the walk did not end");

        Assert.Equal([Path.Combine(root, "only.o")], await walk);
    }

    /// <summary>
    /// Through the CLI: a directory whose only "module" is a FIFO is exit 2 with the FIFO named as skipped and the
    /// directory as holding no object (the old walk opened the FIFO and waited for a writer forever).
    /// </summary>
    [Fact]
    public void ScanOfADirectoryWithOnlyAFifoSaysSoAndExits2()
    {
        string root = Repo.TempDir("walk-cli");
        Assert.Equal(0, Tool.Run("mkfifo", [Path.Combine(root, "pipe.ko")]).ExitCode);

        var run = Tool.Pvgen(["scan", "."], root);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("warning: './pipe.ko' is a FIFO (named pipe), not a regular file: skipped [PVG0403]", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("error: no object files under '.'", run.Stderr, StringComparison.Ordinal);
    }

    private static void Ln(string directory, string flag, string target, string name)
    {
        var run = Tool.Run("ln", flag.Length == 0 ? [target, name] : [flag, target, name], directory);
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    /// <summary>device:inode as coreutils' stat prints them.</summary>
    private static string Identity(string path)
    {
        var run = Tool.Run("stat", ["-L", "-c", "%d:%i", path]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.Stdout.Trim();
    }
}
