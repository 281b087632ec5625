/* A backend for abi_ops.h: records every argument, returns values built from them. */
#include "abi_ops.h"

unsigned long abi_seen_pte;
u64 abi_seen_u64[3];
pair_t abi_seen_pair;
u8 abi_seen_a;
u16 abi_seen_b;
u32 abi_seen_c;
u64 abi_seen_d;
int abi_seen_e;
long abi_seen_f;
_Bool abi_seen_g;
struct mm_struct *abi_seen_mm;
signed char abi_seen_h;

static pte_t abi_make_pte(unsigned long val) { pte_t p = { val }; return p; }
static unsigned long abi_pte_val(pte_t pte) { abi_seen_pte = pte.pte; return pte.pte; }
static pair_t abi_make_pair(u64 lo, u64 hi) { pair_t p = { lo, hi }; return p; }
static triple_t abi_make_triple(u64 a, u64 b, u64 c) { triple_t t = { a, b, c }; abi_seen_u64[0] = a; abi_seen_u64[1] = b; abi_seen_u64[2] = c; return t; }
static pair_t abi_swap(pair_t p) { pair_t s = { p.hi, p.lo }; abi_seen_pair = p; return s; }

static u64 abi_mix(u8 a, u16 b, u32 c, u64 d, int e, long f, _Bool g, struct mm_struct *mm, signed char h)
{
	abi_seen_a = a; abi_seen_b = b; abi_seen_c = c; abi_seen_d = d; abi_seen_e = e;
	abi_seen_f = f; abi_seen_g = g; abi_seen_mm = mm; abi_seen_h = h;
	return d ^ (u64)f;
}

static unsigned long abi_save_fl(void) { return 0x246; }

struct abi_ops abi_ops = {
	.make_pte = abi_make_pte,
	.pte_val = abi_pte_val,
	.math = { .make_pair = abi_make_pair, .make_triple = abi_make_triple, .swap = abi_swap },
	.mix = abi_mix,
	.save_fl = { (void *)abi_save_fl },
	.unknown = { (void *)abi_save_fl },
};
