/* A context switch: normal and callee-save ops interleaved, as in switch_to(). */

struct cpu_state {
	struct mm_struct *mm;
	unsigned long cr3;
	unsigned long sp0;
	struct thread_struct *thread;
	struct task_struct *task;
};

void switch_mm(struct cpu_state *prev, struct cpu_state *next)
{
	if (prev->mm == next->mm)
		return;
	pv_mmu_activate_mm(prev->mm, next->mm);
	pv_mmu_write_cr3(next->cr3);
}

void switch_to(struct cpu_state *prev, struct cpu_state *next, unsigned int cpu)
{
	unsigned long flags = pv_irq_save_fl();
	pv_irq_irq_disable();
	pv_cpu_start_context_switch(prev->task);
	switch_mm(prev, next);
	pv_cpu_load_sp0(next->sp0);
	pv_cpu_load_tls(next->thread, cpu);
	pv_cpu_end_context_switch(next->task);
	pv_irq_restore_fl(flags);
}

unsigned long fault_address(void)
{
	return pv_mmu_read_cr2();
}

void flush_all(unsigned long cr3)
{
	pv_mmu_flush_tlb_user();
	pv_mmu_flush_tlb_kernel();
	pv_mmu_write_cr3(cr3);
}
