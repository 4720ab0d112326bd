/* SPDX-License-Identifier: BSD-3-Clause */
/* trap_internal.h - what trap.c and trap_park.c share: the registry of
 * MMIO threads that can be parked during a single-step, and raw sigaction.
 */
#ifndef TRAP_INTERNAL_H
#define TRAP_INTERNAL_H

#if defined(__x86_64__) && defined(__linux__)

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

enum { THREAD_FREE, THREAD_RUNNING, THREAD_WAITING, THREAD_PARKED };

struct trap_thread {
	atomic_int tid;
	atomic_int state;
	_Atomic unsigned long long last_access_tsc;
};

/* Raw rt_sigaction with our own restorer (sanitizers cannot defer it). */
int trap_raw_sigaction(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
                       unsigned long mask) __attribute__((visibility("hidden")));
/* Pick and install the park signal (VFIO_MOCK_TRAP_PARK/_MS); 0 or -errno. */
int park_install(void) __attribute__((visibility("hidden")));
/* The calling thread's slot (NULL if none); register it (caller holds the trap lock). */
struct trap_thread *park_thread_self(void) __attribute__((visibility("hidden")));
struct trap_thread *park_thread_register(void) __attribute__((visibility("hidden")));
void park_thread_set_state(int state) __attribute__((visibility("hidden")));
/* Lock holder: park the recently active threads before opening a page /
 * let them go. */
void park_others(void) __attribute__((visibility("hidden")));
void unpark_others(void) __attribute__((visibility("hidden")));
void park_atfork_child(void) __attribute__((visibility("hidden")));
/* trap_hold.c: wait out a hold on addr (1: retry the access, 0: not held). */
int trap_hold_wait(uintptr_t addr) __attribute__((visibility("hidden")));

#endif
#endif /* TRAP_INTERNAL_H */
