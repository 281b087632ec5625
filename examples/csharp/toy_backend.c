/* A toy "native" backend for examples/toy/toy_ops.h: a pretend CPU with a flags word, CR3, one PTE and a TSC. */
#include "toy_ops.h"

static unsigned long flags = 0x202;	/* IF set */
static unsigned long cr3;
static unsigned long flushes;
static u64 tsc = 1000;

static unsigned long native_save_fl(void) { return flags; }
static void native_restore_fl(unsigned long f) { flags = f; }
static void native_irq_disable(void) { flags &= ~0x200UL; }
static void native_irq_enable(void) { flags |= 0x200UL; }
static void native_write_cr3(unsigned long val) { cr3 = val; }
static void native_set_pte(pte_t *ptep, pte_t pte) { *ptep = pte; }
static void native_flush_tlb_one(unsigned long addr) { (void)addr; flushes++; }
static u64 native_read_tsc(void) { return tsc += 7; }

unsigned long toy_backend_cr3(void) { return cr3; }
unsigned long toy_backend_flushes(void) { return flushes; }

struct toy_ops toy_ops = {
	.irq = { native_save_fl, native_restore_fl, native_irq_disable, native_irq_enable },
	.mmu = { native_write_cr3, native_set_pte, native_flush_tlb_one },
	.read_tsc = native_read_tsc,
};
