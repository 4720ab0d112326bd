/* SPDX-License-Identifier: BSD-3-Clause */
/* trap_park.c - the MMIO trap's thread parking: while one access is being
 * single-stepped, the other recently active MMIO threads wait in a signal
 * handler so none of them touches the open page unseen.
 */
#define _GNU_SOURCE
#include "trap_internal.h"

#if defined(__x86_64__) && defined(__linux__)

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

/* * While a page is open for one instruction, another thread's access to it
 * would not fault and the model would miss it. So the threads that made a
 * trapped access recently (they are the ones likely to touch the BAR now)
 * are parked during the step: the lock holder sends them park_signal and
 * waits until each one spins in park_handler (or waits for the lock in its
 * own fault handler, which is just as safe). Threads idle for longer than
 * park_recent_tsc are not disturbed; an access by such a thread that lands
 * exactly in the step window is the remaining (rare) race. Model callbacks
 * run while nobody is parked, so a parked thread holding a model lock cannot
 * deadlock us. VFIO_MOCK_TRAP_PARK=0 turns parking off (then threads
 * sharing a page race with every step).
 */
#define PARK_THREADS      64
/* In TSC ticks, set by park_install() from a calibration (ms values). */
static long long park_recent_tsc;  /* 50 ms (VFIO_MOCK_TRAP_PARK_MS): "recent" MMIO */
static long long park_timeout_tsc; /* 100 ms: give up on a thread that never answers */
static long long park_drain_tsc;   /* 1 ms: let parked threads leave first */
static long long park_grace_tsc;   /* 10 ms: still recent after a long park */



static struct trap_thread threads[PARK_THREADS];
static atomic_int park_request; /* set by the holder while others must stay parked */
static int park_signal;         /* 0: parking disabled */
static pid_t my_pid; /* set by park_install, reset after fork */
/* initial-exec: no allocation on first access from a signal handler */
static __thread int my_tid __attribute__((tls_model("initial-exec")));
static __thread int my_slot __attribute__((tls_model("initial-exec"))); /* index + 1 */

struct trap_thread *park_thread_self(void)
{
	return my_slot ? &threads[my_slot - 1] : NULL;
}

/* Caller holds the lock. A full table only means this thread is not parked.
 * Slots of threads that exited are reused (checked with signal 0). */
struct trap_thread *park_thread_register(void)
{
	if (my_slot)
		return &threads[my_slot - 1];
	if (!my_tid)
		my_tid = (int)syscall(SYS_gettid);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < PARK_THREADS; i++) {
			int tid = atomic_load_explicit(&threads[i].tid, memory_order_relaxed);

			if (tid && (pass == 0 || syscall(SYS_tgkill, my_pid, tid, 0) == 0))
				continue;
			atomic_store_explicit(&threads[i].state, THREAD_WAITING,
			                      memory_order_relaxed);
			atomic_store_explicit(&threads[i].tid, my_tid, memory_order_relaxed);
			my_slot = i + 1;
			return &threads[i];
		}
	}
	return NULL;
}

void park_thread_set_state(int state)
{
	struct trap_thread *t = park_thread_self();

	if (t)
		atomic_store_explicit(&t->state, state, memory_order_release);
}

/* Was the parked thread blocked in a syscall (then it is not in the middle
 * of MMIO)? The kernel leaves RIP on the syscall instruction when it will
 * restart it, or just after it with -EINTR in RAX. Code is readable, and the
 * bytes read belong to the interrupted instruction or the one before it on
 * the same page. */
__attribute__((no_sanitize("thread", "address", "undefined"))) static int
interrupted_in_syscall(const ucontext_t *uc)
{
	const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];

	if (ip[0] == 0x0f && ip[1] == 0x05)
		return 1;
	return ((uintptr_t)ip & 4095) >= 2 /* x86-64 pages are 4 KiB */ && ip[-2] == 0x0f && ip[-1] == 0x05 &&
	       uc->uc_mcontext.gregs[REG_RAX] == -EINTR;
}

/* Runs on a parked thread. Not instrumented: under TSan it interrupts the
 * thread anywhere, even inside the sanitizer runtime, and TSan never knows
 * (installed with the raw syscall). Only atomics and raw syscalls here. */
