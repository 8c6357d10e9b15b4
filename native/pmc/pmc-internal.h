/*
 * pmc-internal.h: what the pmc-*.c files share; not part of the API.
 * Include it first: it sets the POSIX level before any system header
 * (the addon builds the C files with -std=c11, which hides POSIX otherwise).
 */
#ifndef LIBVIRT_PMC_INTERNAL_H
#define LIBVIRT_PMC_INTERNAL_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pmc.h"
#include "pmc-extend.h" /* virPMCReportError, the list's hooks */
#define virPMCReportOOM() virPMCReportError(VIR_PMC_ERR_NO_MEMORY, "out of memory")

/* virPMCCheckListAdd's rules for one check (name, run, severity, flags);
 * false with the reason reported. `position` in the list, for the message,
 * or SIZE_MAX for a check being added. */
bool virPMCCheckValid(virPMCCheckPtr check, size_t position);
/* Every check valid and every name once; -1 with the reason reported. Any
 * list, static ones too. */
int virPMCCheckListValidate(virPMCCheckListPtr list);

uint64_t virPMCNowNs(void);
/* A monotonic time in ns as a timespec for pthread_cond_timedwait
 * on a condition variable made by virPMCCondInit. */
struct timespec virPMCDeadline(uint64_t ns);
int virPMCCondInit(pthread_cond_t *cond);
/* Wakes every thread waiting on `cond` under `lock`. */
void virPMCCondWakeAll(pthread_mutex_t *lock, pthread_cond_t *cond);
char *virPMCStrdup(const char *s);
/* 0, or -1 (VIR_PMC_ERR_INVALID_ARG) for a negative count or a count without an array. */
int virPMCCheckParams(virTypedParameterPtr params, int nparams);
char *virPMCAsprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Someone to wake when a cancel is triggered. `fn` runs on the triggering
 * thread with the cancel's lock held: it must only take its own lock and
 * signal. Removing a listener guarantees `fn` is no longer running. */
typedef struct _virPMCCancelListener virPMCCancelListener;
struct _virPMCCancelListener {
    void (*fn)(void *opaque);
    void *opaque;
    virPMCCancelListener *next;
};
void virPMCCancelAddListener(virPMCCancelPtr cancel, virPMCCancelListener *l);
void virPMCCancelRemoveListener(virPMCCancelPtr cancel, virPMCCancelListener *l);

/* One run of a list: its slots (one per check, the virPMCResult a check
 * writes to) and its worker pool. Refcounted: the runner, each worker and
 * each check that may still call virPMCResultComplete hold a reference, so
 * a check that completes after a timeout, or a hung worker, never touches
 * freed memory. The last reference frees it. */
typedef struct _virPMCRun virPMCRun;

struct _virPMCResult {
    virPMCRun *run;
    virPMCCheckPtr check;
    size_t index;
    int status;
    char *message;
    char *details;
    bool set;   /* a result was stored */
    bool final; /* the outcome is decided; later results are ignored */
    bool started;
    bool blocking;
    bool inRun;     /* a worker is inside check->run */
    bool abandoned; /* timed out while its worker was inside run: that worker exits */
    bool refHeld;   /* the check holds a run reference until it completes */
    uint64_t startNs, endNs, deadlineNs;
};

struct _virPMCRun {
    atomic_size_t refs;
    pthread_mutex_t lock;
    pthread_cond_t doneCond; /* the runner: all final, the watched slot final, a cancel */
    pthread_cond_t workCond; /* idle workers: a queued blocking check, or closing */
    /* Borrowed, valid while the runner runs. Each worker takes its own
     * references (a hung one may outlive the runner); a PENDING check that
     * never completes keeps only the run's memory, not libvirt objects. */
    virDomainPtr domain;
    virConnectPtr dconn;
    virPMCResult *slots;
    size_t nslots;
    size_t outstanding; /* slots not final */
    size_t watch;       /* the slot the runner waits for (sequential), or SIZE_MAX */
    uint64_t timeoutNs;
    size_t *queue; /* blocking checks waiting for a worker */
    size_t qhead, qtail;
    size_t liveWorkers, busyWorkers, maxWorkers;
    void *runData; /* the list's prepare hook made it for this run (virPMCResultRunData) */
    void (*releaseRunData)(void *runData);
    bool closing;
    bool cancelled; /* the cancel fired: a result that arrives after it is late, decided "cancelled" */
};

virPMCRun *virPMCRunNew(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, unsigned int timeoutMs);
void virPMCRunRef(virPMCRun *run);
void virPMCRunUnref(virPMCRun *run);
/* With run->lock held: store a result in a slot that is not final. */
void virPMCSlotStoreLocked(virPMCResult *slot, int status, const char *message, const char *details);
/* With run->lock held: decide the slot's outcome (stores one first if given). */
void virPMCSlotFinalizeLocked(virPMCResult *slot, int status, const char *message);
void virPMCSlotFinalize(virPMCResult *slot, int status, const char *message);
/* With run->lock held, after check->run returned `rc`. Returns whether the
 * check's reference must be dropped (by the caller, who holds its own). */
bool virPMCSlotAfterRunLocked(virPMCResult *slot, int rc);

/* The verdict of a report's outcomes (pmc-runner.c). */
virPMCVerdict virPMCVerdictOf(const virPMCReport *report, unsigned int flags);

/* With VIR_PMC_RUN_REHEARSE in opts->flags (pmc-rehearse.c): unless a check
 * blocks already, rehearses the migration and appends its outcome
 * ("migration.rehearsal"); a pass settles the "not verifiable:" warnings.
 * Recomputes the verdict. -1 only when out of memory. */
int virPMCReportRehearse(virPMCReportPtr report, virDomainPtr domain, virConnectPtr dconn, virTypedParameterPtr params,
                         int nparams, unsigned int flags, const virPMCRunOptions *opts);

#endif /* LIBVIRT_PMC_INTERNAL_H */
