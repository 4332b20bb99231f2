// SPDX-License-Identifier: GPL-2.0-only
/*
 * smtcheck-inject: stresses one shared core resource as hard as it can, and nothing else, so that
 * what a workload suffers beside it tells how much the workload depends on that resource.
 *
 * Work is counted in units, a fixed amount of work per injector. Without hardware counters the
 * injector's own slowdown is its rate: units per second of its worker thread's CPU time, which a
 * consumer reads through "mark" on standard input. The intensity is the share of its cache that
 * a cache injector keeps hot, and the share of time the others work (a duty cycle).
 *
 *   smtcheck-inject --resource NAME [--cpu N] [--intensity D] [--size BYTES] [--period-us P]
 *                   [--units N] [--report-ms MS]
 *   smtcheck-inject --list
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC 1000000000LL
#define LINE_SIZE 64
#define MIN_SIZE 4096

/*
 * The work of one unit, per injector: some tens of microseconds, short against the duty-cycle
 * period, so that a work phase ends within a small fraction of its length.
 */
#define INT_ALU_STEPS 16384		/* iterations of ten register chains */
#define FP_STEPS 24576			/* iterations of ten vector chains */
#define L1_UNIT_VECTORS (1 << 15)	/* 32-byte vectors read twice and written once */
#define LLC_UNIT_VECTORS (1 << 14)	/* the same, at the last-level cache's speed */
#define CHASE_CHAINS 8
#define L2_UNIT_STEPS 4096		/* steps of each of the eight chains */
#define MEM_UNIT_VECTORS (1 << 14)	/* 32-byte vectors of each of the three triad arrays */
#define BRANCH_UNIT_PASSES 32		/* passes over the 512 branch sites */

#define INT_CHAINS 10
#define FP_CHAINS 10
#define FP_LANES 4

enum sizing { SIZE_NONE, SIZE_L1, SIZE_L2, SIZE_LLC, SIZE_MEM };

/* Filled by setup in the main thread, then used by the worker thread alone. */
struct work {
	unsigned char *buf;
	size_t size;
	size_t n;		/* elements (vectors, lines) the kernel walks */
	size_t pos;		/* where the next unit goes on with a sweep */
	void **chain[CHASE_CHAINS];
	uint64_t ireg[INT_CHAINS];
	double freg[FP_CHAINS * FP_LANES];
	uint64_t rnd;
	void (*fp_kernel)(struct work *w);
};

struct injector {
	const char *name;
	int parallel;
	enum sizing sizing;
	const char *description;
	int (*setup)(struct work *w, size_t size);
	void (*unit)(struct work *w);
};

typedef double v2d __attribute__((vector_size(16)));
typedef double v4d __attribute__((vector_size(32)));
typedef uint64_t v4u __attribute__((vector_size(32)));

/*
 * x86-64 picks AVX2 at run time where the CPU has it; other targets (arm64) build their
 * baseline vector code only. SIMD_REG is the asm constraint for a vector register.
 */
#if defined(__x86_64__)
#define SIMD_REG "+x"
#define AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SIMD_REG "+w"
#define AVX2_CLONES
#endif

/* Where results go, so that the compiler cannot drop the work that made them. */
static volatile uint64_t sink;

static int64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Large buffers ask for transparent huge pages: the chase over the last-level cache should miss
 * in the cache, not wait on page walks. Every byte is written here so that no page fault falls
 * into the measured work.
 */
static void *alloc_touched(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (size >= (4u << 20))
		madvise(p, size, MADV_HUGEPAGE);
	memset(p, 1, size);
	return p;
}

/* ---- int_alu ---- */

static int int_alu_setup(struct work *w, size_t size)
{
	(void)size;
	for (int i = 0; i < INT_CHAINS; i++)
		w->ireg[i] = splitmix64(&w->rnd);
	return 0;
}

/*
 * Eight add/shift/xor chains of three cycles' latency each and two multiply chains: more
 * independent integer operations per cycle than any core has ALU ports. The empty asm keeps
 * every chain in a register and opaque, so the compiler can neither vectorize nor fold them.
 */
