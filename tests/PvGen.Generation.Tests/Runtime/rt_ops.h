/* An ops table whose signatures cover every binding shape of the macro style, for a run-time ABI test. */
#ifndef RT_OPS_H
#define RT_OPS_H

typedef struct { unsigned long v; } pte_t;

struct rt_ops {
	unsigned long (*add4)(unsigned long a, unsigned long b, unsigned long c, unsigned long d);
	pte_t (*make_pte)(unsigned long v);
	unsigned long (*pte_val)(pte_t p);
	_Bool (*is_odd)(long x);
	unsigned char (*low_byte)(unsigned int x);
	void (*store)(unsigned long *where, unsigned long what);
	unsigned long long (*mix5)(int a, int b, int c, int d, int e);
	int (*neg)(int x);
	void *(*next)(void *p);
	void (*nothing)(void);
};

extern struct rt_ops rt_ops;

#endif
