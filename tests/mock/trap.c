/* SPDX-License-Identifier: BSD-3-Clause */
/* trap.c - the mock kernel's MMIO trap: PROT_NONE pages, SIGSEGV to open one
 * page and single-step the access, SIGTRAP to close it and notify the model.
 *
 * Why single-step instead of decoding: the program's compiler (and libc's
 * memcpy) may use any load/store form (mov, movs, rep stos, SSE/AVX); letting
 * the CPU execute the one faulting instruction against the real shared memory
 * is exact for all of them, and the model only needs the offset.
 *
 * Concurrency: one spin lock (lock_word) protects the range registry, the
 * tombstones and the single in-flight step (`step`). A thread takes it in its
 * SIGSEGV handler and releases it in the SIGTRAP handler of the same access;
 * another thread faulting meanwhile spins in its own SIGSEGV handler.
 * trap_add/trap_remove take the same lock with all signals blocked, so the
 * handlers never see a half-written range and need no malloc or mutex.
 */
#define _GNU_SOURCE
#include "trap.h"
#include "trap_internal.h"

#include <errno.h>

#if !defined(__x86_64__) || !defined(__linux__)

/* Single-stepping through EFLAGS.TF and the page-fault error code in the
 * signal frame are x86-64 Linux facts; elsewhere the mock has no MMIO trap. */
int trap_install(void)
{
	return -ENOSYS;
}

int trap_add(void *addr, size_t len, const struct trap_ops *ops, void *ctx)
{
	(void)addr;
	(void)len;
	(void)ops;
	(void)ctx;
	return -ENOSYS;
}

