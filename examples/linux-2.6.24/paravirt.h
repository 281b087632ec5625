/*
 * paravirt.h - PvGen example modelled on the Linux 2.6.24 (i386) ops tables.
 *
 * Written for PvGen from the project's fact sheet; it is not the kernel
 * header. The single table of 2.6.22 is split into one struct per area,
 * each with its own global instance. struct paravirt_patch_template
 * exists only to number the ops (slot = offset / sizeof(void *)); no
 * variable of that type is ever defined. pv_info holds the data members
 * and is not part of the template.
 *
 * Config knobs: CONFIG_X86_LOCAL_APIC, CONFIG_X86_PAE, CONFIG_HIGHPTE.
 */
#ifndef PVGEN_EXAMPLE_LINUX_2_6_24_PARAVIRT_H
#define PVGEN_EXAMPLE_LINUX_2_6_24_PARAVIRT_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* Page-table entry types. PAE makes entries 64 bits wide. */
#ifdef CONFIG_X86_PAE
typedef struct { unsigned long pte_low, pte_high; } pte_t;
typedef struct { unsigned long long pmd; } pmd_t;
typedef struct { unsigned long long pgd; } pgd_t;
typedef struct { pgd_t pgd; } pud_t;
#else
typedef struct { unsigned long pte_low; } pte_t;
typedef struct { unsigned long pgd; } pgd_t;
typedef struct { pgd_t pgd; } pud_t;
typedef struct { pud_t pud; } pmd_t;
#endif

/* Only ever handled through pointers here. */
struct page;
struct mm_struct;
struct thread_struct;
struct tss_struct;
struct desc_struct;
struct Xgt_desc_struct;

/* A small fixed-size CPU set; the ops take it by pointer. */
typedef struct { unsigned long bits[1]; } cpumask_t;

/* Slots for temporary atomic kernel mappings (used by kmap_atomic_pte). */
enum km_type {
	KM_BOUNCE_READ,
	KM_PTE0,
	KM_PTE1,
	KM_TYPE_NR
};

/* Facts about the running hypervisor; data only, outside the template. */
struct pv_info {
	unsigned int kernel_rpl;
	int shared_kernel_pmd;
	int paravirt_enabled;
	const char *name;
};

/* Boot-time hooks, and the patcher itself. */
struct pv_init_ops {
	/** Rewrite the site copy in insnbuf (originally at addr); returns bytes used. */
	unsigned (*patch)(u8 type, u16 clobber, void *insnbuf,
			  unsigned long addr, unsigned len);
	void (*arch_setup)(void);
	char *(*memory_setup)(void);
	void (*post_allocator_init)(void);
	void (*banner)(void);
};

/* Start and stop batching of updates; embedded in cpu and mmu ops. */
struct pv_lazy_ops {
	void (*enter)(void);
	void (*leave)(void);
};

struct pv_time_ops {
	void (*time_init)(void);
	unsigned long (*get_wallclock)(void);
	int (*set_wallclock)(unsigned long);
	unsigned long long (*sched_clock)(void);
	unsigned long (*get_cpu_khz)(void);
};

struct pv_cpu_ops {
	/* Debug and control registers. */
	unsigned long (*get_debugreg)(int regno);
	void (*set_debugreg)(int regno, unsigned long value);
	void (*clts)(void);
	unsigned long (*read_cr0)(void);
	void (*write_cr0)(unsigned long);
	unsigned long (*read_cr4_safe)(void);
	unsigned long (*read_cr4)(void);
	void (*write_cr4)(unsigned long);

