/* Callers of every wrapper of the miniature kernel, built against its own macros and against each drop-in. */
#include <asm/paravirt.h>

unsigned long callers_flags;
pte_t callers_pte;

void call_everything(pte_t *ptep)
{
	slow_down_io();
	write_cr0(read_cr0() | 1);
	callers_flags = arch_local_save_flags();
	set_pte(ptep, callers_pte);
	callers_flags += pte_val(*ptep);
	plain_io_delay();
}

unsigned long flags_twice(void)
{
	return arch_local_save_flags() + arch_local_save_flags();
}
