/*
 * pmc-runner.c: virPMCRunChecks. Non-blocking checks are called on the
 * runner's thread (a few µs each, no thread per check); BLOCKING checks go to
 * a bounded pool of detached worker threads. The runner waits on one
 * condition variable for: every check decided, the next deadline, a cancel.
 */
#include "pmc-internal.h"

#include <stdlib.h>
#include <string.h>

#define VIR_PMC_MAX_WORKERS 8

typedef struct {
    virPMCRun *run;
    virDomainPtr domain; /* the worker's own references */
    virConnectPtr dconn;
} virPMCWorker;

static void
workerDrop(virPMCWorker *w)
{
    if (w->domain)
        virDomainFree(w->domain);
    if (w->dconn)
        virConnectClose(w->dconn);
    free(w);
}

static void *
workerMain(void *opaque)
{
    virPMCWorker *w = opaque;
    virPMCRun *run = w->run;
    bool abandoned = false;

    pthread_mutex_lock(&run->lock);
    for (;;) {
        virPMCResult *slot;
        virPMCCheckRun fn;
        void *checkOpaque;
        int rc;
        bool drop;

        while (run->qhead == run->qtail && !run->closing)
            pthread_cond_wait(&run->workCond, &run->lock);
        if (run->closing)
            break;
        slot = &run->slots[run->queue[run->qhead++]];
        if (slot->final)
            continue; /* cancelled while queued */
        run->busyWorkers++;
        slot->started = true;
        slot->inRun = true;
        slot->startNs = virPMCNowNs();
        slot->deadlineNs = slot->startNs + run->timeoutNs;
        slot->refHeld = true;
        virPMCRunRef(run);
        /* Copied now: a hung check must not need the list after the run. */
        fn = slot->check->run;
        checkOpaque = slot->check->opaque;
        pthread_mutex_unlock(&run->lock);

        rc = fn(w->domain, w->dconn, checkOpaque, slot);

        pthread_mutex_lock(&run->lock);
        slot->inRun = false;
        drop = virPMCSlotAfterRunLocked(slot, rc);
        if (drop)
            virPMCRunUnref(run); /* never the last: this worker holds one */
        if (slot->abandoned) {
            /* The runner counted this worker out and may have replaced it. */
            abandoned = true;
            break;
        }
        run->busyWorkers--;
    }
    pthread_mutex_unlock(&run->lock);
    /* Before the runner can return: the caller's own close of the domain or
     * connection must not happen behind its back on this thread. */
    workerDrop(w);
    if (abandoned) {
        /* The runner may be gone: this may be the last reference. */
        virPMCRunUnref(run);
        return NULL;
    }
    /* The runner holds its reference until every counted worker has left,
     * so this is never the last one. */
    pthread_mutex_lock(&run->lock);
    atomic_fetch_sub(&run->refs, 1);
    run->liveWorkers--;
    pthread_cond_broadcast(&run->doneCond);
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/* With run->lock held: enough workers for the queue, within the bound. */
static void
ensureWorkersLocked(virPMCRun *run)
{
    size_t queued = run->qtail - run->qhead;

    while (queued > run->liveWorkers - run->busyWorkers && run->liveWorkers < run->maxWorkers) {
        pthread_t tid;
        pthread_attr_t attr;
        virPMCWorker *w = calloc(1, sizeof(*w));
        int rc;

        if (!w)
            break;
        w->run = run;
        if (run->domain && virDomainRef(run->domain) == 0)
            w->domain = run->domain;
        if (run->dconn && virConnectRef(run->dconn) == 0)
            w->dconn = run->dconn;
        virPMCRunRef(run);
        pthread_attr_init(&attr);
        /* Detached: a hung check's worker is abandoned, never joined. */
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&tid, &attr, workerMain, w);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            atomic_fetch_sub(&run->refs, 1); /* the runner still holds one */
            workerDrop(w);
            break;
        }
        run->liveWorkers++;
    }
    if (run->liveWorkers == 0) {
        /* No thread could be made: the queued checks cannot run. */
        while (run->qhead < run->qtail)
            virPMCSlotFinalizeLocked(&run->slots[run->queue[run->qhead++]], VIR_PMC_STATUS_ERROR,
                                     "cannot start a worker thread");
    }
}