__attribute__((no_sanitize("thread", "address", "undefined"))) static void
park_handler(int sig, siginfo_t *si, void *ucv)
{
	struct trap_thread *t = my_slot ? &threads[my_slot - 1] : NULL;
	unsigned long long parked_at = __rdtsc(), now;
	unsigned spins = 0;

	(void)sig;
	(void)si;
	/* A stale request (this thread waited for the lock meanwhile): ignore. */
	if (!t || !__atomic_load_n(&park_request, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&t->state, __ATOMIC_RELAXED) != THREAD_RUNNING)
		return;
	__atomic_store_n(&t->state, THREAD_PARKED, __ATOMIC_SEQ_CST);
	for (;;) {
		while (__atomic_load_n(&park_request, __ATOMIC_SEQ_CST)) {
			if (++spins % 64 == 0) {
				long ret;

				/* raw: errno stays untouched, no interceptor */
				__asm__ volatile("syscall"
				                 : "=a"(ret)
				                 : "0"((long)SYS_sched_yield)
				                 : "rcx", "r11", "memory");
			} else {
				__builtin_ia32_pause();
			}
		}
		/* A thread kept parked for long (descheduled, or starved by
		 * a busy holder) may be in the middle of its own MMIO: it must
		 * not come back looking idle. A short park, or one that
		 * interrupted a blocking call, changes nothing: a thread that
		 * no longer does MMIO still ages out. */
		now = __rdtsc();
		if ((long long)(now - parked_at) > park_drain_tsc && !interrupted_in_syscall(ucv) &&
		    (long long)(now - __atomic_load_n(&t->last_access_tsc, __ATOMIC_RELAXED)) >
		        park_recent_tsc - park_grace_tsc)
			__atomic_store_n(&t->last_access_tsc,
			                 now -
			                     (unsigned long long)(park_recent_tsc - park_grace_tsc),
			                 __ATOMIC_SEQ_CST);
		/* The next holder may have requested a park and found us
		 * still PARKED: look again after saying we run (Dekker-style,
		 * both sides sequentially consistent) and stay if so. */
		__atomic_store_n(&t->state, THREAD_RUNNING, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&park_request, __ATOMIC_SEQ_CST))
			break;
		__atomic_store_n(&t->state, THREAD_PARKED, __ATOMIC_SEQ_CST);
	}
}

