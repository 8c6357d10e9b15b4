/*
 * pmc-result.c: a check's result slot and the refcounted run that owns the
 * slots. A result may arrive from any thread, before run returns, after a
 * timeout, or after the runner has returned: the slot stays valid until the
 * last reference goes, and a result for a decided slot is ignored.
 */
#include "pmc-internal.h"

#include <stdlib.h>
#include <string.h>

virPMCRun *
virPMCRunNew(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, unsigned int timeoutMs)
{
    virPMCRun *run = calloc(1, sizeof(*run));
    size_t i, n = list->count;

    if (!run) {
        virPMCReportOOM();
        return NULL;
    }
    if (!(run->slots = calloc(n ? n : 1, sizeof(*run->slots))) ||
        !(run->queue = calloc(n ? n : 1, sizeof(*run->queue)))) {
        free(run->slots);
        free(run);
        virPMCReportOOM();
        return NULL;
    }
    if (pthread_mutex_init(&run->lock, NULL) != 0) {
        free(run->queue);
        free(run->slots);
        free(run);
        virPMCReportError(VIR_PMC_ERR_SYSTEM, "cannot initialise the run's mutex");
        return NULL;
    }
    if (virPMCCondInit(&run->doneCond) < 0 || virPMCCondInit(&run->workCond) < 0) {
        /* Rare enough that destroying a possibly uninitialised second cond is moot. */
        pthread_mutex_destroy(&run->lock);
        free(run->queue);
        free(run->slots);
        free(run);
        virPMCReportError(VIR_PMC_ERR_SYSTEM, "cannot initialise the run's condition variables");
        return NULL;
    }
    atomic_init(&run->refs, 1);
    run->nslots = n;
    run->outstanding = n;
    run->watch = SIZE_MAX;
    run->timeoutNs = (uint64_t)(timeoutMs ? timeoutMs : 30000) * 1000000ull;
    for (i = 0; i < n; i++) {
        run->slots[i].run = run;
        run->slots[i].check = list->check[i];
        run->slots[i].index = i;
        run->slots[i].blocking = (list->check[i]->flags & VIR_PMC_CHECK_BLOCKING) != 0;
    }
    run->domain = domain;
    run->dconn = dconn;
    return run;
}

void
virPMCRunRef(virPMCRun *run)
{
    atomic_fetch_add(&run->refs, 1);
}

void
virPMCRunUnref(virPMCRun *run)
{
    size_t i;

    if (atomic_fetch_sub(&run->refs, 1) != 1)
        return;
    if (run->releaseRunData)
        run->releaseRunData(run->runData);
    for (i = 0; i < run->nslots; i++) {
        free(run->slots[i].message);
        free(run->slots[i].details);
    }
    pthread_cond_destroy(&run->workCond);
    pthread_cond_destroy(&run->doneCond);
    pthread_mutex_destroy(&run->lock);
    free(run->queue);
    free(run->slots);
    free(run);
}

void *
virPMCResultRunData(virPMCResultPtr result)
{
    return result ? result->run->runData : NULL;
}

void
virPMCSlotStoreLocked(virPMCResult *slot, int status, const char *message, const char *details)
{
    char *msg, *det;

    if (status < VIR_PMC_STATUS_PASS || status > VIR_PMC_STATUS_SKIPPED) {
        msg = virPMCAsprintf("the check set status %d, which is out of range", status);
        /* Keep what the check said, it helps its author. */
        det = virPMCStrdup(message ? message : details);
        status = VIR_PMC_STATUS_ERROR;
    } else {
        msg = virPMCStrdup(message);
        det = virPMCStrdup(details);
    }
    free(slot->message);
    free(slot->details);
    slot->message = msg;
    slot->details = det;
    slot->status = status;
    slot->set = true;
}

void
virPMCSlotFinalizeLocked(virPMCResult *slot, int status, const char *message)
{
    virPMCRun *run = slot->run;

    if (slot->final)
        return;
    if (message)
        virPMCSlotStoreLocked(slot, status, message, NULL);
    slot->final = true;
    slot->endNs = virPMCNowNs();
    if (!slot->started)
        slot->startNs = slot->endNs;
    run->outstanding--;
    if (run->outstanding == 0 || slot->index == run->watch)
        pthread_cond_broadcast(&run->doneCond);
}

void
virPMCSlotFinalize(virPMCResult *slot, int status, const char *message)
{
    pthread_mutex_lock(&slot->run->lock);
    virPMCSlotFinalizeLocked(slot, status, message);
    pthread_mutex_unlock(&slot->run->lock);
}

bool
virPMCSlotAfterRunLocked(virPMCResult *slot, int rc)
{
    bool drop;

    if (rc == VIR_PMC_RUN_PENDING)
        return false; /* virPMCResultComplete drops the reference */
    drop = slot->refHeld;
    slot->refHeld = false;
    if (slot->final)
        return drop;
    if (slot->run->cancelled) {
        /* The answer came after the cancel: the run no longer waits for it. */
        virPMCSlotFinalizeLocked(slot, VIR_PMC_STATUS_ERROR, "cancelled");
    } else if (rc != VIR_PMC_RUN_DONE) {
        char *msg = virPMCAsprintf("the check's run returned %d, neither DONE nor PENDING", rc);
        virPMCSlotFinalizeLocked(slot, VIR_PMC_STATUS_ERROR, msg ? msg : "invalid return from run");
        free(msg);
    } else if (!slot->set) {
        virPMCSlotFinalizeLocked(slot, VIR_PMC_STATUS_ERROR, "the check returned DONE without setting a result");
    } else {
        virPMCSlotFinalizeLocked(slot, slot->status, NULL);
    }
    return drop;
}

void
virPMCResultSet(virPMCResultPtr result, int status, const char *message, const char *details)
{
    if (!result)
        return;
    pthread_mutex_lock(&result->run->lock);
    if (!result->final)
        virPMCSlotStoreLocked(result, status, message, details);
    pthread_mutex_unlock(&result->run->lock);
}

void
virPMCResultComplete(virPMCResultPtr result, int status, const char *message, const char *details)
{
    virPMCRun *run;
    bool drop;

    if (!result)
        return;
    run = result->run;
    pthread_mutex_lock(&run->lock);
    if (!result->final && run->cancelled) {
        /* The answer came after the cancel: decided as the run's other undecided checks. */
        virPMCSlotFinalizeLocked(result, VIR_PMC_STATUS_ERROR, "cancelled");
    } else if (!result->final) {
        virPMCSlotStoreLocked(result, status, message, details);
        virPMCSlotFinalizeLocked(result, result->status, NULL);
    }
    drop = result->refHeld;
    result->refHeld = false;
    pthread_mutex_unlock(&run->lock);
    /* Outside the lock: this may be the last reference. */
    if (drop)
        virPMCRunUnref(run);
}
