/* Page-table updates in loops: many sites of the same op, and a hoisted group pointer. */

void map_range(pte_t *ptes, unsigned long first_pfn, int count, unsigned long prot)
{
	for (int i = 0; i < count; i++)
		pv_mmu_set_pte(&ptes[i], pv_mmu_make_pte(((first_pfn + i) << 12) | prot));
}

unsigned long count_present(pte_t *ptes, int count)
{
	unsigned long present = 0;
	for (int i = 0; i < count; i++)
		present += pv_mmu_pte_val(ptes[i]) & 1;
	return present;
}

void clear_range(pte_t *ptes, int count)
{
	pv_mmu_lazy_mode_enter();
	for (int i = 0; i < count; i++)
		pv_mmu_set_pte(&ptes[i], pv_mmu_make_pte(0));
	pv_mmu_lazy_mode_leave();
}

/* Code that bypasses the wrappers and keeps a pointer to the group, as hand-tuned code does:
   the table is referenced once (an address), and every call goes through a register. */
void remap_cached(pte_t *ptes, int count, unsigned long pfn)
{
	struct pv_mmu_ops *mmu = &pv_ops.mmu;
	for (int i = 0; i < count; i++)
		mmu->set_pte(&ptes[i], (pte_t){ (pfn + i) << 12 });
	mmu->flush_tlb_user();
}
