/*
 * pmc-migrate.c: the RFC's virDomainMigratePMC. Runs the checks, re-reads the
 * domain's state, migrates; a monitor thread polls the job for progress and
 * aborts the job when the run is cancelled.
 */
#include "pmc-internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done; /* the migration call returned */
    virDomainPtr domain;
    const virPMCRunOptions *opts;
    uint64_t intervalNs;
    virPMCCancelListener listener;
} virPMCMonitor;

/* VIR_PMC_ERR_LIBVIRT, "<what>: <libvirt's message>"; libvirt's error stays set. */
static void
virPMCReportLibvirtError(const char *what)
{
    virErrorPtr err = virGetLastError();

    virPMCReportError(VIR_PMC_ERR_LIBVIRT, "%s: %s", what,
                      err && err->message ? err->message : "libvirt gave no reason");
}

/* Retry interval for virDomainAbortJob: the job may not have started yet. */
#define VIR_PMC_ABORT_RETRY_NS (100ull * 1000000ull)

const virPMCProgressField virPMCProgressFields[] = {
    { VIR_DOMAIN_JOB_TIME_ELAPSED, "elapsedMs", offsetof(virPMCProgress, timeElapsedMs) },
    { VIR_DOMAIN_JOB_DATA_TOTAL, "dataTotal", offsetof(virPMCProgress, dataTotal) },
    { VIR_DOMAIN_JOB_DATA_PROCESSED, "dataProcessed", offsetof(virPMCProgress, dataProcessed) },
    { VIR_DOMAIN_JOB_DATA_REMAINING, "dataRemaining", offsetof(virPMCProgress, dataRemaining) },
    { VIR_DOMAIN_JOB_MEMORY_TOTAL, "memTotal", offsetof(virPMCProgress, memTotal) },
    { VIR_DOMAIN_JOB_MEMORY_PROCESSED, "memProcessed", offsetof(virPMCProgress, memProcessed) },
    { VIR_DOMAIN_JOB_MEMORY_REMAINING, "memRemaining", offsetof(virPMCProgress, memRemaining) },
    { VIR_DOMAIN_JOB_MEMORY_DIRTY_RATE, "memDirtyRate", offsetof(virPMCProgress, memDirtyRate) },
    { VIR_DOMAIN_JOB_MEMORY_ITERATION, "iteration", offsetof(virPMCProgress, memIteration) },
    { VIR_DOMAIN_JOB_MEMORY_BPS, "memBps", offsetof(virPMCProgress, memBps) },
    { VIR_DOMAIN_JOB_DISK_TOTAL, "diskTotal", offsetof(virPMCProgress, diskTotal) },
    { VIR_DOMAIN_JOB_DISK_PROCESSED, "diskProcessed", offsetof(virPMCProgress, diskProcessed) },
    { VIR_DOMAIN_JOB_DISK_REMAINING, "diskRemaining", offsetof(virPMCProgress, diskRemaining) },
};
const size_t virPMCProgressFieldCount = sizeof(virPMCProgressFields) / sizeof(virPMCProgressFields[0]);

static void
monitorPoll(virPMCMonitor *m)
{
    virTypedParameterPtr params = NULL;
    int nparams = 0, type = VIR_DOMAIN_JOB_NONE;
    virPMCProgress p;
    size_t i;

    memset(&p, 0, sizeof(p));
    if (virDomainGetJobStats(m->domain, &type, &params, &nparams, 0) < 0) {
        virResetLastError(); /* no job yet, or already gone: not the run's error */
        return;
    }
    if (type != VIR_DOMAIN_JOB_NONE) {
        for (i = 0; i < virPMCProgressFieldCount; i++)
            virTypedParamsGetULLong(params, nparams, virPMCProgressFields[i].param,
                                    virPMCProgressFieldOf(&p, &virPMCProgressFields[i]));
    }
    virTypedParamsFree(params, nparams);
    if (type != VIR_DOMAIN_JOB_NONE)
        m->opts->progress(&p, m->opts->progressOpaque);
}

