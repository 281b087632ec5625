/* A miniature kernel header for pvgen's tests (written for them, not taken from Linux): an ops table and a
 * PVOP machinery with the kernel's shape - families that bind registers by hand and record each site in
 * .parainstructions, callee-save ops called through .func, and PVOP_ALT_* families with a native alternative. */
#ifndef _FAKE_PARAVIRT_TYPES_H
#define _FAKE_PARAVIRT_TYPES_H

#include <asm/fake_helpers.h>

typedef unsigned long pteval_t;
typedef struct { pteval_t pte; } pte_t;

struct paravirt_callee_save {
	void *func;
};

struct pv_cpu_ops {
	void (*io_delay)(void);
	unsigned long (*read_cr0)(void);
	void (*write_cr0)(unsigned long value);
};

struct pv_irq_ops {
	struct paravirt_callee_save save_fl;
	struct paravirt_callee_save irq_disable;
};

struct pv_mmu_ops {
	void (*set_pte)(pte_t *ptep, pte_t pte);
	struct paravirt_callee_save pte_val;
};

struct paravirt_patch_template {
	struct pv_cpu_ops cpu;
	struct pv_irq_ops irq;
	struct pv_mmu_ops mmu;
};

extern struct paravirt_patch_template pv_ops;

#define FAKE_SLOT(op) (__builtin_offsetof(struct paravirt_patch_template, op) / sizeof(void *))

#define FAKE_SITE(insn) \
	"771:\n\t" insn "\n" "772:\n" \
	".pushsection .parainstructions,\"a\"\n" \
	_ASM_ALIGN "\n" \
	_ASM_PTR " 771b\n" \
	"  .byte %c[paravirt_typenum]\n" \
	"  .byte 772b-771b\n" \
	"  .short %c[paravirt_clobber]\n" \
	_ASM_ALIGN "\n" \
	".popsection\n"

#define FAKE_CALL ANNOTATE_RETPOLINE_SAFE "call *%[paravirt_opptr];"

#define FAKE_OPERANDS(op, clobber) \
	[paravirt_typenum] "i" (FAKE_SLOT(op)), [paravirt_opptr] "m" (pv_ops.op), [paravirt_clobber] "i" (clobber)

#define FAKE_REGS unsigned long __edi = __edi, __esi = __esi, __edx = __edx, __ecx = __ecx, __eax = __eax

#define FAKE_RESULT(rettype) ({ BUILD_BUG_ON(sizeof(rettype) > sizeof(unsigned long)); \
	__eax & (sizeof(rettype) >= sizeof(unsigned long) ? ~0UL : (1UL << (8 * sizeof(rettype))) - 1); })

#define PVOP_CALL0(rettype, op) \
	({ FAKE_REGS; ((void)pv_ops.op); \
	   asm volatile(FAKE_SITE(FAKE_CALL) \
			: "=D" (__edi), "=S" (__esi), "=d" (__edx), "=c" (__ecx), "=a" (__eax), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op, 0x1ff) \
			: "memory", "cc", "r8", "r9", "r10", "r11"); \
	   FAKE_RESULT(rettype); })

#define PVOP_VCALL0(op) \
	(void)({ FAKE_REGS; ((void)pv_ops.op); \
	   asm volatile(FAKE_SITE(FAKE_CALL) \
			: "=D" (__edi), "=S" (__esi), "=d" (__edx), "=c" (__ecx), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op, 0x1ff) \
			: "memory", "cc", "rax", "r8", "r9", "r10", "r11"); })

#define PVOP_VCALL1(op, arg1) \
	(void)({ FAKE_REGS; ((void)pv_ops.op); \
	   asm volatile(FAKE_SITE(FAKE_CALL) \
			: "=D" (__edi), "=S" (__esi), "=d" (__edx), "=c" (__ecx), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op, 0x1ff), "D" ((unsigned long)(arg1)) \
			: "memory", "cc", "rax", "r8", "r9", "r10", "r11"); })

#define PVOP_VCALL2(op, arg1, arg2) \
	(void)({ FAKE_REGS; ((void)pv_ops.op); \
	   asm volatile(FAKE_SITE(FAKE_CALL) \
			: "=D" (__edi), "=S" (__esi), "=d" (__edx), "=c" (__ecx), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op, 0x1ff), "D" ((unsigned long)(arg1)), "S" ((unsigned long)(arg2)) \
			: "memory", "cc", "rax", "r8", "r9", "r10", "r11"); })

#define PVOP_ALT_CALLEE0(rettype, op, alt, cond) \
	({ FAKE_REGS; ((void)pv_ops.op.func); \
	   asm volatile(ALTERNATIVE(FAKE_SITE(FAKE_CALL), alt, cond) \
			: "=a" (__eax), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op.func, 0x1) \
			: "memory", "cc"); \
	   FAKE_RESULT(rettype); })

#define PVOP_ALT_CALLEE1(rettype, op, arg1, alt, cond) \
	({ FAKE_REGS; ((void)pv_ops.op.func); \
	   asm volatile(ALTERNATIVE(FAKE_SITE(FAKE_CALL), alt, cond) \
			: "=a" (__eax), ASM_CALL_CONSTRAINT \
			: FAKE_OPERANDS(op.func, 0x1), "D" ((unsigned long)(arg1)) \
			: "memory", "cc"); \
	   FAKE_RESULT(rettype); })

#endif
