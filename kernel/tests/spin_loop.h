/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A loop of known length, for tests of instruction counters: exactly 3
 * instructions per iteration.  Shared by the hardware-mode kernel tests
 * and scripts/vm/counted-loop.c (the daemon's test in the arm64 guest).
 */
#ifndef SPIN_LOOP_H
#define SPIN_LOOP_H

#include <stdint.h>

static inline void spin_loop(uint64_t n)
{
	uint64_t x = 0;

#if defined(__aarch64__)
	__asm__ volatile("1:	add %[x], %[x], #1\n"
			 "	subs %[n], %[n], #1\n"
			 "	b.ne 1b\n"
			 : [n] "+r"(n), [x] "+r"(x) : : "cc");
#elif defined(__x86_64__)
	__asm__ volatile("1:	add $1, %[x]\n"
			 "	sub $1, %[n]\n"
			 "	jnz 1b\n"
			 : [n] "+r"(n), [x] "+r"(x) : : "cc");
#else
#error "spin_loop: no loop of known length for this architecture"
#endif
}

#endif
