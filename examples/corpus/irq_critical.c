/* Interrupt-flag critical sections, the most frequent paravirt sites in a kernel. */

struct counter { unsigned long value; unsigned long events; };

static inline unsigned long irq_save(void)
{
	unsigned long flags = pv_irq_save_fl();
	pv_irq_irq_disable();
	return flags;
}

static inline void irq_restore(unsigned long flags)
{
	pv_irq_restore_fl(flags);
}

void counter_add(struct counter *c, unsigned long n)
{
	unsigned long flags = irq_save();
	c->value += n;
	c->events++;
	irq_restore(flags);
}

unsigned long counter_read(const struct counter *c)
{
	unsigned long flags = irq_save();
	unsigned long value = c->value;
	irq_restore(flags);
	return value;
}

void counter_reset_all(struct counter *counters, int n)
{
	unsigned long flags = irq_save();
	for (int i = 0; i < n; i++) {
		counters[i].value = 0;
		counters[i].events = 0;
	}
	irq_restore(flags);
}

int idle_until(volatile int *flag)
{
	int spins = 0;
	while (!*flag) {
		pv_irq_irq_disable();
		if (*flag) {
			pv_irq_irq_enable();
			break;
		}
		pv_irq_safe_halt();
		spins++;
	}
	return spins;
}
