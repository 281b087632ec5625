using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PvGen.Binary.Input;

/// <summary>What a path is, as stat(2) says: the file's kind and identity (device and inode), whatever name it was reached by.</summary>
internal enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    SymbolicLink,
    Other,
}

/// <param name="Device">st_dev; with <paramref name="Inode"/> the file's identity (two links to one file are one file).</param>
internal readonly record struct FileStatus(FileKind Kind, ulong Device, ulong Inode)
{
    public static readonly FileStatus Missing = new(FileKind.Missing, 0, 0);

    /// <summary>How a user should read the kind in a message.</summary>
    public string Describe() => Kind switch
    {
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        FileKind.Directory => "a directory",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Missing => "missing",
        FileKind.Regular => "a regular file",
        _ => "not a regular file",
    };
}

/// <summary>
/// stat(2) and lstat(2) from the C library: .NET tells neither a FIFO from a file (opening one blocks until a writer comes)
/// nor two names of one file apart, and a directory walk needs both. The struct is x86-64 Linux's (PvGen runs there only:
/// libclang.runtime.linux-x64); glibc before 2.33 exports the calls as __xstat/__lxstat.
/// </summary>
internal static unsafe partial class Posix
{
    private const string Library = "libc.so.6"; // "libc.so" is a linker script on a machine with libc6-dev

    /// <summary>struct stat of x86-64 Linux (144 bytes); only the first fields are read.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 144)]
    private struct StatBuffer
    {
        [FieldOffset(0)]
        public ulong Device;
        [FieldOffset(8)]
        public ulong Inode;
        [FieldOffset(24)]
        public uint Mode;
        [FieldOffset(48)]
        public long Size;
    }

    /// <summary>open(2) flags of x86-64 Linux: read only, never wait for a FIFO's writer or a device, not inherited.</summary>
    private const int OpenReadNonBlocking = 0x800 | 0x80000;

    private const uint TypeMask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000, Regular = 0x8000, Link = 0xA000, Socket = 0xC000;

    private static readonly bool Supported = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    private static int useOldNames; // 0: not yet known, 1: stat/lstat/fstat, 2: __xstat/__lxstat/__fxstat

    private const int StatVersion = 1; // _STAT_VER_LINUX on x86-64, for the old names

    /// <summary>The file a path names, following symbolic links (a dangling link is <see cref="FileKind.Missing"/>).</summary>
    public static FileStatus Stat(string path) => Query(path, follow: true);

    /// <summary>The path itself: a symbolic link is <see cref="FileKind.SymbolicLink"/>.</summary>
    public static FileStatus LinkStat(string path) => Query(path, follow: false);

    /// <summary>
    /// Opens a path for reading without blocking (O_NONBLOCK: a FIFO or device opens at once instead of waiting) and says
    /// what was opened and how long it is, from the open file (fstat), so a file is looked up once. Null when open(2)
    /// fails or the platform is not x86-64 Linux: the caller opens it through .NET then, for .NET's exception and message.
    /// </summary>
    public static SafeFileHandle? OpenForReading(string path, out FileStatus status, out long length)
    {
        status = FileStatus.Missing;
        length = 0;
        if (!Supported)
        {
            return null;
        }

        int fd = OpenCall(path, OpenReadNonBlocking);
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        StatBuffer buffer;
        if (FileCall(fd, &buffer) != 0)
        {
            handle.Dispose();
            return null;
        }

        status = new FileStatus(KindOf(buffer.Mode), buffer.Device, buffer.Inode);
        length = buffer.Size;
        return handle;
    }

    private static FileStatus Query(string path, bool follow)
    {
        if (!Supported)
        {
            // Elsewhere .NET's own view, without identities: no FIFO detection, and two names are two files.
            return File.Exists(path) ? new FileStatus(FileKind.Regular, 0, 0) : System.IO.Directory.Exists(path) ? new FileStatus(FileKind.Directory, 0, 0) : FileStatus.Missing;
        }

        StatBuffer buffer;
        int result = Call(path, follow, &buffer);
        if (result != 0)
        {
            return FileStatus.Missing;
        }

        return new FileStatus(KindOf(buffer.Mode), buffer.Device, buffer.Inode);
    }

    private static FileKind KindOf(uint mode) => (mode & TypeMask) switch
    {
        Regular => FileKind.Regular,
        Directory => FileKind.Directory,
        Fifo => FileKind.Fifo,
        CharacterDevice => FileKind.CharacterDevice,
        BlockDevice => FileKind.BlockDevice,
        Socket => FileKind.Socket,
        Link => FileKind.SymbolicLink,
        _ => FileKind.Other,
    };

    private static int FileCall(int fd, StatBuffer* buffer)
    {
        if (useOldNames != 2)
        {
            try
            {
                int result = FileStatCall(fd, buffer);
                useOldNames = 1;
                return result;
            }
            catch (EntryPointNotFoundException)
            {
                useOldNames = 2;
            }
        }

        return OldFileStat(StatVersion, fd, buffer);
    }

    private static int Call(string path, bool follow, StatBuffer* buffer)
    {
        if (useOldNames != 2)
        {
            try
            {
                int result = follow ? StatCall(path, buffer) : LinkStatCall(path, buffer);
                useOldNames = 1;
                return result;
            }
            catch (EntryPointNotFoundException)
            {
                useOldNames = 2;
            }
        }

        return follow ? OldStat(StatVersion, path, buffer) : OldLinkStat(StatVersion, path, buffer);
    }

    [LibraryImport(Library, EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatCall(string path, StatBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkStatCall(string path, StatBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "fstat")]
    private static partial int FileStatCall(int fd, StatBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "__fxstat")]
    private static partial int OldFileStat(int version, int fd, StatBuffer* buffer);

    // open(2) is variadic; the mode argument it reads only with O_CREAT is not passed.
    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenCall(string path, int flags);

    [LibraryImport(Library, EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OldStat(int version, string path, StatBuffer* buffer);

    [LibraryImport(Library, EntryPoint = "__lxstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OldLinkStat(int version, string path, StatBuffer* buffer);
}
