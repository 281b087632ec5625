/*
 * toy_ops.h - a deliberately small ops table for the PvGen quick start.
 *
 * Eight operations in two nested groups plus one top-level op. The shapes
 * mirror what real paravirt tables contain: zero-argument ops, a 64-bit
 * return, a struct passed by value, and a member declared through a
 * function-pointer typedef.
 */
#ifndef PVGEN_EXAMPLE_TOY_OPS_H
#define PVGEN_EXAMPLE_TOY_OPS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* One page-table entry, wrapped in a struct so it cannot be mixed up with a plain integer. */
typedef struct { unsigned long pte; } pte_t;

/* Signature shared by TLB flush hooks. */
typedef void (*toy_flush_fn)(unsigned long addr);

/* Interrupt-flag control. */
struct toy_irq_ops {
	/** Return the current interrupt flags word. */
	unsigned long (*save_fl)(void);
	/** Restore a flags word previously returned by save_fl. */
	void (*restore_fl)(unsigned long flags);
	/** Mask interrupts on this CPU. */
	void (*irq_disable)(void);
	void (*irq_enable)(void);
};

/* Page-table and TLB control. */
struct toy_mmu_ops {
	/** Switch to the page-table root at physical address val. */
	void (*write_cr3)(unsigned long val);
	void (*set_pte)(pte_t *ptep, pte_t pte);
	/** Drop the TLB entry that maps addr. */
	toy_flush_fn flush_tlb_one;
};

/* The whole table: two groups, then one op that belongs to neither. */
struct toy_ops {
	struct toy_irq_ops irq;
	struct toy_mmu_ops mmu;
	/** Read the CPU time-stamp counter. */
	u64 (*read_tsc)(void);
};

extern struct toy_ops toy_ops;

#endif /* PVGEN_EXAMPLE_TOY_OPS_H */
