/* pmc-util.c: time, strings and condition variables on the monotonic clock. */
#include "pmc-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t
virPMCNowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct timespec
virPMCDeadline(uint64_t ns)
{
    struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull), .tv_nsec = (long)(ns % 1000000000ull) };
    return ts;
}

/* Deadlines are monotonic, so a wall-clock jump cannot stretch a timeout. */
int
virPMCCondInit(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc;

    if (pthread_condattr_init(&attr) != 0)
        return -1;
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

void
virPMCCondWakeAll(pthread_mutex_t *lock, pthread_cond_t *cond)
{
    pthread_mutex_lock(lock);
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(lock);
}

char *
virPMCStrdup(const char *s)
{
    size_t n;
    char *r;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    if (!(r = malloc(n)))
        return NULL;
    memcpy(r, s, n);
    return r;
}

char *
virPMCAsprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *r;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(r = malloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(r, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return r;
}

int
virPMCCheckParams(virTypedParameterPtr params, int nparams)
{
    if (nparams < 0 || (nparams && !params)) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%d typed parameters%s", nparams,
                          nparams < 0 ? " is not a count" : " but no array");
        return -1;
    }
    return 0;
}