static void int_alu_unit(struct work *w)
{
	uint64_t a = w->ireg[0], b = w->ireg[1], c = w->ireg[2], d = w->ireg[3], e = w->ireg[4];
	uint64_t f = w->ireg[5], g = w->ireg[6], h = w->ireg[7], m0 = w->ireg[8], m1 = w->ireg[9];

	for (int i = 0; i < INT_ALU_STEPS; i++) {
		a += 0x9e3779b97f4a7c15ULL;
		a ^= a >> 7;
		b += 0xbf58476d1ce4e5b9ULL;
		b ^= b >> 11;
		c += 0x94d049bb133111ebULL;
		c ^= c << 5;
		d += 0x2545f4914f6cdd1dULL;
		d ^= d >> 13;
		e ^= 0xd6e8feb86659fd93ULL;
		e += e << 3;
		f ^= 0xa0761d6478bd642fULL;
		f += f >> 17;
		g += 0xe7037ed1a0b428dbULL;
		g ^= g << 9;
		h ^= 0x8ebc6af09c88c6e3ULL;
		h += h >> 23;
		m0 = m0 * 0xd1342543de82ef95ULL + 1;
		m1 = m1 * 0x5851f42d4c957f2dULL + 3;
		__asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f), "+r"(g),
				 "+r"(h), "+r"(m0), "+r"(m1));
	}
	w->ireg[0] = a;
	w->ireg[1] = b;
	w->ireg[2] = c;
	w->ireg[3] = d;
	w->ireg[4] = e;
	w->ireg[5] = f;
	w->ireg[6] = g;
	w->ireg[7] = h;
	w->ireg[8] = m0;
	w->ireg[9] = m1;
	sink = a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ m0 ^ m1;
}

/* ---- fp_unit ---- */

/*
 * Ten independent vector chains: eight multiply-adds, contracted to FMA where the target has
 * it (two FMA pipes of four cycles' latency need eight in flight), and two add-then-multiply. x * m + k tends to k / (1 - m), so the values stay normal
 * (denormals would take a slow path and measure something else) whatever the unit count.
 */
#define FP_KERNEL_BODY(vec, lanes)						\
	vec x[FP_CHAINS], m, k;							\
										\
	for (int j = 0; j < FP_CHAINS; j++)					\
		memcpy(&x[j], w->freg + j * FP_LANES, sizeof(vec));		\
	for (int l = 0; l < (lanes); l++) {					\
		m[l] = 0.999;							\
		k[l] = 0.001;							\
	}									\
	vec x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];				\
	vec x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];				\
	vec x8 = x[8], x9 = x[9];						\
	for (int i = 0; i < FP_STEPS; i++) {					\
		x0 = x0 * m + k;						\
		x1 = x1 * m + k;						\
		x2 = x2 * m + k;						\
		x3 = x3 * m + k;						\
		x4 = x4 * m + k;						\
		x5 = x5 * m + k;						\
		x6 = x6 * m + k;						\
		x7 = x7 * m + k;						\
		x8 = (x8 + k) * m;						\
		x9 = (x9 + k) * m;						\
		__asm__ volatile("" : SIMD_REG(x0), SIMD_REG(x1), SIMD_REG(x2),	\
				 SIMD_REG(x3), SIMD_REG(x4), SIMD_REG(x5),	\
				 SIMD_REG(x6), SIMD_REG(x7), SIMD_REG(x8),	\
				 SIMD_REG(x9));					\
	}									\
	x[0] = x0, x[1] = x1, x[2] = x2, x[3] = x3;				\
	x[4] = x4, x[5] = x5, x[6] = x6, x[7] = x7;				\
	x[8] = x8, x[9] = x9;							\
	for (int j = 0; j < FP_CHAINS; j++)					\
		memcpy(w->freg + j * FP_LANES, &x[j], sizeof(vec));		\
	sink = (uint64_t)(x0[0] + x9[(lanes) - 1])

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void fp_kernel_avx2(struct work *w)
{
	FP_KERNEL_BODY(v4d, 4);
}
#endif

static void fp_kernel_sse2(struct work *w)
{
	FP_KERNEL_BODY(v2d, 2);
}

