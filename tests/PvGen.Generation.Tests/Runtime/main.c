/* Calls every wrapper against ordinary C implementations and checks arguments and results arrive intact. */
#include <stdio.h>
#include "rt_ops_exercise_style.h"

static unsigned long add4(unsigned long a, unsigned long b, unsigned long c, unsigned long d) { return a * 1000 + b * 100 + c * 10 + d; }
static pte_t make_pte(unsigned long v) { pte_t p = { v ^ 0xff00ff00ff00ff00UL }; return p; }
static unsigned long pte_val(pte_t p) { return p.v + 1; }
static _Bool is_odd(long x) { return x & 1; }
static unsigned char low_byte(unsigned int x) { return (unsigned char)x; }
static void store(unsigned long *where, unsigned long what) { *where = what; }
static unsigned long long mix5(int a, int b, int c, int d, int e) { return (unsigned long long)(a + 2 * b + 3 * c + 4 * d + 5 * e); }
static int neg(int x) { return -x; }
static void *next(void *p) { return (char *)p + 1; }
static int nothing_calls;
static void nothing(void) { nothing_calls++; }

struct rt_ops rt_ops = { add4, make_pte, pte_val, is_odd, low_byte, store, mix5, neg, next, nothing };

static int failures;
#define CHECK(cond) do { if (!(cond)) { printf("FAIL %s\n", #cond); failures++; } } while (0)

int main(void)
{
	/* Values live in registers across the calls: a wrong clobber list corrupts them. */
	volatile unsigned long keep = 0x5555aaaa5555aaaaUL;
	unsigned long a = keep, b = keep + 1, c = keep + 2, d = keep + 3;
	unsigned long slot = 0;
	char byte;

	setvbuf(stdout, NULL, _IONBF, 0); /* a crash must not swallow the lines already printed */

	CHECK(pv_add4(1, 2, 3, 4) == 1234);
	CHECK(pv_make_pte(0x0123456789abcdefUL).v == (0x0123456789abcdefUL ^ 0xff00ff00ff00ff00UL));
	CHECK(pv_pte_val((pte_t){ 41 }) == 42);
	CHECK(pv_is_odd(3) == 1);
	CHECK(pv_is_odd(4) == 0);
	CHECK(pv_low_byte(0x1234) == 0x34);
	pv_store(&slot, 0xfeedUL);
	CHECK(slot == 0xfeed);
	CHECK(pv_mix5(1, 1, 1, 1, 1) == 15);
	CHECK(pv_neg(7) == -7);
	CHECK(pv_next(&byte) == &byte + 1);
	pv_nothing();
	CHECK(nothing_calls == 1);
	CHECK(a == keep && b == keep + 1 && c == keep + 2 && d == keep + 3);
	printf("%d failures\n", failures);
	return failures != 0;
}
