/* A table pointer loaded once and reused: code that copies an op into a local before a loop,
   as hand-tuned code (and the compiler at -O0) does. The reloc approach sees only the load;
   the calls go through a register and cannot be patched in place. */

void kick_all(int ncpus)
{
	void (*kick)(int) = pv_ops.lock.kick;
	for (int cpu = 0; cpu < ncpus; cpu++)
		kick(cpu);
}

void delay_n(int n)
{
	void (*delay)(void) = pv_ops.cpu.io_delay;
	while (n-- > 0)
		delay();
}