static int fp_setup(struct work *w, size_t size)
{
	(void)size;
	for (int i = 0; i < FP_CHAINS * FP_LANES; i++)
		w->freg[i] = 1.0 + i / 64.0;
	w->fp_kernel = fp_kernel_sse2;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		w->fp_kernel = fp_kernel_avx2;
#endif
	return 0;
}

static void fp_unit(struct work *w)
{
	w->fp_kernel(w);
}

/* ---- l1d_capacity, llc: sweeps ---- */

/* Two loads and one store per vector: the load and store ports and the L1 data cache. */
AVX2_CLONES
static void l1_sweep(v4u *dst, const v4u *src, size_t n, uint64_t k)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = (dst[i] + src[i]) ^ k;
}

static int l1_setup(struct work *w, size_t size)
{
	w->buf = alloc_touched(size);
	if (!w->buf)
		return -1;
	w->size = size;
	w->n = size / 2 / sizeof(v4u);
	return 0;
}

static void sweep(struct work *w, size_t vectors)
{
	v4u *dst = (v4u *)w->buf;
	const v4u *src = dst + w->n;

	for (size_t left = vectors; left > 0;) {
		size_t len = w->n - w->pos < left ? w->n - w->pos : left;

		l1_sweep(dst + w->pos, src + w->pos, len, 0x5bd1e995);
		left -= len;
		w->pos = (w->pos + len) % w->n;
	}
	sink = dst[w->pos][0];
}

static void l1_unit(struct work *w)
{
	sweep(w, L1_UNIT_VECTORS);
}

static void llc_unit(struct work *w)
{
	sweep(w, LLC_UNIT_VECTORS);
}

/* ---- l2_capacity: dependent loads over a random cycle of cache lines ---- */

/*
 * Each line holds the address of the next line of one random cycle through the whole buffer,
 * so hardware prefetchers cannot guess the next line and every step waits for the cache. The
 * chains start evenly spaced on the cycle: several misses in flight, as real code has.
 */
static int chase_setup(struct work *w, size_t size)
{
	size_t lines = size / LINE_SIZE;
	size_t *order = malloc(lines * sizeof(*order));

	if (!order)
		return -1;
	w->buf = alloc_touched(size);
	if (!w->buf) {
		free(order);
		return -1;
	}
	w->size = size;
	w->n = lines;
	for (size_t i = 0; i < lines; i++)
		order[i] = i;
	for (size_t i = lines - 1; i > 0; i--) {
		size_t j = splitmix64(&w->rnd) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < lines; i++) {
		void **line = (void **)(w->buf + order[i] * LINE_SIZE);

		*line = w->buf + order[(i + 1) % lines] * LINE_SIZE;
	}
	for (int c = 0; c < CHASE_CHAINS; c++)
		w->chain[c] = (void **)(w->buf + order[c * lines / CHASE_CHAINS] * LINE_SIZE);
	free(order);
	return 0;
}

static void chase(struct work *w, int steps)
{
	void **p0 = w->chain[0], **p1 = w->chain[1], **p2 = w->chain[2], **p3 = w->chain[3];
	void **p4 = w->chain[4], **p5 = w->chain[5], **p6 = w->chain[6], **p7 = w->chain[7];

	for (int i = 0; i < steps; i++) {
		p0 = *p0;
		p1 = *p1;
		p2 = *p2;
		p3 = *p3;
		p4 = *p4;
		p5 = *p5;
		p6 = *p6;
		p7 = *p7;
	}
	w->chain[0] = p0;
	w->chain[1] = p1;
	w->chain[2] = p2;
	w->chain[3] = p3;
	w->chain[4] = p4;
	w->chain[5] = p5;
	w->chain[6] = p6;
	w->chain[7] = p7;
}

static void l2_unit(struct work *w)
{
	chase(w, L2_UNIT_STEPS);
}

/* ---- mem_bw ---- */

AVX2_CLONES
static void triad(v4d *a, const v4d *b, const v4d *c, size_t n, double s)
{
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] + s * c[i];
}

static int mem_setup(struct work *w, size_t size)
{
	w->n = size / 3 / sizeof(v4d);
	w->size = w->n * 3 * sizeof(v4d);
	w->buf = alloc_touched(w->size);
	return w->buf ? 0 : -1;
}