static void
enqueueLocked(virPMCRun *run, size_t idx)
{
    run->queue[run->qtail++] = idx;
    pthread_cond_signal(&run->workCond);
}

/* A non-blocking check, on this thread. */
static void
startInline(virPMCRun *run, virPMCResult *slot)
{
    int rc;

    slot->started = true;
    slot->startNs = virPMCNowNs();
    slot->deadlineNs = slot->startNs + run->timeoutNs;
    slot->refHeld = true;
    virPMCRunRef(run);
    rc = slot->check->run(run->domain, run->dconn, slot->check->opaque, slot);
    pthread_mutex_lock(&run->lock);
    if (virPMCSlotAfterRunLocked(slot, rc))
        virPMCRunUnref(run); /* never the last: the runner holds one */
    pthread_mutex_unlock(&run->lock);
}

static void
timeoutLocked(virPMCRun *run, virPMCResult *slot)
{
    char *msg = virPMCAsprintf("timed out after %llu ms", (unsigned long long)(run->timeoutNs / 1000000ull));

    virPMCSlotFinalizeLocked(slot, VIR_PMC_STATUS_ERROR, msg ? msg : "timed out");
    free(msg);
    if (slot->inRun) {
        /* Its worker is stuck in run: count it out so another can take the queue. */
        slot->abandoned = true;
        run->liveWorkers--;
        run->busyWorkers--;
    }
}

static void
cancelAllLocked(virPMCRun *run)
{
    size_t i;

    for (i = 0; i < run->nslots; i++)
        virPMCSlotFinalizeLocked(&run->slots[i], VIR_PMC_STATUS_ERROR, "cancelled");
}

/*
 * With run->lock held: wait until the watched slot (or, with SIZE_MAX, every
 * slot) is decided, expiring checks past their deadline. Returns false when
 * the cancel was triggered (every undecided slot is then "cancelled").
 */
static bool
waitLocked(virPMCRun *run, virPMCCancelPtr cancel, size_t watch)
{
    run->watch = watch;
    for (;;) {
        uint64_t now, next;
        struct timespec ts;

        if (watch == SIZE_MAX ? run->outstanding == 0 : run->slots[watch].final)
            return true;
        if (virPMCCancelIsTriggered(cancel)) {
            cancelAllLocked(run);
            return false;
        }
        now = virPMCNowNs();
        /* A check a worker starts while we sleep has a deadline past this. */
        next = now + run->timeoutNs;
        if (watch == SIZE_MAX) {
            size_t i;
            for (i = 0; i < run->nslots; i++) {
                virPMCResult *s = &run->slots[i];
                if (s->final || !s->started)
                    continue;
                if (s->deadlineNs <= now)
                    timeoutLocked(run, s);
                else if (s->deadlineNs < next)
                    next = s->deadlineNs;
            }
        } else {
            virPMCResult *s = &run->slots[watch];
            if (s->started && s->deadlineNs <= now)
                timeoutLocked(run, s);
            else if (s->started && s->deadlineNs < next)
                next = s->deadlineNs;
        }
        if (watch == SIZE_MAX ? run->outstanding == 0 : run->slots[watch].final)
            return true;
        ensureWorkersLocked(run);
        ts = virPMCDeadline(next);
        pthread_cond_timedwait(&run->doneCond, &run->lock, &ts);
    }
}

static void
cancelWake(void *opaque)
{
    virPMCRun *run = opaque;

    pthread_mutex_lock(&run->lock);
    run->cancelled = true;
    pthread_cond_broadcast(&run->doneCond);
    pthread_mutex_unlock(&run->lock);
}

static bool
isSkipped(const virPMCRunOptions *opts, const char *name)
{
    size_t i;

    for (i = 0; i < opts->nskip; i++) {
        if (opts->skip[i] && strcmp(opts->skip[i], name) == 0)
            return true;
    }
    return false;
}