void trap_remove(void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

#else /* x86-64 Linux */

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <x86intrin.h>

#define EFLAGS_TF         0x100ULL /* trap flag: #DB after the next instruction */
#define PF_ERR_WRITE      0x2ULL   /* page-fault error code: the access was a write */
/* One instruction touches at most two source and two destination pages
 * (movs with both operands unaligned across a page boundary). */
#define MAX_STEP_PAGES    4
/* Recently removed ranges: a thread that faulted just before trap_remove
 * reopened the range must retry its access, not be treated as a crash. */
#define TOMBSTONES        32
#define TOMBSTONE_RETRIES 1024

struct trap_range {
	uintptr_t start, end; /* end == 0: free slot */
	struct trap_ops ops;
	void *ctx;
};

struct step_page {
	uintptr_t page;
	struct trap_range *range;
	uint64_t store_off; /* offset of the store fault, if `stored` */
	int prot;
	int stored;
};

/* The access being single-stepped; owned by the holder of lock_word. */
struct trap_step {
	int active;
	unsigned npages;
	struct step_page pages[MAX_STEP_PAGES];
	unsigned long long saved_tf;
	unsigned long saved_mask; /* first word of the program's signal mask */
};

struct tombstone {
	uintptr_t start, end;
	unsigned retries_left;
};

static struct trap_range ranges[TRAP_MAX_RANGES];
static unsigned ranges_used; /* slots [0, ranges_used) may be in use */
static struct tombstone tombstones[TOMBSTONES];
static unsigned tombstone_next;
static struct trap_step step;

static atomic_int lock_word;
static atomic_ulong lock_owner; /* pthread_self() of the holder, 0 if free */

static pthread_mutex_t install_mutex = PTHREAD_MUTEX_INITIALIZER;
static int installed;
static uintptr_t page_size;
/* What was installed before us; written before our handler goes live. */
static struct sigaction prev_segv, prev_trap;

static void segv_handler(int sig, siginfo_t *si, void *ucv);
static void trap_handler(int sig, siginfo_t *si, void *ucv);

/* ---- the lock ------------------------------------------------------------ */

static unsigned long self_id(void)
{
	return (unsigned long)pthread_self();
}

static void lock_take(void)
{
	unsigned spins = 0;

	while (atomic_exchange_explicit(&lock_word, 1, memory_order_acquire)) {
		while (atomic_load_explicit(&lock_word, memory_order_relaxed)) {
			/* On a small machine the holder may need our CPU to
			 * finish its step: yield now and then. */
			if (++spins % 128 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
		}
	}
	atomic_store_explicit(&lock_owner, self_id(), memory_order_relaxed);
}

static void lock_release(void)
{
	atomic_store_explicit(&lock_owner, 0, memory_order_relaxed);
	atomic_store_explicit(&lock_word, 0, memory_order_release);
}

static int lock_held_by_me(void)
{
	return atomic_load_explicit(&lock_owner, memory_order_relaxed) == self_id();
}

/* The child of fork() has one thread, with the forking thread's TLS, and
 * possibly a step of a thread that no longer exists: close its pages. */
static void trap_atfork_child(void)
{
	if (step.active && !lock_held_by_me()) {
		for (unsigned i = 0; i < step.npages; i++)
			mprotect((void *)step.pages[i].page, page_size, PROT_NONE);
		step.active = 0;
		step.npages = 0;
		atomic_store_explicit(&lock_owner, 0, memory_order_relaxed);
		atomic_store_explicit(&lock_word, 0, memory_order_relaxed);
	}
	park_atfork_child();
}

/* ---- registry (callers hold the lock) ------------------------------------ */

static struct trap_range *range_find(uintptr_t addr)
{
	for (unsigned i = 0; i < ranges_used; i++)
		if (ranges[i].end && addr >= ranges[i].start && addr < ranges[i].end)
			return &ranges[i];
	return NULL;
}

static int range_overlaps(uintptr_t start, uintptr_t end)
{
	for (unsigned i = 0; i < ranges_used; i++)
		if (ranges[i].end && start < ranges[i].end && ranges[i].start < end)
			return 1;
	return 0;
}

static void tombstone_add(uintptr_t start, uintptr_t end)
{
	struct tombstone *t = &tombstones[tombstone_next++ % TOMBSTONES];

	t->start = start;
	t->end = end;
	t->retries_left = TOMBSTONE_RETRIES;
}

static void tombstones_clear(uintptr_t start, uintptr_t end)
{
	for (unsigned i = 0; i < TOMBSTONES; i++)
		if (start < tombstones[i].end && tombstones[i].start < end)
			tombstones[i].end = 0;
}

/* A fault on a range removed since: retry the access (it is plain memory
 * now). Bounded, so a later unrelated PROT_NONE mapping at the same address
 * (a guard page) still crashes as it should. */
static int tombstone_retry(uintptr_t addr)
{
	for (unsigned i = 0; i < TOMBSTONES; i++) {
		struct tombstone *t = &tombstones[i];

		if (t->end && addr >= t->start && addr < t->end && t->retries_left) {
			t->retries_left--;
			return 1;
		}
	}
	return 0;
}

/* ---- chaining to whoever was there before -------------------------------- */

static void chain(int sig, siginfo_t *si, void *ucv, const struct sigaction *prev)
{
	struct sigaction dfl;

	if (prev->sa_flags & SA_SIGINFO) {
		prev->sa_sigaction(sig, si, ucv);
		return;
	}
	if (prev->sa_handler == SIG_IGN && si->si_code <= 0)
		return; /* a sent signal that the program ignores */
	if (prev->sa_handler == SIG_DFL || prev->sa_handler == SIG_IGN) {
		/* Default action (the kernel also forces it for an ignored
		 * synchronous fault): a faulting instruction re-faults when we
		 * return; a trap (int3) or a sent signal must be raised again,
		 * and is delivered as soon as the handler returns. */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(sig, &dfl, NULL);
		if (!(sig == SIGSEGV && si->si_code > 0))
			raise(sig);
		return;
	}
	prev->sa_handler(sig);
}

/* ---- the step ------------------------------------------------------------ */

/* Signals that must stay deliverable: synchronous faults (the kernel kills
 * the process if one arrives blocked) and our own SIGTRAP. */
static unsigned long sync_signal_bits(void)
{
	static const int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};
	unsigned long bits = 0;

	for (unsigned i = 0; i < sizeof(sync) / sizeof(sync[0]); i++)
		bits |= 1UL << (sync[i] - 1);
	return bits;
}

static unsigned long *uc_mask_word(ucontext_t *uc)
{
	/* The kernel's sigset is one 64-bit word: the first word of glibc's. */
	return (unsigned long *)&uc->uc_sigmask;
}

/* Open the faulting page for one instruction; 0 or -1 (mprotect failed). */
static int step_open(uintptr_t addr, struct trap_range *r, int write)
{
	uintptr_t page = addr & ~(page_size - 1);
	struct step_page *p = NULL;

	for (unsigned i = 0; i < step.npages; i++)
		if (step.pages[i].page == page)
			p = &step.pages[i];
	if (p && (!write || p->prot & PROT_WRITE))
		return -1; /* open already and still faulting: not ours to fix */
	if (!p) {
		if (step.npages == MAX_STEP_PAGES)
			return -1;
		p = &step.pages[step.npages++];
		p->page = page;
		p->range = r;
		p->stored = 0;
	}
	p->prot = write ? PROT_READ | PROT_WRITE : PROT_READ;
	if (write) {
		p->stored = 1;
		p->store_off = addr - r->start;
	} else if (r->ops.before_load) {
		/* A callback may take a model lock that a parked thread holds:
		 * callbacks run with nobody parked. */
		unpark_others();
		r->ops.before_load(r->ctx, addr - r->start);
	}
	park_others();
	return mprotect((void *)page, page_size, p->prot);
}

static void step_close_pages(void)
{
	for (unsigned i = 0; i < step.npages; i++)
		mprotect((void *)step.pages[i].page, page_size, PROT_NONE);
}

/* The program's context goes back to how it was before the step. */
static void step_restore_context(ucontext_t *uc)
{
	uc->uc_mcontext.gregs[REG_EFL] =
	    (uc->uc_mcontext.gregs[REG_EFL] & ~(greg_t)EFLAGS_TF) | (greg_t)step.saved_tf;
	*uc_mask_word(uc) = step.saved_mask;
}

static void step_end(void)
{
	struct trap_thread *t = park_thread_self();

	step.active = 0;
	step.npages = 0;
	unpark_others();
	if (t) {
		atomic_store_explicit(&t->last_access_tsc, __rdtsc(), memory_order_relaxed);
		atomic_store_explicit(&t->state, THREAD_RUNNING, memory_order_release);
	}
	lock_release();
}

/* Something else faulted while we hold the lock (the stepped instruction
 * touched unmapped memory, or a model callback crashed): put our pages back,
 * drop the lock and let the previous handler judge. `uc` is the program's
 * context only if the fault came from the stepped instruction. */
static void step_abort(ucontext_t *uc, int from_step)
{
	if (step.active) {
		step_close_pages();
		if (from_step)
			step_restore_context(uc);
	}
	step_end();
}

static void segv_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;
	uintptr_t addr = (uintptr_t)si->si_addr;
	int write = (uc->uc_mcontext.gregs[REG_ERR] & PF_ERR_WRITE) != 0;
	int in_step = (uc->uc_mcontext.gregs[REG_EFL] & EFLAGS_TF) != 0;
	struct trap_range *r;

	if (si->si_code <= 0) /* sent by kill()/raise(): never a trapped access */
		goto chain;

	if (lock_held_by_me()) {
		/* The stepped instruction touched a second trapped page. */
		if (step.active && in_step && si->si_code == SEGV_ACCERR) {
			r = range_find(addr);
			if (r && step_open(addr, r, write) == 0)
				goto out;
		}
		step_abort(uc, step.active && in_step);
		goto chain;
	}

	/* a BAR held by a reset: wait for it, then retry (trap_hold.c) */
	if (si->si_code == SEGV_ACCERR && trap_hold_wait(addr))
		goto out;
	park_thread_set_state(THREAD_WAITING); /* no need to park us meanwhile */
	lock_take();
	r = si->si_code == SEGV_ACCERR ? range_find(addr) : NULL;
	if (!r) {
		int retry = si->si_code == SEGV_ACCERR && tombstone_retry(addr);

		park_thread_set_state(THREAD_RUNNING);
		lock_release();
		if (retry)
			goto out;
		goto chain;
	}
	park_thread_register();
	step.active = 1;
	step.npages = 0;
	step.saved_tf = (unsigned long long)uc->uc_mcontext.gregs[REG_EFL] & EFLAGS_TF;
	step.saved_mask = *uc_mask_word(uc);
	if (step_open(addr, r, write) != 0) {
		step_abort(uc, 0);
		goto chain;
	}
	/* No asynchronous handler may run (and touch a trapped page, taking
	 * our lock again) between here and the SIGTRAP; sigreturn installs
	 * this mask for free. */
	*uc_mask_word(uc) = ~sync_signal_bits();
	uc->uc_mcontext.gregs[REG_EFL] |= (greg_t)EFLAGS_TF;
out:
	errno = saved_errno;
	return;
chain:
	errno = saved_errno;
	chain(sig, si, ucv, &prev_segv);
}