/* STREAM's triad: two streams read, one written, over far more than the caches hold. */
static void mem_unit(struct work *w)
{
	v4d *a = (v4d *)w->buf, *b = a + w->n, *c = b + w->n;

	for (size_t left = MEM_UNIT_VECTORS; left > 0;) {
		size_t len = w->n - w->pos < left ? w->n - w->pos : left;

		triad(a + w->pos, b + w->pos, c + w->pos, len, 3.0);
		left -= len;
		w->pos = (w->pos + len) % w->n;
	}
}

/* ---- branch_pred ---- */

static int branch_setup(struct work *w, size_t size)
{
	(void)size;
	w->ireg[0] = splitmix64(&w->rnd) | 1;
	return 0;
}

/*
 * One conditional branch site, taken or not by one bit of a pseudo-random word. The two arms
 * end in different volatile asm statements, which the compiler may neither run speculatively
 * nor merge, so the branch stays a branch instead of becoming a conditional move.
 */
#define BRANCH_SITE(n)							\
	do {								\
		if ((r >> ((n) & 63)) & 1) {				\
			x += (n) * 2 + 1;				\
			__asm__ volatile("" : "+r"(x));			\
		} else {						\
			y ^= (uint64_t)(n) << 3;			\
			__asm__ volatile("" : "+r"(y));			\
		}							\
	} while (0)

#define BRANCH_SITES8(n)						\
	do {								\
		BRANCH_SITE((n) * 8 + 0); BRANCH_SITE((n) * 8 + 1);	\
		BRANCH_SITE((n) * 8 + 2); BRANCH_SITE((n) * 8 + 3);	\
		BRANCH_SITE((n) * 8 + 4); BRANCH_SITE((n) * 8 + 5);	\
		BRANCH_SITE((n) * 8 + 6); BRANCH_SITE((n) * 8 + 7);	\
	} while (0)

/* xorshift64: a fresh random word for every 64 sites costs three shifts and three xors. */
#define BRANCH_SITES64(n)						\
	do {								\
		r ^= r << 13;						\
		r ^= r >> 7;						\
		r ^= r << 17;						\
		BRANCH_SITES8((n) * 8 + 0); BRANCH_SITES8((n) * 8 + 1);	\
		BRANCH_SITES8((n) * 8 + 2); BRANCH_SITES8((n) * 8 + 3);	\
		BRANCH_SITES8((n) * 8 + 4); BRANCH_SITES8((n) * 8 + 5);	\
		BRANCH_SITES8((n) * 8 + 6); BRANCH_SITES8((n) * 8 + 7);	\
	} while (0)

static void branch_unit(struct work *w)
{
	uint64_t r = w->ireg[0], x = 0, y = 0;

	for (int pass = 0; pass < BRANCH_UNIT_PASSES; pass++) {
		BRANCH_SITES64(0);
		BRANCH_SITES64(1);
		BRANCH_SITES64(2);
		BRANCH_SITES64(3);
		BRANCH_SITES64(4);
		BRANCH_SITES64(5);
		BRANCH_SITES64(6);
		BRANCH_SITES64(7);
	}
	w->ireg[0] = r;
	sink = x ^ y;
}

static const struct injector injectors[] = {
	{ "int_alu", 1, SIZE_NONE,
	  "integer ALU: ten independent add/shift/xor/multiply chains in registers",
	  int_alu_setup, int_alu_unit },
	{ "fp_unit", 1, SIZE_NONE,
	  "floating point/SIMD: ten independent vector FMA, add and multiply chains in registers",
	  fp_setup, fp_unit },
	{ "l1d_capacity", 0, SIZE_L1,
	  "L1 data cache: vector loads and stores sweeping a buffer of its size",
	  l1_setup, l1_unit },
	{ "l2_capacity", 0, SIZE_L2,
	  "L2 cache: eight dependent-load chains over a random cycle of lines of a buffer of its size",
	  chase_setup, l2_unit },
	/*
	 * A sweep, not a chase: a shared cache is contended by the lines kept hot, and a sweep
	 * renews its whole footprint far faster than dependent loads can.
	 */
	{ "llc", 0, SIZE_LLC,
	  "last-level cache: vector loads and stores sweeping a buffer of its size",
	  l1_setup, llc_unit },
	{ "mem_bw", 0, SIZE_MEM,
	  "memory bandwidth: STREAM triad over three arrays of max(8 x LLC, 256 MiB) in all",
	  mem_setup, mem_unit },
	{ "branch_pred", 0, SIZE_NONE,
	  "branch predictor: 512 conditional branch sites taking pseudo-random directions",
	  branch_setup, branch_unit },
};

