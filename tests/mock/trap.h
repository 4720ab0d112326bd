/* SPDX-License-Identifier: BSD-3-Clause */
/* trap.h - the mock kernel's MMIO trap: makes BAR pages fault so every program
 * load/store there reaches a device model (x86-64 single-step, no decoding).
 *
 * How an access is handled: the trapped pages are PROT_NONE. A load or store
 * there raises SIGSEGV; the handler calls before_load (read faults), opens the
 * page (PROT_READ for a read, PROT_READ|PROT_WRITE for a write), sets EFLAGS.TF
 * and returns. The instruction runs once and raises SIGTRAP; that handler
 * closes the page again, calls after_store (write faults) and clears TF. One
 * access is in flight at a time in the whole process (a spin lock is held from
 * the SIGSEGV to the SIGTRAP); while it is, every blockable signal is blocked
 * on the accessing thread. rep movs/stos re-fault on every iteration; an
 * access spanning two trapped pages faults twice within the step.
 *
 * Other threads during a step: while the page is open, an access by another
 * thread would not fault and the model would miss it. So the threads that
 * made a trapped access (or a trap_add) in the last ~50 ms are parked for
 * the step: they get signal SIGRTMAX-2 (or the next lower real-time signal
 * without a handler; installed with the raw syscall, so sanitizers do not
 * defer it) and spin in its handler until the step is over.
 * Remaining race: a thread whose *first* trapped access, or first after
 * ~50 ms without one, lands in another thread's step window is not seen.
 * Side effect: a parked thread's blocking call may return EINTR when it is
 * not restartable (poll, epoll_wait, nanosleep). Environment, read by the
 * first trap_install/trap_add: VFIO_MOCK_TRAP_PARK=0 turns parking off;
 * VFIO_MOCK_TRAP_PARK_MS=N sets the "recent" window (default 50 ms).
 *
 * Callbacks run in the accessing thread's signal handler, with the trap's
 * lock held but nobody parked: they may take the model's lock. Therefore
 * trap_add/trap_remove (which wait for that lock) must not be called while
 * holding a lock the callbacks take, or a concurrent access deadlocks.
 *
 * Known limits (documented, not bugs):
 * - A read-modify-write instruction (add [bar], eax; lock xadd) faults as a
 *   write: the model sees after_store only, no before_load.
 * - Syscalls that read or write trapped memory (write(fd, bar, n)) get EFAULT.
 * - A program that installs its own SIGSEGV/SIGTRAP handler after
 *   trap_install() replaces ours; trap_add() notices and re-installs on top
 *   (chaining to the program's handler).
 * - Under TSan, an asynchronous signal handler must not touch trapped
 *   memory: TSan runs deferred handlers with SIGSEGV blocked (fatal).
 * - Each access costs two signals, two mprotect calls and a single-step
 *   trap (~20 us in a VM, where the #DB of the single step is the most part).
 *
 * Faults outside any trapped range reach the handler that was installed
 * before ours (SIG_DFL: the process dies of the signal as usual; under ASan
 * or TSan their own SIGSEGV report, without any ASAN_OPTIONS/TSAN_OPTIONS).
 */
#ifndef MOCK_TRAP_H
#define MOCK_TRAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct trap_ops {
	/* before a program load at byte offset `off` of the trapped range */
	void (*before_load)(void *ctx, uint64_t off);
	/* after a program store at byte offset `off` has landed in memory */
	void (*after_store)(void *ctx, uint64_t off);
};

/* Maximum number of ranges trapped at once. */
#define TRAP_MAX_RANGES 512

int trap_install(void); /* SIGSEGV/SIGTRAP handlers; idempotent; 0 or -errno */

/* [addr, addr+len) is a MAP_SHARED mapping (page aligned) that trap_add makes
 * PROT_NONE; accesses are single-stepped; callbacks run in signal context.
 * Returns 0, -EINVAL (unaligned, empty, NULL ops, overlaps a trapped range),
 * -ENOSPC (TRAP_MAX_RANGES reached), -ENOSYS (not x86-64 Linux), -EDEADLK
 * (called from a trap callback), or the -errno of a failed mprotect (nothing
 * is left trapped then). Installs the handlers if trap_install() was not
 * called (and re-installs them if the program replaced them). The ops struct
 * is copied. */
int trap_add(void *addr, size_t len, const struct trap_ops *ops, void *ctx);

/* forget and leave the range PROT_READ|PROT_WRITE; waits for an access in
 * flight on it to finish. [addr, addr+len) must be a range given to trap_add
 * exactly; anything else is ignored. */
void trap_remove(void *addr, size_t len);

/* Hold [addr, addr+len) (trap_hold.c): while held, a fault there (the caller
 * makes the pages PROT_NONE after trap_hold and gives them back before
 * trap_release) waits in the SIGSEGV handler and is then retried, trapped
 * pages included. Lock free for the handler, so the caller may hold a lock
 * the callbacks take. 0, -EINVAL, -ENOSPC (512 holds), -ENOSYS. */
int trap_hold(void *addr, size_t len);
void trap_release(void *addr, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* MOCK_TRAP_H */
