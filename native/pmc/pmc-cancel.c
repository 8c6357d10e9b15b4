/* pmc-cancel.c: a cancel flag that any thread may trigger, and that wakes
 * whoever is waiting on it (the runner, the migration monitor). */
#include "pmc-internal.h"

#include <stdlib.h>

struct _virPMCCancel {
    pthread_mutex_t lock;
    atomic_int triggered;
    virPMCCancelListener *listeners;
};

virPMCCancelPtr
virPMCCancelNew(void)
{
    virPMCCancelPtr c;

    virPMCResetLastError();
    if (!(c = calloc(1, sizeof(*c)))) {
        virPMCReportOOM();
        return NULL;
    }
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        virPMCReportError(VIR_PMC_ERR_SYSTEM, "cannot initialise the cancel's mutex");
        return NULL;
    }
    atomic_init(&c->triggered, 0);
    return c;
}

void
virPMCCancelTrigger(virPMCCancelPtr cancel)
{
    virPMCCancelListener *l;

    if (!cancel)
        return;
    pthread_mutex_lock(&cancel->lock);
    atomic_store(&cancel->triggered, 1);
    for (l = cancel->listeners; l; l = l->next)
        l->fn(l->opaque);
    pthread_mutex_unlock(&cancel->lock);
}

int
virPMCCancelIsTriggered(virPMCCancelPtr cancel)
{
    return cancel ? atomic_load(&cancel->triggered) : 0;
}

void
virPMCCancelFree(virPMCCancelPtr cancel)
{
    if (!cancel)
        return;
    pthread_mutex_destroy(&cancel->lock);
    free(cancel);
}

void
virPMCCancelAddListener(virPMCCancelPtr cancel, virPMCCancelListener *l)
{
    if (!cancel)
        return;
    pthread_mutex_lock(&cancel->lock);
    l->next = cancel->listeners;
    cancel->listeners = l;
    pthread_mutex_unlock(&cancel->lock);
}

void
virPMCCancelRemoveListener(virPMCCancelPtr cancel, virPMCCancelListener *l)
{
    virPMCCancelListener **p;

    if (!cancel)
        return;
    pthread_mutex_lock(&cancel->lock);
    for (p = &cancel->listeners; *p; p = &(*p)->next) {
        if (*p == l) {
            *p = l->next;
            break;
        }
    }
    pthread_mutex_unlock(&cancel->lock);
}