static void
runParallel(virPMCRun *run, virPMCCancelPtr cancel)
{
    size_t i, nblocking = 0;

    if (virPMCCancelIsTriggered(cancel))
        goto wait; /* start nothing; the wait marks every check cancelled */
    for (i = 0; i < run->nslots; i++)
        nblocking += !run->slots[i].final && run->slots[i].blocking;
    run->maxWorkers = nblocking < VIR_PMC_MAX_WORKERS ? nblocking : VIR_PMC_MAX_WORKERS;

    /* Blocking checks first, so their workers run while the others start. */
    pthread_mutex_lock(&run->lock);
    for (i = 0; i < run->nslots; i++) {
        if (!run->slots[i].final && run->slots[i].blocking)
            enqueueLocked(run, i);
    }
    ensureWorkersLocked(run);
    pthread_mutex_unlock(&run->lock);

    for (i = 0; i < run->nslots && !virPMCCancelIsTriggered(cancel); i++) {
        virPMCResult *slot = &run->slots[i];
        /* `blocking` first: a worker may be finalizing a blocking slot right
         * now, under the lock; nobody but this thread touches a non-blocking
         * slot that has not started. */
        if (!slot->blocking && !slot->final)
            startInline(run, slot);
    }

wait:
    pthread_mutex_lock(&run->lock);
    waitLocked(run, cancel, SIZE_MAX);
    pthread_mutex_unlock(&run->lock);
}

static void
runSequential(virPMCRun *run, virPMCCancelPtr cancel)
{
    const char *failed = NULL;
    size_t i;

    run->maxWorkers = 1;
    for (i = 0; i < run->nslots; i++) {
        virPMCResult *slot = &run->slots[i];
        bool ok;

        if (slot->final)
            continue; /* skipped on request */
        if (failed) {
            char *msg = virPMCAsprintf("not reached: %s failed", failed);
            virPMCSlotFinalize(slot, VIR_PMC_STATUS_SKIPPED, msg ? msg : "not reached");
            free(msg);
            continue;
        }
        if (!virPMCCancelIsTriggered(cancel)) {
            if (slot->blocking) {
                pthread_mutex_lock(&run->lock);
                enqueueLocked(run, i);
                ensureWorkersLocked(run);
                pthread_mutex_unlock(&run->lock);
            } else {
                startInline(run, slot);
            }
        }
        pthread_mutex_lock(&run->lock);
        ok = waitLocked(run, cancel, i);
        pthread_mutex_unlock(&run->lock);
        if (!ok)
            return;
        if (slot->check->severity == VIR_PMC_SEVERITY_CRITICAL &&
            (slot->status == VIR_PMC_STATUS_FAIL || slot->status == VIR_PMC_STATUS_ERROR))
            failed = slot->check->name;
    }
}

static virPMCVerdict
verdictOf(const virPMCReport *report, unsigned int flags)
{
    virPMCVerdict v = VIR_PMC_VERDICT_ALLOWED;
    size_t i;

    if (report->cancelled)
        return VIR_PMC_VERDICT_BLOCKED;
    for (i = 0; i < report->count; i++) {
        const virPMCOutcome *o = &report->outcomes[i];
        if (o->status != VIR_PMC_STATUS_FAIL && o->status != VIR_PMC_STATUS_ERROR)
            continue;
        if (o->severity == VIR_PMC_SEVERITY_CRITICAL ||
            (o->severity == VIR_PMC_SEVERITY_WARNING && (flags & VIR_PMC_RUN_STRICT)))
            return VIR_PMC_VERDICT_BLOCKED;
        if (o->severity == VIR_PMC_SEVERITY_WARNING)
            v = VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS;
    }
    return v;
}

