/* Module-like code. Built with --pic yes, the table's address comes from the GOT and the
   sites become `call *off(%reg)` with no relocation on the call itself. */

struct qspinlock;

void module_unlock(struct qspinlock *lock)
{
	pv_lock_queued_spin_unlock(lock);
}

void module_kick_all(int ncpus)
{
	for (int cpu = 0; cpu < ncpus; cpu++)
		pv_lock_kick(cpu);
}

int module_io_delays(int n)
{
	for (int i = 0; i < n; i++)
		pv_cpu_io_delay();
	return n;
}

unsigned long module_steal(int cpu)
{
	return (unsigned long)pv_time_steal_clock(cpu);
}
