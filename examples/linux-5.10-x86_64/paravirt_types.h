/*
 * paravirt_types.h - PvGen example modelled on the Linux 5.10 x86-64 pv_ops.
 *
 * Written for PvGen from the project's fact sheet; it is not the kernel
 * header. One global instance, pv_ops, of struct paravirt_patch_template,
 * which groups six op structs. Members of type struct paravirt_callee_save
 * are callee-save ops: the target preserves every register except the
 * return register, and callers go through .func. Their C signature is not
 * visible here, so pvgen.json supplies it.
 *
 * Config knobs: CONFIG_PARAVIRT_XXL (full pv: most cpu/mmu ops and all irq
 * ops), CONFIG_X86_IOPL_IOPERM, CONFIG_PGTABLE_LEVELS (>= 5 adds p4d ops).
 */
#ifndef PVGEN_EXAMPLE_LINUX_5_10_PARAVIRT_TYPES_H
#define PVGEN_EXAMPLE_LINUX_5_10_PARAVIRT_TYPES_H

/* Layout randomisation must never touch these structs; no-op here. */
#ifndef __no_randomize_layout
# define __no_randomize_layout
#endif

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#if !defined(__cplusplus) && !defined(bool) && \
    (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 202311L)
typedef _Bool bool;
#endif

typedef u64 phys_addr_t;

/* Page-table value and entry types, one per level. */
typedef unsigned long pteval_t;
typedef unsigned long pmdval_t;
typedef unsigned long pudval_t;
typedef unsigned long p4dval_t;
typedef unsigned long pgdval_t;
typedef unsigned long pgprotval_t;

typedef struct { pteval_t pte; } pte_t;
typedef struct { pmdval_t pmd; } pmd_t;
typedef struct { pudval_t pud; } pud_t;
typedef struct { p4dval_t p4d; } p4d_t;
typedef struct { pgdval_t pgd; } pgd_t;
typedef struct { pgprotval_t pgprot; } pgprot_t;

/* Only ever handled through pointers here. */
struct page;
struct thread_struct;
struct desc_ptr;
struct tss_struct;
struct mm_struct;
struct desc_struct;
struct task_struct;
struct cpumask;
struct flush_tlb_info;
struct mmu_gather;
struct vm_area_struct;
struct qspinlock;
struct gate_struct;
typedef struct gate_struct gate_desc;

/* Pointer to code that follows the callee-save convention. */
struct paravirt_callee_save {
	void *func;
};

/* Hypervisor facts; not part of the template. */
struct pv_info {
#ifdef CONFIG_PARAVIRT_XXL
	u16 extra_user_64bit_cs;
#endif
	const char *name;
};

struct pv_init_ops {
	/** Rewrite the site copy in insn_buff (originally at addr); returns bytes used. */
	unsigned (*patch)(u8 type, void *insn_buff, unsigned long addr, unsigned len);
} __no_randomize_layout;

#ifdef CONFIG_PARAVIRT_XXL
/* Batching of updates: begin, end, and push out what is queued. */
struct pv_lazy_ops {
	void (*enter)(void);
	void (*leave)(void);
	void (*flush)(void);
} __no_randomize_layout;
#endif

struct pv_time_ops {
	unsigned long long (*sched_clock)(void);
	/** Nanoseconds the given CPU spent waiting for the hypervisor. */
	unsigned long long (*steal_clock)(int cpu);
} __no_randomize_layout;

struct pv_cpu_ops {
	void (*io_delay)(void);

#ifdef CONFIG_PARAVIRT_XXL
	/* Debug and control registers. */
	unsigned long (*get_debugreg)(int regno);
	void (*set_debugreg)(int regno, unsigned long value);
	unsigned long (*read_cr0)(void);
	void (*write_cr0)(unsigned long);
	void (*write_cr4)(unsigned long);

	/* Descriptor tables and task state. */
	void (*load_tr_desc)(void);
	void (*load_gdt)(const struct desc_ptr *);
	void (*load_idt)(const struct desc_ptr *);
	void (*set_ldt)(const void *desc, unsigned entries);
	unsigned long (*store_tr)(void);
	void (*load_tls)(struct thread_struct *t, unsigned int cpu);
	void (*load_gs_index)(unsigned int idx);
	void (*write_ldt_entry)(struct desc_struct *ldt, int entrynum, const void *desc);
	void (*write_gdt_entry)(struct desc_struct *, int entrynum, const void *desc, int size);
	void (*write_idt_entry)(gate_desc *, int entrynum, const gate_desc *gate);
	void (*alloc_ldt)(struct desc_struct *ldt, unsigned entries);
	void (*free_ldt)(struct desc_struct *ldt, unsigned entries);
	void (*load_sp0)(unsigned long sp0);

#ifdef CONFIG_X86_IOPL_IOPERM
	void (*invalidate_io_bitmap)(void);
	void (*update_io_bitmap)(void);
#endif

	void (*wbinvd)(void);

	void (*cpuid)(unsigned int *eax, unsigned int *ebx,
		      unsigned int *ecx, unsigned int *edx);

	/* MSRs: the plain pair may trap on failure, the _safe pair reports it. */
	u64 (*read_msr)(unsigned int msr);
	void (*write_msr)(unsigned int msr, unsigned low, unsigned high);
	u64 (*read_msr_safe)(unsigned int msr, int *err);
	int (*write_msr_safe)(unsigned int msr, unsigned low, unsigned high);

