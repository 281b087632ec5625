/*
 * paravirt.h - PvGen example modelled on the Linux 2.6.22 i386 ops table.
 *
 * Written for PvGen from the project's fact sheet (member names, order,
 * types and config blocks); it is not the kernel header. One flat
 * struct paravirt_ops: four data members, then the function pointers.
 * Because a patch site's type is offsetof(member) / sizeof(void *), the
 * data members occupy slots 0-3 and irq_disable lands in slot 30.
 *
 * Config knobs: CONFIG_X86_LOCAL_APIC, CONFIG_HIGHPTE, CONFIG_X86_PAE.
 */
#ifndef PVGEN_EXAMPLE_LINUX_2_6_22_PARAVIRT_H
#define PVGEN_EXAMPLE_LINUX_2_6_22_PARAVIRT_H

/*
 * The era's kernels marked most ops regparm(3). i386 kernels were built
 * with -mregparm=3 anyway, so the marker never changed the ABI there.
 * Other targets ignore it (gcc would warn about the attribute).
 */
#ifndef fastcall
# if defined(__i386__)
#  define fastcall __attribute__((regparm(3)))
# else
#  define fastcall
# endif
#endif

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

/* What set_lazy_mode is asked to do. */
enum paravirt_lazy_mode {
	PARAVIRT_LAZY_NONE = 0,
	PARAVIRT_LAZY_MMU = 1,
	PARAVIRT_LAZY_CPU = 2,
	PARAVIRT_LAZY_FLUSH = 3,
};

struct paravirt_ops {
	/* Plain data; each still takes a slot in the numbering. */
	unsigned int kernel_rpl;
	int shared_kernel_pmd;
	int paravirt_enabled;
	const char *name;

	/** Rewrite one recorded call site; returns the bytes emitted. */
	unsigned (*patch)(u8 type, u16 clobber, void *firstinsn, unsigned len);

	/* Boot-time setup. */
	void (*arch_setup)(void);
	char *(*memory_setup)(void);
	void (*post_allocator_init)(void);
	void (*init_IRQ)(void);
	void (*time_init)(void);
	void (*pagetable_setup_start)(pgd_t *pgd_base);
	void (*pagetable_setup_done)(pgd_t *pgd_base);
	void (*banner)(void);

	/* Wall clock. */
	unsigned long (fastcall *get_wallclock)(void);
	int (fastcall *set_wallclock)(unsigned long);

	void (fastcall *cpuid)(unsigned int *eax, unsigned int *ebx,
			       unsigned int *ecx, unsigned int *edx);

	/* Debug and control registers. */
	unsigned long (fastcall *get_debugreg)(int regno);
	void (fastcall *set_debugreg)(int regno, unsigned long value);
	void (fastcall *clts)(void);
	unsigned long (fastcall *read_cr0)(void);
	void (fastcall *write_cr0)(unsigned long);
	unsigned long (fastcall *read_cr2)(void);
	void (fastcall *write_cr2)(unsigned long);
	unsigned long (fastcall *read_cr3)(void);
	void (fastcall *write_cr3)(unsigned long);
	unsigned long (fastcall *read_cr4_safe)(void);
	unsigned long (fastcall *read_cr4)(void);
	void (fastcall *write_cr4)(unsigned long);

	/** Interrupt flag: only the IF bit of the saved word is meaningful. */
	unsigned long (fastcall *save_fl)(void);
	void (fastcall *restore_fl)(unsigned long);
	void (fastcall *irq_disable)(void);
	void (fastcall *irq_enable)(void);
	void (fastcall *safe_halt)(void);
	void (fastcall *halt)(void);

	void (fastcall *wbinvd)(void);

	/* MSRs and counters; 64-bit results come back in edx:eax. */
	u64 (fastcall *read_msr)(unsigned int msr, int *err);
	int (fastcall *write_msr)(unsigned int msr, u64 val);
	u64 (fastcall *read_tsc)(void);
	u64 (fastcall *read_pmc)(void);
	unsigned long long (*sched_clock)(void);
	unsigned long (*get_cpu_khz)(void);