static void *
monitorMain(void *opaque)
{
    virPMCMonitor *m = opaque;
    bool aborted = false;
    uint64_t nextPoll = virPMCNowNs() + m->intervalNs;

    pthread_mutex_lock(&m->lock);
    while (!m->done) {
        uint64_t now = virPMCNowNs(), wake = nextPoll;
        struct timespec ts;

        if (!aborted && virPMCCancelIsTriggered(m->opts->cancel)) {
            int rc;
            pthread_mutex_unlock(&m->lock);
            rc = virDomainAbortJob(m->domain);
            if (rc < 0)
                virResetLastError();
            pthread_mutex_lock(&m->lock);
            if (rc == 0)
                aborted = true;
            else if (now + VIR_PMC_ABORT_RETRY_NS < wake)
                wake = now + VIR_PMC_ABORT_RETRY_NS;
            if (m->done)
                break;
        }
        if (now >= nextPoll) {
            nextPoll = now + m->intervalNs;
            if (m->opts->progress) {
                pthread_mutex_unlock(&m->lock);
                monitorPoll(m);
                pthread_mutex_lock(&m->lock);
            }
            continue;
        }
        ts = virPMCDeadline(wake);
        pthread_cond_timedwait(&m->cond, &m->lock, &ts);
    }
    pthread_mutex_unlock(&m->lock);
    return NULL;
}

static void
monitorWake(void *opaque)
{
    virPMCMonitor *m = opaque;

    virPMCCondWakeAll(&m->lock, &m->cond);
}

static void
copyLastError(virPMCReportPtr report, const char *fallback)
{
    virErrorPtr err = virGetLastError();

    free(report->migrationError);
    report->migrationError = virPMCStrdup(err && err->message ? err->message : fallback);
    report->migrationErrorCode = err ? err->code : 0;
    report->migrationErrorDomain = err ? err->domain : 0;
}

static bool
stateIsActive(int state)
{
    return state == VIR_DOMAIN_RUNNING || state == VIR_DOMAIN_BLOCKED || state == VIR_DOMAIN_PAUSED ||
           state == VIR_DOMAIN_PMSUSPENDED;
}

static char *
readStateError(const char *when)
{
    virErrorPtr err = virGetLastError();
    char *msg = virPMCAsprintf("cannot read the domain state %s: %s", when,
                               err && err->message ? err->message : "unknown error");
    virResetLastError();
    return msg;
}

/* The domain as the checks saw it vs now: NULL when it may still migrate. */
static char *
stateChange(virDomainPtr domain, int before, int beforeReason, unsigned int flags)
{
    int state, reason;

    if (virDomainGetState(domain, &state, &reason, 0) < 0)
        return readStateError("after the checks");
    if (stateIsActive(before) && !stateIsActive(state))
        return virPMCAsprintf("the domain stopped while the checks ran (%s, now %s)", virPMCDomainStateName(before),
                              virPMCDomainStateName(state));
    if (state == VIR_DOMAIN_PAUSED && reason == VIR_DOMAIN_PAUSED_IOERROR &&
        !(before == VIR_DOMAIN_PAUSED && beforeReason == VIR_DOMAIN_PAUSED_IOERROR))
        return virPMCAsprintf("the domain was paused on an I/O error while the checks ran");
    if ((flags & VIR_MIGRATE_LIVE) && !stateIsActive(state))
        return virPMCAsprintf("a live migration needs an active domain; it is %s", virPMCDomainStateName(state));
    return NULL;
}

