/*
 * abi_ops.h - an ops table for the end-to-end ABI test: struct returns of every SysV class
 * (one register, two registers, hidden pointer), struct arguments, narrow integers, _Bool,
 * enough arguments that some travel on the stack, and callee-save slots with and without a signature.
 */
#ifndef PVGEN_TEST_ABI_OPS_H
#define PVGEN_TEST_ABI_OPS_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

typedef struct { unsigned long pte; } pte_t;   /* 8 bytes: returned in rax */
typedef struct { u64 lo, hi; } pair_t;         /* 16 bytes: returned in rax:rdx */
typedef struct { u64 a, b, c; } triple_t;      /* 24 bytes: returned through a hidden pointer */

struct mm_struct;

/* Linux's wrapper for ops called through register-preserving thunks. */
struct paravirt_callee_save {
	void *func;
};

struct abi_math_ops {
	pair_t (*make_pair)(u64 lo, u64 hi);
	triple_t (*make_triple)(u64 a, u64 b, u64 c);
	pair_t (*swap)(pair_t p);
};

struct abi_ops {
	pte_t (*make_pte)(unsigned long val);
	unsigned long (*pte_val)(pte_t pte);
	struct abi_math_ops math;
	u64 (*mix)(u8 a, u16 b, u32 c, u64 d, int e, long f, _Bool g, struct mm_struct *mm, signed char h);
	struct paravirt_callee_save save_fl;	/* signature configured: unsigned long (void) */
	struct paravirt_callee_save unknown;	/* signature not configured: void* only */
};

extern struct abi_ops abi_ops;

#endif