	/* Descriptor tables and task state. */
	void (fastcall *load_tr_desc)(void);
	void (fastcall *load_gdt)(const struct Xgt_desc_struct *);
	void (fastcall *load_idt)(const struct Xgt_desc_struct *);
	void (fastcall *store_gdt)(struct Xgt_desc_struct *);
	void (fastcall *store_idt)(struct Xgt_desc_struct *);
	void (fastcall *set_ldt)(const void *desc, unsigned entries);
	unsigned long (fastcall *store_tr)(void);
	void (fastcall *load_tls)(struct thread_struct *t, unsigned int cpu);
	void (fastcall *write_ldt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (fastcall *write_gdt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (fastcall *write_idt_entry)(struct desc_struct *, int entrynum, u32 low, u32 high);
	void (fastcall *load_esp0)(struct tss_struct *tss, struct thread_struct *t);
	void (fastcall *set_iopl_mask)(unsigned mask);
	void (fastcall *io_delay)(void);

	/* Address-space lifetime hooks. */
	void (*activate_mm)(struct mm_struct *prev, struct mm_struct *next);
	void (*dup_mmap)(struct mm_struct *oldmm, struct mm_struct *mm);
	void (*exit_mmap)(struct mm_struct *mm);

#ifdef CONFIG_X86_LOCAL_APIC
	/* Local APIC access and SMP bring-up. */
	void (fastcall *apic_write)(unsigned long reg, unsigned long v);
	void (fastcall *apic_write_atomic)(unsigned long reg, unsigned long v);
	unsigned long (fastcall *apic_read)(unsigned long reg);
	void (*setup_boot_clock)(void);
	void (*setup_secondary_clock)(void);
	void (*startup_ipi_hook)(int phys_apicid, unsigned long start_eip,
				 unsigned long start_esp);
#endif

	/* TLB flushes. */
	void (fastcall *flush_tlb_user)(void);
	void (fastcall *flush_tlb_kernel)(void);
	void (fastcall *flush_tlb_single)(unsigned long addr);
	void (fastcall *flush_tlb_others)(const cpumask_t *cpus, struct mm_struct *mm,
					  unsigned long va);

	/* Page-table page allocation, by page frame number. */
	void (fastcall *alloc_pt)(struct mm_struct *mm, u32 pfn);
	void (fastcall *alloc_pd)(u32 pfn);
	void (fastcall *alloc_pd_clone)(u32 pfn, u32 clonepfn, u32 start, u32 count);
	void (fastcall *release_pt)(u32 pfn);
	void (fastcall *release_pd)(u32 pfn);

	/* Page-table entry updates. */
	void (fastcall *set_pte)(pte_t *ptep, pte_t pteval);
	void (fastcall *set_pte_at)(struct mm_struct *mm, unsigned long addr,
				    pte_t *ptep, pte_t pteval);
	void (fastcall *set_pmd)(pmd_t *pmdp, pmd_t pmdval);
	void (fastcall *pte_update)(struct mm_struct *mm, unsigned long addr, pte_t *ptep);
	void (fastcall *pte_update_defer)(struct mm_struct *mm, unsigned long addr,
					  pte_t *ptep);

#ifdef CONFIG_HIGHPTE
	void *(fastcall *kmap_atomic_pte)(struct page *page, enum km_type type);
#endif

#ifdef CONFIG_X86_PAE
	/* Three-level tables: extra setters and 64-bit conversions. */
	void (fastcall *set_pte_atomic)(pte_t *ptep, pte_t pteval);
	void (fastcall *set_pte_present)(struct mm_struct *mm, unsigned long addr,
					 pte_t *ptep, pte_t pte);
	void (fastcall *set_pud)(pud_t *pudp, pud_t pudval);
	void (fastcall *pte_clear)(struct mm_struct *mm, unsigned long addr, pte_t *ptep);
	void (fastcall *pmd_clear)(pmd_t *pmdp);

	unsigned long long (fastcall *pte_val)(pte_t);
	unsigned long long (fastcall *pmd_val)(pmd_t);
	unsigned long long (fastcall *pgd_val)(pgd_t);

	pte_t (fastcall *make_pte)(unsigned long long pte);
	pmd_t (fastcall *make_pmd)(unsigned long long pmd);
	pgd_t (fastcall *make_pgd)(unsigned long long pgd);
#else
	/* Two-level tables: 32-bit conversions only. */
	unsigned long (fastcall *pte_val)(pte_t);
	unsigned long (fastcall *pgd_val)(pgd_t);

	pte_t (fastcall *make_pte)(unsigned long pte);
	pgd_t (fastcall *make_pgd)(unsigned long pgd);
#endif

	/** Enter, leave or flush a batching (lazy) mode. */
	void (fastcall *set_lazy_mode)(enum paravirt_lazy_mode mode);

	/* Reached by jmp from the entry code, never called. */
	void (*irq_enable_sysexit)(void);
	void (*iret)(void);
};

extern struct paravirt_ops paravirt_ops;

#endif /* PVGEN_EXAMPLE_LINUX_2_6_22_PARAVIRT_H */
