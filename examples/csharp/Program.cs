// Loads a native backend of the toy ops table and drives it through the generated ToyOps struct.
using System.Globalization;
using System.Runtime.InteropServices;
using PvGen.Example;

ToyOps.VerifyLayout();
string library = Path.Combine(AppContext.BaseDirectory, "libtoy_backend.so");
nint handle = NativeLibrary.Load(library);
Demo.Run(handle, Path.GetFileName(library));

internal static unsafe class Demo
{
    public static void Run(nint handle, string library)
    {
        ToyOps* table = ToyOps.At(NativeLibrary.GetExport(handle, ToyOps.TableSymbol!));
        Console.WriteLine($"struct {ToyOps.StructName} ({ToyOps.Arch}, {ToyOps.Size} bytes, {ToyOps.OpCount} ops) from {library}:");
        foreach (var op in ToyOps.Ops)
        {
            nint target = ((nint*)table)[(int)op.Slot];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  slot {(int)op.Slot,2}  +0x{op.Offset:x2}  {op.Path,-18} {op.Signature,-40} {(target == 0 ? "NULL" : "set")}"));
        }

        table->irq.irq_disable();
        nuint off = table->irq.save_fl();
        table->irq.irq_enable();
        nuint on = table->irq.save_fl();
        table->mmu.write_cr3(0x1234_5000);
        ToyOps.Pte pte = default;
        table->mmu.set_pte(&pte, new ToyOps.Pte(0x8000_0000_0000_0067));
        ulong kernelAddress = 0xffff_8880_0000_1000; // nuint is 64-bit here; a variable keeps the compiler from doubting it
        table->mmu.flush_tlb_one((nuint)kernelAddress);
        ulong first = table->read_tsc();
        ulong second = table->read_tsc();
        var cr3 = (delegate* unmanaged<nuint>)NativeLibrary.GetExport(handle, "toy_backend_cr3");
        var flushes = (delegate* unmanaged<nuint>)NativeLibrary.GetExport(handle, "toy_backend_flushes");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"flags after irq_disable: 0x{off:x}, after irq_enable: 0x{on:x}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cr3: 0x{cr3():x}, pte: 0x{pte.Value:x}, TLB flushes: {flushes()}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"tsc: {first} then {second}"));
    }
}