/* Holder, before opening a page: stop the recently active MMIO threads. */
void park_others(void)
{
	unsigned long long now = __rdtsc();
	unsigned char signalled[PARK_THREADS];
	int any = 0;

	if (!park_signal)
		return;
	/* Fairness: threads still parked from the previous step get to run
	 * (and to fault, which queues them for the lock) before we park
	 * again; a thread polling a register must not starve the thread it
	 * waits for. Bounded: a descheduled one simply stays parked. */
	for (int i = 0; i < PARK_THREADS; i++) {
		unsigned spins = 0;

		while (atomic_load_explicit(&threads[i].state, memory_order_acquire) ==
		           THREAD_PARKED &&
		       (long long)(__rdtsc() - now) < park_drain_tsc) {
			if (++spins % 64 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
		}
	}
	now = __rdtsc();
	atomic_store(&park_request, 1); /* seq_cst: pairs with park_handler */
	for (int i = 0; i < PARK_THREADS; i++) {
		struct trap_thread *t = &threads[i];
		int tid = atomic_load_explicit(&t->tid, memory_order_relaxed);

		signalled[i] = 0;
		/* Signed: the TSCs of two CPUs may differ by a little, and a
		 * thread that has just finished its access reads "later". */
		if (!tid || i == my_slot - 1 || atomic_load(&t->state) != THREAD_RUNNING ||
		    (long long)(now - atomic_load_explicit(&t->last_access_tsc,
		                                           memory_order_relaxed)) > park_recent_tsc)
			continue;
		if (syscall(SYS_tgkill, my_pid, tid, park_signal) != 0) {
			if (errno == ESRCH) /* the thread is gone */
				atomic_store_explicit(&t->tid, 0, memory_order_relaxed);
			continue;
		}
		signalled[i] = 1;
		any = 1;
	}
	for (int i = 0; any && i < PARK_THREADS; i++) {
		unsigned spins = 0;

		if (!signalled[i])
			continue;
		while (atomic_load_explicit(&threads[i].state, memory_order_acquire) ==
		       THREAD_RUNNING) {
			if ((long long)(__rdtsc() - now) > park_timeout_tsc) {
				/* Signals blocked for long, or the tid now
				 * belongs to another thread: treat it as idle
				 * until its next trapped access. */
				atomic_store_explicit(&threads[i].last_access_tsc, 0,
				                      memory_order_relaxed);
				break;
			}
			if (++spins % 64 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
		}
	}
}

void unpark_others(void)
{
	atomic_store_explicit(&park_request, 0, memory_order_release);
}

/* Raw rt_sigaction: the sanitizers' sigaction interceptors would defer the
 * park signal (TSan) until the thread calls into libc, which a thread
 * spinning on MMIO never does. The kernel needs our own sigreturn stub. */
void trap_restore_rt(void) __attribute__((visibility("hidden")));
__asm__(".pushsection .text\n"
        ".align 16\n"
        ".type trap_restore_rt,@function\n"
        "trap_restore_rt:\n"
        "\tmovq $15, %rax\n" /* SYS_rt_sigreturn */
        "\tsyscall\n"
        ".size trap_restore_rt, .-trap_restore_rt\n"
        ".popsection\n");

struct kernel_sigaction {
	void (*handler)(int, siginfo_t *, void *);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

#define KSA_RESTORER 0x04000000UL

/* 0 or -errno; `mask` is the kernel's one-word signal set. */
int trap_raw_sigaction(int sig, void (*handler)(int, siginfo_t *, void *), unsigned long flags,
                         unsigned long mask)
{
	struct kernel_sigaction ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = handler;
	ksa.flags = flags | SA_SIGINFO | KSA_RESTORER;
	ksa.restorer = trap_restore_rt;
	ksa.mask = mask;
	if (syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask)) != 0)
		return -errno;
	return 0;
}

/* TSC ticks per millisecond, measured against CLOCK_MONOTONIC for 2 ms. */
static long long tsc_per_ms(void)
{
	struct timespec a, b;
	unsigned long long t0, t1;
	long long ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	do {
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
	} while (ns < 2000000);
	t1 = __rdtsc();
	return (long long)((t1 - t0) * 1000000ULL / (unsigned long long)ns);
}

/* SIGRTMAX-2, or the next lower real-time signal the program does not use
 * (no handler installed); none free: no parking. */
int park_install(void)
{
	const char *env = getenv("VFIO_MOCK_TRAP_PARK");
	const char *ms_env = getenv("VFIO_MOCK_TRAP_PARK_MS");
	long long per_ms, recent_ms = 50;
	struct sigaction cur;

	my_pid = getpid();
	if (env && env[0] == '0')
		return 0;
	if (ms_env && atoll(ms_env) > 0)
		recent_ms = atoll(ms_env);
	per_ms = tsc_per_ms();
	park_recent_tsc = recent_ms * per_ms;
	park_timeout_tsc = 100 * per_ms;
	park_drain_tsc = per_ms;
	park_grace_tsc = (recent_ms < 50 ? recent_ms / 5 : 10) * per_ms;
	for (int sig = SIGRTMAX - 2; sig > SIGRTMIN + 2; sig--) {
		if (sigaction(sig, NULL, &cur) != 0 ||
		    (!(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL)) {
			/* nothing interrupts a parked thread */
			int ret = trap_raw_sigaction(sig, park_handler, SA_RESTART, ~0UL);

			if (!ret)
				park_signal = sig;
			return ret;
		}
	}
	return 0;
}


/* fork() child: one thread left, nobody registered, nobody parked. */
void park_atfork_child(void)
{
	my_pid = getpid();
	my_tid = 0;
	my_slot = 0;
	for (int i = 0; i < PARK_THREADS; i++)
		atomic_store_explicit(&threads[i].tid, 0, memory_order_relaxed);
	atomic_store_explicit(&park_request, 0, memory_order_relaxed);
}

#endif /* x86-64 Linux */