static void trap_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int saved_errno = errno;

	/* Ours: the kernel's #DB after the stepped instruction, on the thread
	 * that holds the lock. A SIGTRAP sent with kill() is not. */
	if (si->si_code > 0 && lock_held_by_me() && step.active) {
		step_close_pages();
		step_restore_context(uc);
		unpark_others(); /* before the callbacks, see step_open() */
		for (unsigned i = 0; i < step.npages; i++) {
			struct step_page *p = &step.pages[i];

			if (p->stored && p->range->ops.after_store)
				p->range->ops.after_store(p->range->ctx, p->store_off);
		}
		step_end();
		errno = saved_errno;
		return;
	}
	errno = saved_errno;
	chain(sig, si, ucv, &prev_trap);
}

/* ---- installation -------------------------------------------------------- */

static int install_one(int sig, void (*handler)(int, siginfo_t *, void *), struct sigaction *prev)
{
	struct sigaction sa, cur;

	if (sigaction(sig, NULL, &cur) != 0)
		return -errno;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	/* SA_ONSTACK: a chained handler (ASan, a stack-overflow reporter)
	 * still gets the alternate stack it set up. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	/* Asynchronous handlers stay out while we hold the lock. */
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGSEGV);
	sigdelset(&sa.sa_mask, SIGBUS);
	sigdelset(&sa.sa_mask, SIGILL);
	sigdelset(&sa.sa_mask, SIGFPE);
	sigdelset(&sa.sa_mask, SIGTRAP);
	*prev = cur;
	if (sigaction(sig, &sa, NULL) != 0)
		return -errno;
	/* ASan with allow_user_segv_handler=0 (or handle_segv=2) ignores a
	 * SIGSEGV handler silently: install it past the interceptor then; its
	 * own handler (in *prev) still gets every fault that is not ours. */
	if (sigaction(sig, NULL, &cur) != 0)
		return -errno;
	if (!(cur.sa_flags & SA_SIGINFO) || cur.sa_sigaction != handler)
		return trap_raw_sigaction(sig, handler, SA_ONSTACK | SA_RESTART,
		                     ~0UL & ~sync_signal_bits());
	return 0;
}