int
virDomainMigratePMC(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, const virPMCRunOptions *opts,
                    virTypedParameterPtr params, int nparams, unsigned int flags, virPMCReportPtr report)
{
    static const virPMCRunOptions defaults;
    virPMCMonitor m;
    pthread_t tid;
    bool monitoring = false;
    int before, beforeReason;
    char *uri = NULL;
    uint64_t t0;
    int ret = -1;

    virPMCResetLastError();
    if (!domain || !list || !report) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "%s is NULL",
                          !domain ? "the domain"
                          : !list ? "the check list"
                                  : "the report");
        return -1;
    }
    if (virPMCCheckParams(params, nparams) < 0)
        return -1;
    if (!opts)
        opts = &defaults;
    /* virDomainMigrate3 needs dconn; peer-to-peer needs a URI from somewhere. */
    if (!dconn && !((flags & VIR_MIGRATE_PEER2PEER) && opts->dconnuri)) {
        virPMCReportError(VIR_PMC_ERR_INVALID_ARG,
                          "no destination: dconn is NULL and no peer-to-peer migration to opts->dconnuri");
        return -1;
    }

    if (virDomainGetState(domain, &before, &beforeReason, 0) < 0) {
        char *msg = readStateError("before the checks");
        if (virPMCRunChecks(domain, dconn, list, opts, report) < 0) {
            free(msg);
            return -1;
        }
        report->stateError = msg;
        return 0;
    }
    if (virPMCRunChecks(domain, dconn, list, opts, report) < 0)
        return -1;
    if ((opts->flags & VIR_PMC_RUN_REHEARSE) && !report->cancelled &&
        virPMCReportRehearse(report, domain, dconn, params, nparams, flags, opts) < 0)
        return -1;
    if (report->verdict == VIR_PMC_VERDICT_BLOCKED || report->cancelled)
        return 0;
    if ((report->stateError = stateChange(domain, before, beforeReason, flags)))
        return 0;
    /* Cancelled since the checks ended: still nothing to abort, so stop here. */
    if (virPMCCancelIsTriggered(opts->cancel)) {
        report->cancelled = 1;
        report->verdict = VIR_PMC_VERDICT_BLOCKED;
        return 0;
    }

    if (flags & VIR_MIGRATE_PEER2PEER) {
        if (opts->dconnuri) {
            if (!(uri = virPMCStrdup(opts->dconnuri))) {
                virPMCReportOOM();
                return -1;
            }
        } else if (!(uri = virConnectGetURI(dconn))) {
            report->migrationAttempted = 1;
            copyLastError(report, "cannot read the destination URI");
            virPMCReportLibvirtError("cannot read the destination URI");
            virResetLastError();
            return -1;
        }
    }

    memset(&m, 0, sizeof(m));
    m.domain = domain;
    m.opts = opts;
    m.intervalNs = (uint64_t)(opts->progressIntervalMs ? opts->progressIntervalMs : 500) * 1000000ull;
    if ((opts->progress || opts->cancel) && pthread_mutex_init(&m.lock, NULL) == 0) {
        if (virPMCCondInit(&m.cond) == 0) {
            m.listener.fn = monitorWake;
            m.listener.opaque = &m;
            virPMCCancelAddListener(opts->cancel, &m.listener);
            if (pthread_create(&tid, NULL, monitorMain, &m) == 0) {
                monitoring = true;
            } else {
                virPMCCancelRemoveListener(opts->cancel, &m.listener);
                pthread_cond_destroy(&m.cond);
                pthread_mutex_destroy(&m.lock);
            }
        } else {
            pthread_mutex_destroy(&m.lock);
        }
    }

    report->migrationAttempted = 1;
    t0 = virPMCNowNs();
    if (uri) {
        if (virDomainMigrateToURI3(domain, uri, params, (unsigned int)nparams, flags) == 0) {
            report->migrationSucceeded = 1;
            /* Where the domain runs now, when we can see the destination. */
            if (dconn) {
                unsigned char uuid[VIR_UUID_BUFLEN];
                if (virDomainGetUUID(domain, uuid) < 0 || !(report->migrated = virDomainLookupByUUID(dconn, uuid)))
                    virResetLastError();
            }
        }
    } else {
        virDomainPtr ddom = virDomainMigrate3(domain, dconn, params, (unsigned int)nparams, flags);
        if (ddom) {
            report->migrationSucceeded = 1;
            report->migrated = ddom;
        }
    }
    report->migrationMs = (double)(virPMCNowNs() - t0) / 1e6;
    if (report->migrationSucceeded) {
        ret = 0;
    } else {
        /* On this thread: libvirt's error is thread-local. It stays set for
         * a C caller, as after any failing libvirt call. */
        copyLastError(report, "the migration failed");
        virPMCReportLibvirtError("the migration failed");
    }

    if (monitoring) {
        virPMCCancelRemoveListener(opts->cancel, &m.listener);
        pthread_mutex_lock(&m.lock);
        m.done = true;
        pthread_cond_broadcast(&m.cond);
        pthread_mutex_unlock(&m.lock);
        pthread_join(tid, NULL);
        pthread_cond_destroy(&m.cond);
        pthread_mutex_destroy(&m.lock);
    }
    if (virPMCCancelIsTriggered(opts->cancel))
        report->cancelled = 1;
    free(uri);
    return ret;
}
