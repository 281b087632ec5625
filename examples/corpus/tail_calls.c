/* Each function ends in an op call: at -O2 the plain style turns these into tail jumps,
   which the reloc approach must tell apart from calls by disassembly. */

void arch_safe_halt(void)
{
	pv_irq_safe_halt();
}

void arch_halt(void)
{
	pv_irq_halt();
}

void flush_one(unsigned long addr)
{
	pv_mmu_flush_tlb_one_user(addr);
}

void release_pte_page(unsigned long pfn)
{
	pv_mmu_release_pte(pfn);
}

unsigned long long clock_now(void)
{
	return pv_time_sched_clock();
}