/* Install, or re-install if the program replaced our handlers since. */
static int install_locked(void)
{
	int ret;

	if (!page_size) {
		page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
		ret = park_install();
		if (ret)
			return ret;
		pthread_atfork(NULL, NULL, trap_atfork_child);
	}
	ret = install_one(SIGSEGV, segv_handler, &prev_segv);
	if (!ret)
		ret = install_one(SIGTRAP, trap_handler, &prev_trap);
	if (!ret)
		installed = 1;
	return ret;
}

int trap_install(void)
{
	int ret = 0;

	pthread_mutex_lock(&install_mutex);
	if (!installed)
		ret = install_locked();
	pthread_mutex_unlock(&install_mutex);
	return ret;
}

/* Registry updates run with every signal blocked: a handler on this thread
 * would otherwise spin forever on the lock we hold. */
static void admin_begin(sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, saved);
	park_thread_set_state(THREAD_WAITING); /* cannot answer a park signal now */
	lock_take();
}

static void admin_end(const sigset_t *saved)
{
	park_thread_set_state(THREAD_RUNNING);
	lock_release();
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

int trap_add(void *addr, size_t len, const struct trap_ops *ops, void *ctx)
{
	uintptr_t start = (uintptr_t)addr, end;
	struct trap_range *slot = NULL;
	sigset_t saved;
	int ret;

	if (lock_held_by_me()) /* from a callback: would wait for ourselves */
		return -EDEADLK;
	pthread_mutex_lock(&install_mutex);
	ret = install_locked();
	pthread_mutex_unlock(&install_mutex);
	if (ret)
		return ret;
	if (!ops || !addr || !len || (start & (page_size - 1)))
		return -EINVAL;
	len = (len + page_size - 1) & ~(page_size - 1);
	end = start + len;
	if (end < start)
		return -EINVAL;

	admin_begin(&saved);
	if (range_overlaps(start, end)) {
		ret = -EINVAL;
		goto out;
	}
	for (unsigned i = 0; i < TRAP_MAX_RANGES && !slot; i++)
		if (!ranges[i].end)
			slot = &ranges[i];
	if (!slot) {
		ret = -ENOSPC;
		goto out;
	}
	/* Published before the pages close, so no access can miss it. */
	slot->start = start;
	slot->end = end;
	slot->ops = *ops;
	slot->ctx = ctx;
	if ((unsigned)(slot - ranges) >= ranges_used)
		ranges_used = (unsigned)(slot - ranges) + 1;
	if (mprotect(addr, len, PROT_NONE) != 0) {
		ret = -errno;
		mprotect(addr, len, PROT_READ | PROT_WRITE);
		slot->end = 0;
		goto out;
	}
	tombstones_clear(start, end);
	/* The thread mapping a BAR is likely to access it next: known (and
	 * parked during steps) from now on rather than from its first fault. */
	if (park_thread_register())
		atomic_store_explicit(&park_thread_self()->last_access_tsc, __rdtsc(),
		                      memory_order_relaxed);
out:
	admin_end(&saved);
	return ret;
}

void trap_remove(void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr, end;
	int saved_errno = errno;
	sigset_t saved;

	if (!page_size || !addr || !len || lock_held_by_me())
		return;
	end = start + ((len + page_size - 1) & ~(page_size - 1));
	/* Holding the lock also means no access is in flight on the range. */
	admin_begin(&saved);
	for (unsigned i = 0; i < ranges_used; i++) {
		if (ranges[i].end && ranges[i].start == start && ranges[i].end == end) {
			/* Opened before it is forgotten: a thread that faulted
			 * meanwhile finds the tombstone and retries. */
			mprotect(addr, end - start, PROT_READ | PROT_WRITE);
			ranges[i].end = 0;
			tombstone_add(start, end);
			break;
		}
	}
	while (ranges_used && !ranges[ranges_used - 1].end)
		ranges_used--;
	admin_end(&saved);
	errno = saved_errno;
}

#endif /* x86-64 Linux */