	/* Descriptor tables and task state. */
	void (*load_tr_desc)(void);
	void (*load_gdt)(const struct Xgt_desc_struct *);
	void (*load_idt)(const struct Xgt_desc_struct *);
	void (*store_gdt)(struct Xgt_desc_struct *);
	void (*store_idt)(struct Xgt_desc_struct *);
	void (*set_ldt)(const void *desc, unsigned entries);
	unsigned long (*store_tr)(void);
	void (*load_tls)(struct thread_struct *t, unsigned int cpu);
	void (*write_ldt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (*write_gdt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (*write_idt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (*load_esp0)(struct tss_struct *tss, struct thread_struct *t);

	void (*set_iopl_mask)(unsigned mask);
	void (*wbinvd)(void);
	void (*io_delay)(void);

	void (*cpuid)(unsigned int *eax, unsigned int *ebx,
		      unsigned int *ecx, unsigned int *edx);

	/** MSR read; *err gets 0 or a negative error code. */
	u64 (*read_msr)(unsigned int msr, int *err);
	int (*write_msr)(unsigned int msr, u64 val);
	u64 (*read_tsc)(void);
	u64 (*read_pmc)(void);

	/* Reached by jmp from the entry code, never called. */
	void (*irq_enable_sysexit)(void);
	void (*iret)(void);

	struct pv_lazy_ops lazy_mode;
};

struct pv_irq_ops {
	void (*init_IRQ)(void);
	/** Only the IF bit of the returned word is meaningful. */
	unsigned long (*save_fl)(void);
	void (*restore_fl)(unsigned long);
	void (*irq_disable)(void);
	void (*irq_enable)(void);
	void (*safe_halt)(void);
	void (*halt)(void);
};

/* Empty (a GNU C extension) when the local APIC is configured out. */
struct pv_apic_ops {
#ifdef CONFIG_X86_LOCAL_APIC
	void (*apic_write)(unsigned long reg, unsigned long v);
	void (*apic_write_atomic)(unsigned long reg, unsigned long v);
	unsigned long (*apic_read)(unsigned long reg);
	void (*setup_boot_clock)(void);
	void (*setup_secondary_clock)(void);
	void (*startup_ipi_hook)(int phys_apicid, unsigned long start_eip,
				 unsigned long start_esp);
#endif
};

struct pv_mmu_ops {
	/* Around the initial kernel page-table build. */
	void (*pagetable_setup_start)(pgd_t *pgd_base);
	void (*pagetable_setup_done)(pgd_t *pgd_base);

	unsigned long (*read_cr2)(void);
	void (*write_cr2)(unsigned long);
	unsigned long (*read_cr3)(void);
	void (*write_cr3)(unsigned long);

	/* Address-space lifetime hooks. */
	void (*activate_mm)(struct mm_struct *prev, struct mm_struct *next);
	void (*dup_mmap)(struct mm_struct *oldmm, struct mm_struct *mm);
	void (*exit_mmap)(struct mm_struct *mm);

	/* TLB flushes. */
	void (*flush_tlb_user)(void);
	void (*flush_tlb_kernel)(void);
	void (*flush_tlb_single)(unsigned long addr);
	void (*flush_tlb_others)(const cpumask_t *cpus, struct mm_struct *mm,
				 unsigned long va);

	/* Page-table page allocation, by page frame number. */
	void (*alloc_pt)(struct mm_struct *mm, u32 pfn);
	void (*alloc_pd)(u32 pfn);
	void (*alloc_pd_clone)(u32 pfn, u32 clonepfn, u32 start, u32 count);
	void (*release_pt)(u32 pfn);
	void (*release_pd)(u32 pfn);

	/* Page-table entry updates. */
	void (*set_pte)(pte_t *ptep, pte_t pteval);
	void (*set_pte_at)(struct mm_struct *mm, unsigned long addr,
			   pte_t *ptep, pte_t pteval);
	void (*set_pmd)(pmd_t *pmdp, pmd_t pmdval);
	void (*pte_update)(struct mm_struct *mm, unsigned long addr, pte_t *ptep);
	void (*pte_update_defer)(struct mm_struct *mm, unsigned long addr, pte_t *ptep);

#ifdef CONFIG_X86_PAE
	/* Three-level tables: extra setters and 64-bit conversions. */
	void (*set_pte_atomic)(pte_t *ptep, pte_t pteval);
	void (*set_pte_present)(struct mm_struct *mm, unsigned long addr,
				pte_t *ptep, pte_t pte);
	void (*set_pud)(pud_t *pudp, pud_t pudval);
	void (*pte_clear)(struct mm_struct *mm, unsigned long addr, pte_t *ptep);
	void (*pmd_clear)(pmd_t *pmdp);

	unsigned long long (*pte_val)(pte_t);
	unsigned long long (*pmd_val)(pmd_t);
	unsigned long long (*pgd_val)(pgd_t);

	pte_t (*make_pte)(unsigned long long pte);
	pmd_t (*make_pmd)(unsigned long long pmd);
	pgd_t (*make_pgd)(unsigned long long pgd);
#else
	/* Two-level tables: 32-bit conversions only. */
	unsigned long (*pte_val)(pte_t);
	unsigned long (*pgd_val)(pgd_t);

	pte_t (*make_pte)(unsigned long pte);
	pgd_t (*make_pgd)(unsigned long pgd);
#endif

#ifdef CONFIG_HIGHPTE
	void *(*kmap_atomic_pte)(struct page *page, enum km_type type);
#endif

	struct pv_lazy_ops lazy_mode;
};

/* Numbering only: site type = offsetof(this, group.op) / sizeof(void *). */
struct paravirt_patch_template {
	struct pv_init_ops pv_init_ops;
	struct pv_time_ops pv_time_ops;
	struct pv_cpu_ops pv_cpu_ops;
	struct pv_irq_ops pv_irq_ops;
	struct pv_apic_ops pv_apic_ops;
	struct pv_mmu_ops pv_mmu_ops;
};

extern struct pv_info pv_info;
extern struct pv_init_ops pv_init_ops;
extern struct pv_time_ops pv_time_ops;
extern struct pv_cpu_ops pv_cpu_ops;
extern struct pv_irq_ops pv_irq_ops;
extern struct pv_apic_ops pv_apic_ops;
extern struct pv_mmu_ops pv_mmu_ops;

#endif /* PVGEN_EXAMPLE_LINUX_2_6_24_PARAVIRT_H */