int
virPMCRunChecks(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, const virPMCRunOptions *opts,
                virPMCReportPtr report)
{
    static const virPMCRunOptions defaults;
    virPMCCancelListener listener;
    virPMCRun *run;
    void *runData;
    void (*releaseRunData)(void *runData) = NULL;
    size_t i;

    virPMCResetLastError();
    if (!list || !report) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%s is NULL", !list ? "the check list" : "the report");
        return -1;
    }
    /* A static list was never checked by virPMCCheckListAdd, and the fields
     * of any list are public: the same rules, before anything runs. */
    if (virPMCCheckListValidate(list) < 0)
        return -1;
    if (!opts)
        opts = &defaults;
    if (opts->nskip && !opts->skip) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "the options skip %zu names but give no array", opts->nskip);
        return -1;
    }
    if (opts->nextra < 0 || (opts->nextra > 0 && !opts->extra)) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "the options give %d extra parameters but no array", opts->nextra);
        return -1;
    }
    if (opts->nextra > 0) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "unknown run option '%.*s' (this libvirt-pmc knows none in extra)",
                          VIR_TYPED_PARAM_FIELD_LENGTH, opts->extra[0].field);
        return -1;
    }
    /* Before the run: a list with loaded checks fetches the facts they
     * read, for this run alone. */
    runData = virPMCCheckListPrepare(list, domain, dconn, &releaseRunData);
    memset(report, 0, sizeof(*report));
    if (!(run = virPMCRunNew(domain, dconn, list, opts->timeoutMs))) {
        if (releaseRunData)
            releaseRunData(runData);
        return -1;
    }
    run->runData = runData;
    run->releaseRunData = releaseRunData;
    if (list->count && !(report->outcomes = calloc(list->count, sizeof(*report->outcomes)))) {
        virPMCRunUnref(run);
        virPMCReportOOM();
        return -1;
    }

    for (i = 0; i < run->nslots; i++) {
        if (isSkipped(opts, run->slots[i].check->name))
            virPMCSlotFinalize(&run->slots[i], VIR_PMC_STATUS_SKIPPED, "skipped on request");
    }

    listener.fn = cancelWake;
    listener.opaque = run;
    virPMCCancelAddListener(opts->cancel, &listener);
    if (opts->flags & VIR_PMC_RUN_SEQUENTIAL)
        runSequential(run, opts->cancel);
    else
        runParallel(run, opts->cancel);
    virPMCCancelRemoveListener(opts->cancel, &listener);

    pthread_mutex_lock(&run->lock);
    /* Idle workers exit now. A worker still inside a decided check (timed
     * out, cancelled, completed from elsewhere) is abandoned: it keeps its
     * own reference and leaves when the check returns. */
    run->closing = true;
    pthread_cond_broadcast(&run->workCond);
    for (i = 0; i < run->nslots; i++) {
        virPMCResult *s = &run->slots[i];
        if (s->inRun && !s->abandoned) {
            s->abandoned = true;
            run->liveWorkers--;
            run->busyWorkers--;
        }
    }
    while (run->liveWorkers > 0)
        pthread_cond_wait(&run->doneCond, &run->lock);
    report->count = run->nslots;
    for (i = 0; i < run->nslots; i++) {
        virPMCResult *s = &run->slots[i];
        virPMCOutcome *o = &report->outcomes[i];
        o->name = virPMCStrdup(s->check->name);
        o->description = virPMCStrdup(s->check->description);
        o->origin = virPMCStrdup(s->check->origin ? s->check->origin : "c");
        o->severity = s->check->severity;
        o->status = (virPMCStatus)s->status;
        o->message = virPMCStrdup(s->message);
        o->details = virPMCStrdup(s->details);
        o->durationMs = (double)(s->endNs - s->startNs) / 1e6;
    }
    pthread_mutex_unlock(&run->lock);
    virPMCRunUnref(run);

    report->cancelled = virPMCCancelIsTriggered(opts->cancel);
    report->verdict = verdictOf(report, opts->flags);
    return 0;
}

void
virPMCReportClear(virPMCReportPtr report)
{
    size_t i;

    if (!report)
        return;
    for (i = 0; i < report->count; i++) {
        virPMCOutcome *o = &report->outcomes[i];
        free(o->name);
        free(o->description);
        free(o->origin);
        free(o->message);
        free(o->details);
    }
    free(report->outcomes);
    free(report->stateError);
    free(report->migrationError);
    if (report->migrated)
        virDomainFree(report->migrated);
    memset(report, 0, sizeof(*report));
}