#define N_INJECTORS (sizeof(injectors) / sizeof(injectors[0]))

/* ---- cache sizes ---- */

struct caches {
	size_t l1d, l2, llc;
};

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ok;

	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static size_t parse_cache_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (end == s)
		return 0;
	if (*end == 'K')
		v <<= 10;
	else if (*end == 'M')
		v <<= 20;
	else if (*end == 'G')
		v <<= 30;
	return v;
}

/* The caches of `cpu` as sysfs describes them; a size it does not give keeps its fallback. */
static struct caches read_caches(int cpu)
{
	struct caches c = { 32u << 10, 1u << 20, 32u << 20 };
	int llc_level = 0;

	for (int i = 0; i < 16; i++) {
		char path[128], level[16], type[32], size[32];
		int n = snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cache/index%d/", cpu, i);
		size_t bytes;
		int lvl;

		strcpy(path + n, "level");
		if (read_line(path, level, sizeof(level)))
			continue;
		strcpy(path + n, "type");
		if (read_line(path, type, sizeof(type)))
			continue;
		strcpy(path + n, "size");
		if (read_line(path, size, sizeof(size)))
			continue;
		bytes = parse_cache_size(size);
		lvl = atoi(level);
		if (!bytes || !strcmp(type, "Instruction"))
			continue;
		if (lvl == 1 && !strcmp(type, "Data"))
			c.l1d = bytes;
		else if (lvl == 2)
			c.l2 = bytes;
		else if (lvl >= 3 && lvl > llc_level) {
			c.llc = bytes;
			llc_level = lvl;
		}
	}
	return c;
}

static size_t default_size(const struct injector *inj, const struct caches *c)
{
	switch (inj->sizing) {
	case SIZE_L1:
		return c->l1d;
	case SIZE_L2:
		return c->l2;
	case SIZE_LLC:
		return c->llc;
	case SIZE_MEM:
		return 8 * c->llc > (256u << 20) ? 8 * c->llc : (256u << 20);
	default:
		return 0;
	}
}

/* ---- options ---- */

struct options {
	const struct injector *inj;
	int cpu;
	double intensity;
	size_t size;
	int64_t period_ns;
	uint64_t units;
	int64_t report_ms;
	int list;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smtcheck-inject --resource NAME [--cpu N] [--intensity D] [--size BYTES]\n"
		"                       [--period-us P] [--units N] [--report-ms MS]\n"
		"       smtcheck-inject --list\n"
		"\n"
		"Stresses one shared core resource and reports its progress in units of work.\n"
		"  --resource NAME  what to stress (see --list)\n"
		"  --cpu N          pin to CPU N before touching memory\n"
		"  --intensity D    0 < D <= 1 (default 1): the share of its cache that a cache\n"
		"                   injector works over, the duty cycle of the others\n"
		"  --size BYTES     working set of the cache and memory injectors (suffix K, M, G)\n"
		"  --period-us P    duty-cycle period in microseconds (default 10000)\n"
		"  --units N        run exactly N units after \"ready\", print \"done\" and exit\n"
		"  --report-ms MS   print the rate on standard error every MS milliseconds\n"
		"\n"
		"Prints \"ready\" once warmed up. Standard input takes \"mark\", answered with\n"
		"\"mark <units> <worker cpu ns> <wall ns>\" counted from ready; it exits on end of input.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2))) bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("smtcheck-inject: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, int suffix)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *s == '-' || errno)
		bad_usage("%s wants a number, not '%s'", opt, s);
	if (suffix && *end) {
		int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : -1;

		if (shift < 0 || end[1] || v > (UINT64_MAX >> shift))
			bad_usage("%s wants a number of bytes, not '%s'", opt, s);
		v <<= shift;
		end++;
	}
	if (*end)
		bad_usage("%s wants a number, not '%s'", opt, s);
	if (v < min || v > max)
		bad_usage("%s %s is out of range [%" PRIu64 ", %" PRIu64 "]", opt, s, min, max);
	return v;
}

