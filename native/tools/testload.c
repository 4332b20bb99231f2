// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two workloads of opposite character for the profiling tests: one that lives on memory
 * bandwidth and one that never leaves its registers. Each prints a checksum of its work at the
 * end, so that none of it can be optimized away.
 *
 *   smtcheck-testload stream [--mib N] [--passes N]
 *   smtcheck-testload compute [--iterations N]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr, "usage: smtcheck-testload stream [--mib N] [--passes N]\n"
			"       smtcheck-testload compute [--iterations N]\n");
	exit(2);
}

static unsigned long number(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (end == s || *end || *s == '-' || errno || v < 1 || v > max) {
		fprintf(stderr, "smtcheck-testload: %s wants a number in [1, %lu], not '%s'\n", opt, max, s);
		exit(2);
	}
	return v;
}

/*
 * Small pages, touched once before the passes: huge pages would cost direct compaction at
 * times, hundreds of milliseconds of system time that have nothing to do with the workload.
 */
static double *alloc_array(size_t n)
{
	double *p = malloc(n * sizeof(double));

	if (!p) {
		fprintf(stderr, "smtcheck-testload: out of memory\n");
		exit(1);
	}
	return p;
}

/* STREAM's triad over three arrays together `mib` MiB large, `passes` times. */
static int stream(unsigned long mib, unsigned long passes)
{
	size_t n = (mib << 20) / 3 / sizeof(double);
	double *a = alloc_array(n), *b = alloc_array(n), *c = alloc_array(n), sum = 0;

	for (size_t i = 0; i < n; i++) {
		a[i] = 0;
		b[i] = i & 1023;
		c[i] = 1.0 / ((i & 7) + 1);
	}
	for (unsigned long p = 0; p < passes; p++) {
		double s = p + 1;

		for (size_t i = 0; i < n; i++)
			a[i] = b[i] + s * c[i];
		/* swap roles, so a pass depends on the one before */
		double *t = b;
		b = a;
		a = t;
	}
	for (size_t i = 0; i < n; i += 4096)
		sum += b[i];
	printf("stream %lu MiB %lu passes checksum %.6g\n", mib, passes, sum);
	return 0;
}

/* Integer and floating-point dependency chains in registers; no memory traffic to speak of. */
static int compute(unsigned long iterations)
{
	uint64_t x = 88172645463325252ULL, y = 1;
	double f = 1.0, g = 2.0;

	for (unsigned long i = 0; i < iterations; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		y = y * 6364136223846793005ULL + x;
		f = f * 0.9999 + 0.0001 * (double)(x & 255);
		g = g * 0.9999 + 0.0001 * f;
	}
	printf("compute %lu iterations checksum %llu %.6g\n", iterations,
	       (unsigned long long)(x ^ y), f + g);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "stream")) {
		unsigned long mib = 192, passes = 44;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--mib") && i + 1 < argc)
				mib = number("--mib", argv[++i], 1 << 20);
			else if (!strcmp(argv[i], "--passes") && i + 1 < argc)
				passes = number("--passes", argv[++i], 1000000);
			else
				usage();
		}
		return stream(mib, passes);
	}
	if (!strcmp(argv[1], "compute")) {
		unsigned long iterations = 200000000;

		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
				iterations = number("--iterations", argv[++i], 1UL << 40);
			else
				usage();
		}
		return compute(iterations);
	}
	usage();
}
