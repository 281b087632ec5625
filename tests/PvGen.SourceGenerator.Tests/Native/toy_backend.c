/*
 * A backend for examples/toy/toy_ops.h, built as a shared library by the end-to-end test.
 * Every op records what it received in an exported global, and returns what the test put in
 * toy_next_*, so the C# side can check arguments and return values crossed the ABI intact.
 */
#include "toy_ops.h"

unsigned long toy_next_flags;
u64 toy_next_tsc;
unsigned long toy_seen_flags;
unsigned long toy_seen_cr3;
pte_t *toy_seen_ptep;
pte_t toy_seen_pte;
unsigned long toy_seen_flush_addr;
int toy_calls[8]; /* per slot */

static unsigned long toy_save_fl(void) { toy_calls[0]++; return toy_next_flags; }
static void toy_restore_fl(unsigned long flags) { toy_calls[1]++; toy_seen_flags = flags; }
static void toy_irq_disable(void) { toy_calls[2]++; }
static void toy_irq_enable(void) { toy_calls[3]++; }
static void toy_write_cr3(unsigned long val) { toy_calls[4]++; toy_seen_cr3 = val; }
static void toy_set_pte(pte_t *ptep, pte_t pte) { toy_calls[5]++; toy_seen_ptep = ptep; toy_seen_pte = pte; *ptep = pte; }
static void toy_flush_tlb_one(unsigned long addr) { toy_calls[6]++; toy_seen_flush_addr = addr; }
static u64 toy_read_tsc(void) { toy_calls[7]++; return toy_next_tsc; }

struct toy_ops toy_ops = {
	.irq = {
		.save_fl = toy_save_fl,
		.restore_fl = toy_restore_fl,
		.irq_disable = toy_irq_disable,
		.irq_enable = toy_irq_enable,
	},
	.mmu = {
		.write_cr3 = toy_write_cr3,
		.set_pte = toy_set_pte,
		.flush_tlb_one = toy_flush_tlb_one,
	},
	.read_tsc = toy_read_tsc,
};
