/* The miniature kernel's wrappers (for pvgen's tests): each calls one op through a PVOP family. */
#ifndef _FAKE_PARAVIRT_H
#define _FAKE_PARAVIRT_H

#include <asm/paravirt_types.h>

static inline void slow_down_io(void)
{
	PVOP_VCALL0(cpu.io_delay);
}

static inline unsigned long read_cr0(void)
{
	return PVOP_CALL0(unsigned long, cpu.read_cr0);
}

static inline void write_cr0(unsigned long x)
{
	PVOP_VCALL1(cpu.write_cr0, x);
}

static inline unsigned long arch_local_save_flags(void)
{
	return PVOP_ALT_CALLEE0(unsigned long, irq.save_fl, "pushf; pop %%rax;", ALT_NOT(FEATURE_HYPERVISOR));
}

/* The struct is passed as its one word, as the kernel's wrappers do. */
static inline void set_pte(pte_t *ptep, pte_t pte)
{
	PVOP_VCALL2(mmu.set_pte, ptep, pte.pte);
}

static inline pteval_t pte_val(pte_t pte)
{
	return PVOP_ALT_CALLEE1(pteval_t, mmu.pte_val, pte.pte, "mov %%rdi, %%rax", ALT_NOT(FEATURE_HYPERVISOR));
}

/* An ordinary C call through the table (the kernel has one: __set_fixmap). */
static inline void plain_io_delay(void)
{
	pv_ops.cpu.io_delay();
}

#endif