static const struct injector *find_injector(const char *name)
{
	for (size_t i = 0; i < N_INJECTORS; i++)
		if (!strcmp(injectors[i].name, name))
			return &injectors[i];
	return NULL;
}

static void parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *eq = strchr(arg, '='), *val = NULL;
		char name[32];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(arg, "--list")) {
			o->list = 1;
			continue;
		}
		if (strncmp(arg, "--", 2) || (eq ? (size_t)(eq - arg) : strlen(arg)) >= sizeof(name))
			bad_usage("unknown argument '%s'", arg);
		if (eq) {
			memcpy(name, arg, eq - arg);
			name[eq - arg] = '\0';
			val = eq + 1;
		} else {
			strcpy(name, arg);
		}
		if (strcmp(name, "--resource") && strcmp(name, "--cpu") && strcmp(name, "--intensity") &&
		    strcmp(name, "--size") && strcmp(name, "--period-us") && strcmp(name, "--units") &&
		    strcmp(name, "--report-ms"))
			bad_usage("unknown option '%s'", name);
		if (!val) {
			if (i + 1 >= argc)
				bad_usage("%s wants a value", name);
			val = argv[++i];
		}
		if (!strcmp(name, "--resource")) {
			o->inj = find_injector(val);
			if (!o->inj)
				bad_usage("unknown resource '%s'", val);
		} else if (!strcmp(name, "--cpu")) {
			o->cpu = parse_u64(name, val, 0, CPU_SETSIZE - 1, 0);
		} else if (!strcmp(name, "--intensity")) {
			char *end;

			errno = 0;
			o->intensity = strtod(val, &end);
			if (end == val || *end || errno || !isfinite(o->intensity))
				bad_usage("--intensity wants a number, not '%s'", val);
			if (!(o->intensity > 0 && o->intensity <= 1))
				bad_usage("--intensity %s is out of range (0, 1]", val);
		} else if (!strcmp(name, "--size")) {
			o->size = parse_u64(name, val, MIN_SIZE, (uint64_t)1 << 40, 1);
		} else if (!strcmp(name, "--period-us")) {
			o->period_ns = parse_u64(name, val, 1000, 10000000, 0) * 1000;
		} else if (!strcmp(name, "--units")) {
			o->units = parse_u64(name, val, 1, UINT64_MAX >> 1, 0);
		} else {
			o->report_ms = parse_u64(name, val, 1, 3600000, 0);
		}
	}
	if (o->list)
		return;
	if (!o->inj)
		bad_usage("--resource is required");
	if (o->size && o->inj->sizing == SIZE_NONE)
		bad_usage("--size does not apply to %s, which has no working set", o->inj->name);
}

/* ---- running ---- */

static struct options opts;
static struct work work;

static pthread_t worker;
static clockid_t worker_clock;
static _Atomic uint64_t units_done;
static atomic_int stop;
static atomic_int ready;
static int64_t base_cpu, base_wall;	/* the worker's clocks at ready */
static int64_t end_cpu, end_wall;	/* after the last of --units */

static volatile sig_atomic_t running;
static int signal_pipe[2], notify_pipe[2];

/* Before ready there is nothing to stop cleanly; afterwards the main thread does it. */
static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (!running)
		_exit(0);
	if (write(signal_pipe[1], "s", 1) < 0) {
		/* full: a wake-up is already pending */
	}
	errno = saved;
}

/* Only there to interrupt the worker's sleep when it must stop. */
static void on_wake(int sig)
{
	(void)sig;
}