	u64 (*read_pmc)(int counter);

	/* Return-to-user paths: reached by jmp, never called. */
	void (*usergs_sysret64)(void);
	void (*iret)(void);

	void (*swapgs)(void);

	void (*start_context_switch)(struct task_struct *prev);
	void (*end_context_switch)(struct task_struct *next);
#endif
} __no_randomize_layout;

/* Empty (a GNU C extension) without CONFIG_PARAVIRT_XXL. */
struct pv_irq_ops {
#ifdef CONFIG_PARAVIRT_XXL
	/** Callee-save: unsigned long (void); only the IF bit matters. */
	struct paravirt_callee_save save_fl;
	/** Callee-save: void (unsigned long flags). */
	struct paravirt_callee_save restore_fl;
	struct paravirt_callee_save irq_disable;
	struct paravirt_callee_save irq_enable;

	void (*safe_halt)(void);
	void (*halt)(void);
#endif
} __no_randomize_layout;

struct pv_mmu_ops {
	/* TLB flushes. */
	void (*flush_tlb_user)(void);
	void (*flush_tlb_kernel)(void);
	void (*flush_tlb_one_user)(unsigned long addr);
	void (*flush_tlb_others)(const struct cpumask *cpus,
				 const struct flush_tlb_info *info);

	void (*tlb_remove_table)(struct mmu_gather *tlb, void *table);

	void (*exit_mmap)(struct mm_struct *mm);

#ifdef CONFIG_PARAVIRT_XXL
	/** Callee-save: unsigned long (void). */
	struct paravirt_callee_save read_cr2;
	void (*write_cr2)(unsigned long);
	unsigned long (*read_cr3)(void);
	void (*write_cr3)(unsigned long);

	/* Address-space lifetime hooks. */
	void (*activate_mm)(struct mm_struct *prev, struct mm_struct *next);
	void (*dup_mmap)(struct mm_struct *oldmm, struct mm_struct *mm);

	/* Top-level table allocation. */
	int (*pgd_alloc)(struct mm_struct *mm);
	void (*pgd_free)(struct mm_struct *mm, pgd_t *pgd);

	/* Page-table pages joining or leaving a page table. */
	void (*alloc_pte)(struct mm_struct *mm, unsigned long pfn);
	void (*alloc_pmd)(struct mm_struct *mm, unsigned long pfn);
	void (*alloc_pud)(struct mm_struct *mm, unsigned long pfn);
	void (*alloc_p4d)(struct mm_struct *mm, unsigned long pfn);
	void (*release_pte)(unsigned long pfn);
	void (*release_pmd)(unsigned long pfn);
	void (*release_pud)(unsigned long pfn);
	void (*release_p4d)(unsigned long pfn);

	/* Entry updates. */
	void (*set_pte)(pte_t *ptep, pte_t pteval);
	void (*set_pmd)(pmd_t *pmdp, pmd_t pmdval);

	pte_t (*ptep_modify_prot_start)(struct vm_area_struct *vma, unsigned long addr,
					pte_t *ptep);
	void (*ptep_modify_prot_commit)(struct vm_area_struct *vma, unsigned long addr,
					pte_t *ptep, pte_t pte);

	/* Entry <-> value conversions; all callee-save. */
	struct paravirt_callee_save pte_val;
	struct paravirt_callee_save make_pte;

	struct paravirt_callee_save pgd_val;
	struct paravirt_callee_save make_pgd;

	void (*set_pud)(pud_t *pudp, pud_t pudval);

	struct paravirt_callee_save pmd_val;
	struct paravirt_callee_save make_pmd;

	struct paravirt_callee_save pud_val;
	struct paravirt_callee_save make_pud;

	void (*set_p4d)(p4d_t *p4dp, p4d_t p4dval);

#if defined(CONFIG_PGTABLE_LEVELS) && CONFIG_PGTABLE_LEVELS >= 5
	struct paravirt_callee_save p4d_val;
	struct paravirt_callee_save make_p4d;

	void (*set_pgd)(pgd_t *pgdp, pgd_t pgdval);
#endif

	struct pv_lazy_ops lazy_mode;

	/** Map a fixmap slot; phys may be a pfn or an mfn depending on idx. */
	void (*set_fixmap)(unsigned idx, phys_addr_t phys, pgprot_t flags);
#endif
} __no_randomize_layout;

struct pv_lock_ops {
	void (*queued_spin_lock_slowpath)(struct qspinlock *lock, u32 val);
	/** Callee-save: void (struct qspinlock *lock). */
	struct paravirt_callee_save queued_spin_unlock;

	void (*wait)(u8 *ptr, u8 val);
	void (*kick)(int cpu);

	/** Callee-save: bool (long cpu). */
	struct paravirt_callee_save vcpu_is_preempted;
} __no_randomize_layout;

/* The table behind pv_ops; site type = offsetof(this, group.op) / 8. */
struct paravirt_patch_template {
	struct pv_init_ops init;
	struct pv_time_ops time;
	struct pv_cpu_ops cpu;
	struct pv_irq_ops irq;
	struct pv_mmu_ops mmu;
	struct pv_lock_ops lock;
} __no_randomize_layout;

extern struct pv_info pv_info;
extern struct paravirt_patch_template pv_ops;

#endif /* PVGEN_EXAMPLE_LINUX_5_10_PARAVIRT_TYPES_H */