static void notify(char c)
{
	if (write(notify_pipe[1], &c, 1) != 1)
		abort();
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { .tv_sec = t / NSEC_PER_SEC, .tv_nsec = t % NSEC_PER_SEC };

	while (!atomic_load_explicit(&stop, memory_order_relaxed) &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * A cache is shared by capacity: a co-runner that uses a share u of it is hurt only once the
 * injector's share and u together exceed it. So a cache injector's intensity is the share of the
 * cache it keeps hot, at full speed; for the others (execution units, memory bandwidth) it is the
 * share of time it works.
 */
static int shrinks_with_intensity(const struct injector *inj)
{
	return inj->sizing == SIZE_L1 || inj->sizing == SIZE_L2 || inj->sizing == SIZE_LLC;
}

static void *worker_main(void *arg)
{
	const struct injector *inj = opts.inj;
	int64_t period = opts.period_ns;
	int64_t busy = shrinks_with_intensity(inj) ? period : (int64_t)(opts.intensity * opts.period_ns);
	int64_t warm_end = mono_ns() + NSEC_PER_SEC / 10, start;
	uint64_t done = 0, limit = opts.units ? opts.units : UINT64_MAX;

	(void)arg;
	while (mono_ns() < warm_end)
		inj->unit(&work);
	base_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	base_wall = mono_ns();
	atomic_store_explicit(&ready, 1, memory_order_release);
	notify('r');

	start = base_wall;
	while (done < limit && !atomic_load_explicit(&stop, memory_order_relaxed)) {
		int64_t work_end = start + busy, now;

		/* a unit overruns its phase by a fraction of a unit, not by the rest of a period */
		do {
			inj->unit(&work);
			atomic_store_explicit(&units_done, ++done, memory_order_relaxed);
			now = mono_ns();
		} while (done < limit && (now < work_end || busy >= period) &&
			 !atomic_load_explicit(&stop, memory_order_relaxed));
		if (busy >= period || done >= limit)
			continue;
		start += period;
		sleep_until(start);
		/* after a long preemption, begin a fresh period instead of working it off */
		now = mono_ns();
		if (now - start > period)
			start = now;
	}
	if (opts.units) {
		end_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) - base_cpu;
		end_wall = mono_ns() - base_wall;
		notify('d');
	}
	return NULL;
}

static void stop_worker(void)
{
	atomic_store(&stop, 1);
	for (;;) {
		struct timespec ts;

		pthread_kill(worker, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 1000000;
		if (ts.tv_nsec >= NSEC_PER_SEC) {
			ts.tv_sec++;
			ts.tv_nsec -= NSEC_PER_SEC;
		}
		if (pthread_timedjoin_np(worker, NULL, &ts) == 0)
			return;
	}
}

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (fflush(stdout) != 0) {
		perror("smtcheck-inject: write");
		exit(1);
	}
}

static void handle_line(char *line)
{
	size_t len = strlen(line);

	if (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (!len)
		return;
	if (!strcmp(line, "mark")) {
		int64_t cpu = clock_ns(worker_clock) - base_cpu;
		int64_t wall = mono_ns() - base_wall;
		uint64_t u = atomic_load_explicit(&units_done, memory_order_relaxed);

		out("mark %" PRIu64 " %" PRId64 " %" PRId64 "\n", u, cpu, wall);
	} else {
		out("error unknown command '%s'\n", line);
	}
}

/* Returns 0 on end of input. */
static int read_commands(void)
{
	static char buf[4096];
	static size_t have;
	ssize_t n = read(STDIN_FILENO, buf + have, sizeof(buf) - 1 - have);
	char *line, *nl;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return 0;
	have += n;
	buf[have] = '\0';
	line = buf;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		handle_line(line);
		line = nl + 1;
	}
	have -= line - buf;
	memmove(buf, line, have);
	/* a line longer than the buffer is still one (unknown) command */
	if (have == sizeof(buf) - 1) {
		buf[have] = '\0';
		handle_line(buf);
		have = 0;
	}
	return 1;
}

static int run(void)
{
	struct pollfd fds[3] = {
		{ .fd = signal_pipe[0], .events = POLLIN },
		{ .fd = notify_pipe[0], .events = POLLIN },
		{ .fd = STDIN_FILENO, .events = POLLIN },
	};
	int nfds = opts.units ? 2 : 3;
	int64_t next_report = opts.report_ms ? mono_ns() + opts.report_ms * 1000000 : 0;
	uint64_t last_units = 0;
	int64_t last_cpu = 0;

	for (;;) {
		int timeout = -1;
		char c;

		if (next_report)
			timeout = (next_report - mono_ns() + 999999) / 1000000;
		if (next_report && timeout < 0)
			timeout = 0;
		if (poll(fds, nfds, timeout) < 0 && errno != EINTR) {
			perror("smtcheck-inject: poll");
			return 1;
		}
		if (next_report && mono_ns() >= next_report) {
			uint64_t u = atomic_load_explicit(&units_done, memory_order_relaxed);
			int64_t cpu = clock_ns(worker_clock) - base_cpu;

			fprintf(stderr, "rate %.0f units/s\n",
				cpu > last_cpu ? (u - last_units) * 1e9 / (cpu - last_cpu) : 0.0);
			last_units = u;
			last_cpu = cpu;
			next_report += opts.report_ms * 1000000;
		}
		if (fds[0].revents) {
			stop_worker();
			return 0;
		}
		if (fds[1].revents && read(notify_pipe[0], &c, 1) == 1 && c == 'd') {
			pthread_join(worker, NULL);
			out("done %" PRIu64 " %" PRId64 " %" PRId64 "\n",
			    atomic_load(&units_done), end_cpu, end_wall);
			return 0;
		}
		if (nfds > 2 && fds[2].revents && !read_commands()) {
			stop_worker();
			return 0;
		}
	}
}

static void list(int cpu)
{
	struct caches c = read_caches(cpu);

	for (size_t i = 0; i < N_INJECTORS; i++)
		printf("%s %s %zu %s\n", injectors[i].name,
		       injectors[i].parallel ? "parallel" : "sequential",
		       default_size(&injectors[i], &c), injectors[i].description);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;
	pid_t parent = getppid();
	size_t size;
	char c;
	int cpu, err;

	opts.cpu = -1;
	opts.intensity = 1.0;
	opts.period_ns = 10000 * 1000LL;
	parse_args(argc, argv, &opts);
	if (opts.list) {
		list(opts.cpu >= 0 ? opts.cpu : (sched_getcpu() >= 0 ? sched_getcpu() : 0));
		return 0;
	}

	/* never outlive the process that measures against us */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		return 1;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) || pipe2(notify_pipe, O_CLOEXEC)) {
		perror("smtcheck-inject: pipe2");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_wake;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* before any memory is touched, so that it comes from this CPU's node */
	if (opts.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opts.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			fprintf(stderr, "smtcheck-inject: sched_setaffinity(cpu %d): %s\n", opts.cpu,
				strerror(errno));
			return 2;
		}
	}
	cpu = opts.cpu >= 0 ? opts.cpu : sched_getcpu();
	{
		struct caches caches = read_caches(cpu >= 0 ? cpu : 0);

		size = opts.size ? opts.size : default_size(opts.inj, &caches);
	}
	if (shrinks_with_intensity(opts.inj))
		size = size * opts.intensity < MIN_SIZE ? MIN_SIZE : (size_t)(size * opts.intensity);
	work.rnd = 0x736d74636865636bULL;
	if (opts.inj->setup(&work, size)) {
		fprintf(stderr, "smtcheck-inject: cannot set up %s over %zu bytes: %s\n", opts.inj->name,
			size, strerror(errno));
		return 1;
	}

	/* the signals that stop us are for the main thread; the worker only takes SIGUSR1 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&worker, NULL, worker_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		fprintf(stderr, "smtcheck-inject: pthread_create: %s\n", strerror(err));
		return 1;
	}
	err = pthread_getcpuclockid(worker, &worker_clock);
	if (err) {
		fprintf(stderr, "smtcheck-inject: pthread_getcpuclockid: %s\n", strerror(err));
		return 1;
	}
	while (read(notify_pipe[0], &c, 1) != 1 || !atomic_load_explicit(&ready, memory_order_acquire))
		;
	running = 1;
	out("ready\n");
	return run();
}
