/*
 * pmc_test.c: self-checking test of the C core (native/pmc) on libvirt's test
 * driver. One function per case, run by DO_TEST in main (libvirt's tests/ habit);
 * one line per case; the last line is "N passed, N failed"; the exit
 * status is non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "pmc.h"
#include "pmc-extend.h" /* virPMCProgressFields */

static int passed, failed;
static int caseFailed;

#define EXPECT(cond)                                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            printf("  expected: %s (line %d)\n", #cond, __LINE__);                                                     \
            caseFailed = 1;                                                                                            \
        }                                                                                                              \
    } while (0)

#define STREQ(a, b) ((a) && (b) && strcmp((a), (b)) == 0)

static void
endCase(const char *name)
{
    printf("%s - %s\n", caseFailed ? "FAIL" : "ok", name);
    if (caseFailed)
        failed++;
    else
        passed++;
    caseFailed = 0;
}

static double
nowMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
sleepMs(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* libvirt prints errors to stderr unless told otherwise. */
static void
quietErrors(void *opaque, virErrorPtr err)
{
    (void)opaque;
    (void)err;
}

/* ---- checks ---- */

static int
runPass(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, CHECK_SUCCESS, "fine", NULL);
    return VIR_PMC_RUN_DONE;
}

static int
runFail(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, CHECK_FAIL, "not fine", "some details");
    return VIR_PMC_RUN_DONE;
}

static int
runError(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, VIR_PMC_STATUS_ERROR, "could not tell", NULL);
    return VIR_PMC_RUN_DONE;
}

static int
runUnset(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    return VIR_PMC_RUN_DONE;
}

static int
runBadStatus(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, 42, "strange", NULL);
    return VIR_PMC_RUN_DONE;
}

static int
runBadReturn(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, CHECK_SUCCESS, "fine", NULL);
    return 7;
}

/* A PENDING check: a thread completes it after `delayMs`. */
typedef struct {
    int delayMs;
    int status;
    atomic_int finished;
} laterArgs;

typedef struct {
    laterArgs *args;
    virPMCResultPtr result;
} laterJob;

static void *
laterMain(void *opaque)
{
    laterJob *job = opaque;
    sleepMs(job->args->delayMs);
    virPMCResultComplete(job->result, job->args->status, "completed later", NULL);
    atomic_store(&job->args->finished, 1);
    free(job);
    return NULL;
}

static int
runLater(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    laterJob *job = malloc(sizeof(*job));
    pthread_t tid;
    pthread_attr_t attr;

    job->args = o;
    job->result = r;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&tid, &attr, laterMain, job);
    pthread_attr_destroy(&attr);
    return VIR_PMC_RUN_PENDING;
}

/* A PENDING check whose result the test hands in by hand. */
static virPMCResultPtr heldResult;
static int
runHold(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    heldResult = r;
    return VIR_PMC_RUN_PENDING;
}

/* A BLOCKING check that sleeps; counts how many run at once. */
static atomic_int concurrent, maxConcurrent, sleepersDone;
static int
runSleep(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    int now = atomic_fetch_add(&concurrent, 1) + 1;
    int max = atomic_load(&maxConcurrent);
    while (now > max && !atomic_compare_exchange_weak(&maxConcurrent, &max, now))
        ;
    sleepMs((int)(size_t)o);
    atomic_fetch_sub(&concurrent, 1);
    virPMCResultSet(r, CHECK_SUCCESS, "slept", NULL);
    atomic_fetch_add(&sleepersDone, 1);
    return VIR_PMC_RUN_DONE;
}

/* A BLOCKING check that calls libvirt, as C checks do. */
static int
runState(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    int state, reason;
    if (virDomainGetState(d, &state, &reason, 0) < 0 || !c) {
        virPMCResultSet(r, VIR_PMC_STATUS_ERROR, "cannot read the state", NULL);
        return VIR_PMC_RUN_DONE;
    }
    virPMCResultSet(r, state == VIR_DOMAIN_RUNNING ? CHECK_SUCCESS : CHECK_FAIL, "state read", NULL);
    return VIR_PMC_RUN_DONE;
}

static int
runDestroy(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCResultSet(r, virDomainDestroy(d) == 0 ? CHECK_SUCCESS : VIR_PMC_STATUS_ERROR, "destroyed", NULL);
    return VIR_PMC_RUN_DONE;
}

static int
runCancelSelf(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    virPMCCancelTrigger(o);
    virPMCResultSet(r, CHECK_SUCCESS, "cancelled the run", NULL);
    return VIR_PMC_RUN_DONE;
}

static atomic_int counted;
static int
runCount(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    atomic_fetch_add(&counted, 1);
    virPMCResultSet(r, CHECK_SUCCESS, NULL, NULL);
    return VIR_PMC_RUN_DONE;
}

/* Many PENDING checks, completed together by another thread, as the JS
 * trampoline does: run only records where to answer. */
static virPMCResultPtr *manyResults;
static atomic_int manyStarted;
static int
runRecord(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    manyResults[(size_t)o] = r;
    atomic_fetch_add(&manyStarted, 1);
    return VIR_PMC_RUN_PENDING;
}

static void *
completeMany(void *opaque)
{
    int i, n = (int)(size_t)opaque;
    while (atomic_load(&manyStarted) < n)
        sleepMs(1);
    for (i = 0; i < n; i++)
        virPMCResultComplete(manyResults[i], CHECK_SUCCESS, "ok", NULL);
    return NULL;
}

static atomic_int progressCalls;
static void
onProgress(const virPMCProgress *p, void *opaque)
{
    atomic_fetch_add(&progressCalls, 1);
}

static void *
cancelAfter(void *opaque)
{
    sleepMs(50);
    virPMCCancelTrigger(opaque);
    return NULL;
}

/* ---- helpers ---- */

#define CHECK(n, sev, fn)                                                                                              \
    {                                                                                                                  \
        .name = (n), .description = "test check", .severity = (sev), .run = (fn)                                       \
    }

static virPMCCheckListPtr
listOf(virPMCCheck *checks, size_t n)
{
    virPMCCheckListPtr list = virPMCCheckListNew();
    size_t i;
    for (i = 0; i < n; i++) {
        if (virPMCCheckListAdd(list, &checks[i]) < 0) {
            printf("  cannot add %s\n", checks[i].name);
            caseFailed = 1;
        }
    }
    return list;
}

static const virPMCOutcome *
outcome(const virPMCReport *rep, const char *name)
{
    size_t i;
    for (i = 0; i < rep->count; i++) {
        if (STREQ(rep->outcomes[i].name, name))
            return &rep->outcomes[i];
    }
    return NULL;
}

static int
statusOf(const virPMCReport *rep, const char *name)
{
    const virPMCOutcome *o = outcome(rep, name);
    return o ? (int)o->status : -1;
}

static const char *
messageOf(const virPMCReport *rep, const char *name)
{
    const virPMCOutcome *o = outcome(rep, name);
    return o && o->message ? o->message : "";
}

/* One severity/status pair → the verdict, with and without strict. */
/* The calling thread's last pmc error has `code` and a message containing `part`. */
static int
lastErrorIs(int code, const char *part)
{
    const virPMCError *e = virPMCGetLastError();

    if (e && e->code == code && e->message && strstr(e->message, part))
        return 1;
    printf("  last error: %d %s (wanted %d, \"%s\")\n", e ? e->code : 0, e && e->message ? e->message : "(none)", code,
           part);
    return 0;
}

static void *
readLastError(void *opaque)
{
    *(const virPMCError **)opaque = virPMCGetLastError();
    return NULL;
}

static int
verdictFor(virPMCSeverity sev, virPMCCheckRun fn, unsigned int flags)
{
    virPMCCheck c[] = { CHECK("a.pass", VIR_PMC_SEVERITY_CRITICAL, runPass), CHECK("b.x", sev, fn) };
    virPMCCheckListPtr list = listOf(c, 2);
    virPMCRunOptions opts = { .flags = flags };
    virPMCReport rep;
    int v;

    virPMCRunChecks(NULL, NULL, list, &opts, &rep);
    v = rep.verdict;
    virPMCReportClear(&rep);
    virPMCCheckListFree(list);
    return v;
}

/* The test driver's domain "test" on one connection, and a second connection as the destination. */
static virConnectPtr conn, dconn;
static virDomainPtr dom;

/* Runs the checks c[0..n-1] on the test domain, through a list made for this run only. */
static int
runListed(virPMCCheck *c, size_t n, const virPMCRunOptions *opts, virPMCReport *rep)
{
    virPMCCheckListPtr list = listOf(c, n);
    int ret = virPMCRunChecks(dom, dconn, list, opts, rep);

    virPMCCheckListFree(list);
    return ret;
}

/* The same through virDomainMigratePMC, with the migration's flags. */
static int
migrateListed(virPMCCheck *c, size_t n, const virPMCRunOptions *opts, unsigned int flags, virPMCReport *rep)
{
    virPMCCheckListPtr list = listOf(c, n);
    int ret = virDomainMigratePMC(dom, dconn, list, opts, NULL, 0, flags, rep);

    virPMCCheckListFree(list);
    return ret;
}

static void
testListAdd(void)
{
    virPMCCheck c[] = {
        CHECK("a.one", VIR_PMC_SEVERITY_CRITICAL, runPass), CHECK("a.one", VIR_PMC_SEVERITY_WARNING, runPass),
        CHECK("a.norun", VIR_PMC_SEVERITY_CRITICAL, NULL),  CHECK("", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("a.badsev", (virPMCSeverity)7, runPass),
    };
    virPMCCheckListPtr list = virPMCCheckListNew();
    char names[300][24];
    virPMCCheck many[300];
    int i;

    EXPECT(virPMCCheckListAdd(list, &c[0]) == 0);
    EXPECT(virPMCCheckListAdd(list, &c[1]) == -1);
    EXPECT(virPMCCheckListAdd(list, &c[2]) == -1);
    EXPECT(virPMCCheckListAdd(list, &c[3]) == -1);
    EXPECT(virPMCCheckListAdd(list, &c[4]) == -1);
    EXPECT(virPMCCheckListAdd(list, NULL) == -1);
    /* Enough to grow the array and the name index several times. */
    for (i = 0; i < 300; i++) {
        snprintf(names[i], sizeof(names[i]), "many.%d", i);
        many[i] = (virPMCCheck)CHECK(names[i], VIR_PMC_SEVERITY_INFO, runPass);
        EXPECT(virPMCCheckListAdd(list, &many[i]) == 0);
    }
    EXPECT(virPMCCheckListAdd(list, &many[123]) == -1);
    EXPECT(list->count == 301);
    EXPECT(list->check[301] == NULL);
    EXPECT(virPMCCheckListFind(list, "a.one") == &c[0]);
    EXPECT(virPMCCheckListFind(list, "many.299") == &many[299]);
    EXPECT(virPMCCheckListFind(list, "nope") == NULL);
    virPMCCheckListFree(list);
}

static void
testRunBadArguments(void)
{
    virPMCReport rep;
    virPMCCheck c[] = { CHECK("a.pass", VIR_PMC_SEVERITY_CRITICAL, runPass) };
    virPMCCheckListPtr list = listOf(c, 1);
    virPMCCheck bad = CHECK("x.null", VIR_PMC_SEVERITY_CRITICAL, NULL);
    virPMCCheck *arr[] = { &bad, NULL };
    virPMCCheckList raw = { .count = 1, .check = arr };
    EXPECT(virPMCRunChecks(dom, dconn, NULL, NULL, &rep) == -1);
    EXPECT(virPMCRunChecks(dom, dconn, list, NULL, NULL) == -1);
    EXPECT(virPMCRunChecks(dom, dconn, &raw, NULL, &rep) == -1);
    EXPECT(virDomainMigratePMC(NULL, dconn, list, NULL, NULL, 0, 0, &rep) == -1);
    virPMCCheckListFree(list);
}

static void
testErrorDuplicate(void)
{
    virPMCCheck c[] = {
        CHECK("e.one", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("e.one", VIR_PMC_SEVERITY_WARNING, runPass),
    };
    virPMCCheckListPtr list = virPMCCheckListNew();
    EXPECT(list && virPMCGetLastError() == NULL);
    EXPECT(virPMCCheckListAdd(list, &c[0]) == 0);
    EXPECT(virPMCCheckListAdd(list, &c[1]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_DUPLICATE_CHECK, "duplicate check name e.one"));
    virPMCCheckListFree(list);
}

static void
testErrorInvalidCheck(void)
{
    virPMCReport rep;
    virPMCCheck c[] = {
        CHECK("e.norun", VIR_PMC_SEVERITY_CRITICAL, NULL),
        CHECK("", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("e.badsev", (virPMCSeverity)7, runPass),
        CHECK("e.badflags", VIR_PMC_SEVERITY_CRITICAL, runPass),
    };
    virPMCCheck *arr[] = { &c[0], NULL };
    virPMCCheckList raw = { .count = 1, .check = arr };
    virPMCCheckListPtr list = virPMCCheckListNew();
    EXPECT(virPMCCheckListAdd(list, &c[0]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_CHECK, "check e.norun has no run function"));
    EXPECT(virPMCCheckListAdd(list, &c[1]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_CHECK, "a check needs a name"));
    EXPECT(virPMCCheckListAdd(list, &c[2]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_CHECK, "check e.badsev has severity 7"));
    /* Bits kept free for a later, larger virPMCCheck (pmc.h's ABI). */
    c[3].flags = VIR_PMC_CHECK_BLOCKING | (1u << 5);
    EXPECT(virPMCCheckListAdd(list, &c[3]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_CHECK, "check e.badflags has unknown flags 0x20"));
    EXPECT(virPMCRunChecks(dom, dconn, &raw, NULL, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_CHECK, "check e.norun has no run function"));
    virPMCCheckListFree(list);
}

static void
testErrorInvalidArg(void)
{
    virPMCReport rep;
    virPMCCheck c[] = { CHECK("e.pass", VIR_PMC_SEVERITY_CRITICAL, runPass) };
    virPMCCheckListPtr list = listOf(c, 1);
    virPMCRunOptions noSkipArray = { .nskip = 2 };
    virTypedParameter later = { .field = "pmc.later", .type = VIR_TYPED_PARAM_INT };
    virPMCRunOptions noExtraArray = { .nextra = 1 };
    virPMCRunOptions unknownExtra = { .extra = &later, .nextra = 1 };
    EXPECT(virPMCCheckListAdd(NULL, &c[0]) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "the check list is NULL"));
    EXPECT(virPMCCheckListAdd(list, NULL) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "the check is NULL"));
    EXPECT(virPMCRunChecks(dom, dconn, NULL, NULL, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "the check list is NULL"));
    EXPECT(virPMCRunChecks(dom, dconn, list, NULL, NULL) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "the report is NULL"));
    EXPECT(virPMCRunChecks(dom, dconn, list, &noSkipArray, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "skip 2 names but give no array"));
    EXPECT(virPMCRunChecks(dom, dconn, list, &noExtraArray, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "give 1 extra parameters but no array"));
    /* 1.0 knows no extra option: a caller relying on a later one hears so. */
    EXPECT(virPMCRunChecks(dom, dconn, list, &unknownExtra, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "unknown run option 'pmc.later'"));
    EXPECT(virDomainMigratePMC(NULL, dconn, list, NULL, NULL, 0, 0, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "the domain is NULL"));
    EXPECT(virDomainMigratePMC(dom, dconn, list, NULL, NULL, -1, 0, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "-1 typed parameters is not a count"));
    EXPECT(virDomainMigratePMC(dom, NULL, list, NULL, NULL, 0, VIR_MIGRATE_LIVE, &rep) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "no destination"));
    virPMCCheckListFree(list);
}

static void
testErrorPerThread(void)
{
    virPMCReport rep;
    virPMCCheck c[] = { CHECK("e.pass", VIR_PMC_SEVERITY_CRITICAL, runPass) };
    const virPMCError *other = (const virPMCError *)1;
    pthread_t tid;
    EXPECT(virPMCRunChecks(dom, dconn, NULL, NULL, &rep) == -1);
    EXPECT(virPMCGetLastError() != NULL);
    /* Per thread, like libvirt's: another thread has none of its own. */
    EXPECT(pthread_create(&tid, NULL, readLastError, &other) == 0 && pthread_join(tid, NULL) == 0);
    EXPECT(other == NULL);
    /* A call that succeeds starts by clearing it. */
    EXPECT(runListed(c, 1, NULL, &rep) == 0);
    EXPECT(virPMCGetLastError() == NULL);
    virPMCReportClear(&rep);
    EXPECT(virPMCRunChecks(dom, dconn, NULL, NULL, &rep) == -1);
    virPMCResetLastError();
    EXPECT(virPMCGetLastError() == NULL);
}

static void
testRunStaticList(void)
{
    virPMCReport rep;
    /* The RFC's static list works as is. */
    virPMCCheck chk1 = CHECK("rfc.one", VIR_PMC_SEVERITY_CRITICAL, runPass);
    virPMCCheck chk2 = CHECK("rfc.two", VIR_PMC_SEVERITY_CRITICAL, runPass);
    virPMCCheck *arr[] = { &chk1, &chk2, NULL };
    virPMCCheckList chklist = { .count = 2, .check = arr };
    EXPECT(virPMCRunChecks(dom, dconn, &chklist, NULL, &rep) == 0);
    EXPECT(rep.count == 2 && rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    EXPECT(STREQ(rep.outcomes[0].origin, "c"));
    virPMCReportClear(&rep);
}

/* Issue 19 item 8: a static list has no private part; finding in it must
 * not write past it (guard words right behind it catch the write). */
static void
testStaticListFind(void)
{
    virPMCCheck chk1 = CHECK("rfc.one", VIR_PMC_SEVERITY_CRITICAL, runPass);
    virPMCCheck chk2 = CHECK("rfc.two", VIR_PMC_SEVERITY_CRITICAL, runPass);
    virPMCCheck extra = CHECK("rfc.three", VIR_PMC_SEVERITY_CRITICAL, runPass);
    virPMCCheck *arr[] = { &chk1, &chk2, NULL };
    struct {
        virPMCCheckList list;
        size_t guard[8];
    } s = { { .count = 2, .check = arr }, { 1, 2, 3, 4, 5, 6, 7, 8 } };
    size_t i;

    EXPECT(virPMCCheckListFind(&s.list, "rfc.two") == &chk2);
    EXPECT(virPMCCheckListFind(&s.list, "rfc.one") == &chk1);
    EXPECT(virPMCCheckListFind(&s.list, "nope") == NULL);
    for (i = 0; i < 8; i++)
        EXPECT(s.guard[i] == i + 1);
    /* Adding needs room the caller's array does not have: refused, with a reason. */
    EXPECT(virPMCCheckListAdd(&s.list, &extra) == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "virPMCCheckListNew"));
    EXPECT(s.list.count == 2 && arr[2] == NULL);
    for (i = 0; i < 8; i++)
        EXPECT(s.guard[i] == i + 1);
    virPMCCheckListFree(&s.list); /* not ours: left alone */
    EXPECT(s.list.count == 2 && s.list.check == arr);
}

/* Issue 19 item 8: what virPMCCheckListAdd refuses, virPMCRunChecks refuses
 * in a static list too, and no check of it runs. */
static atomic_int staticRuns;
static int
runCounted(virDomainPtr d, virConnectPtr c, void *o, virPMCResultPtr r)
{
    atomic_fetch_add(&staticRuns, 1);
    virPMCResultSet(r, CHECK_FAIL, "ran", NULL);
    return VIR_PMC_RUN_DONE;
}

static void
testStaticListValidated(void)
{
    struct {
        virPMCCheck bad;
        int code;
        const char *reason;
    } cases[] = {
        { CHECK("s.sev", (virPMCSeverity)7, runCounted), VIR_PMC_ERR_INVALID_CHECK, "check s.sev has severity 7" },
        { CHECK("s.neg", (virPMCSeverity)-1, runCounted), VIR_PMC_ERR_INVALID_CHECK, "check s.neg has severity -1" },
        { CHECK("s.flags", VIR_PMC_SEVERITY_CRITICAL, runCounted), VIR_PMC_ERR_INVALID_CHECK,
          "check s.flags has unknown flags 0x80" },
        { CHECK("", VIR_PMC_SEVERITY_CRITICAL, runCounted), VIR_PMC_ERR_INVALID_CHECK,
          "a check needs a name (check 1 of the list)" },
        { CHECK("s.ok", VIR_PMC_SEVERITY_CRITICAL, runCounted), VIR_PMC_ERR_DUPLICATE_CHECK,
          "duplicate check name s.ok" },
    };
    virPMCCheck ok = CHECK("s.ok", VIR_PMC_SEVERITY_CRITICAL, runCounted);
    size_t i;

    cases[2].bad.flags = 0x80;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        virPMCReport rep;
        virPMCCheck *arr[] = { &ok, &cases[i].bad, NULL };
        virPMCCheckList list = { .count = 2, .check = arr };

        memset(&rep, 0, sizeof(rep));
        atomic_store(&staticRuns, 0);
        EXPECT(virPMCRunChecks(dom, dconn, &list, NULL, &rep) == -1);
        EXPECT(lastErrorIs(cases[i].code, cases[i].reason));
        EXPECT(atomic_load(&staticRuns) == 0);
        EXPECT(rep.count == 0 && rep.outcomes == NULL);
    }
}

static void
testRunStatuses(void)
{
    virPMCReport rep;
    virPMCCheck c[] = {
        CHECK("r.pass", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("r.fail", VIR_PMC_SEVERITY_WARNING, runFail),
        CHECK("r.error", VIR_PMC_SEVERITY_INFO, runError),
        CHECK("r.unset", VIR_PMC_SEVERITY_INFO, runUnset),
        CHECK("r.badstatus", VIR_PMC_SEVERITY_INFO, runBadStatus),
        CHECK("r.badreturn", VIR_PMC_SEVERITY_INFO, runBadReturn),
    };
    c[0].origin = "builtin";
    EXPECT(runListed(c, 6, NULL, &rep) == 0);
    EXPECT(rep.count == 6);
    EXPECT(STREQ(rep.outcomes[0].name, "r.pass") && STREQ(rep.outcomes[5].name, "r.badreturn"));
    EXPECT(STREQ(rep.outcomes[0].origin, "builtin") && STREQ(rep.outcomes[0].description, "test check"));
    EXPECT(statusOf(&rep, "r.pass") == VIR_PMC_STATUS_PASS && STREQ(messageOf(&rep, "r.pass"), "fine"));
    EXPECT(statusOf(&rep, "r.fail") == VIR_PMC_STATUS_FAIL);
    EXPECT(STREQ(outcome(&rep, "r.fail")->details, "some details"));
    EXPECT(statusOf(&rep, "r.error") == VIR_PMC_STATUS_ERROR);
    EXPECT(statusOf(&rep, "r.unset") == VIR_PMC_STATUS_ERROR);
    EXPECT(strstr(messageOf(&rep, "r.unset"), "without setting a result") != NULL);
    EXPECT(statusOf(&rep, "r.badstatus") == VIR_PMC_STATUS_ERROR);
    EXPECT(strstr(messageOf(&rep, "r.badstatus"), "out of range") != NULL);
    EXPECT(statusOf(&rep, "r.badreturn") == VIR_PMC_STATUS_ERROR);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS);
    EXPECT(!rep.cancelled && !rep.migrationAttempted);
    virPMCReportClear(&rep);
    EXPECT(rep.count == 0 && rep.outcomes == NULL);
}

static void
testRunPending(void)
{
    virPMCReport rep;
    laterArgs la = { .delayMs = 60, .status = CHECK_SUCCESS };
    virPMCCheck c[] = { CHECK("p.later", VIR_PMC_SEVERITY_CRITICAL, runLater) };
    virPMCCheckListPtr list;
    c[0].opaque = &la;
    list = listOf(c, 1);
    EXPECT(virPMCRunChecks(dom, dconn, list, NULL, &rep) == 0);
    EXPECT(statusOf(&rep, "p.later") == VIR_PMC_STATUS_PASS);
    EXPECT(STREQ(messageOf(&rep, "p.later"), "completed later"));
    EXPECT(rep.outcomes[0].durationMs >= 50);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    virPMCReportClear(&rep);
    while (!atomic_load(&la.finished))
        sleepMs(5);
    virPMCCheckListFree(list);
}

static void
testRunTimeouts(void)
{
    virPMCReport rep;
    double t0, elapsed;
    /* A hung BLOCKING check and a late PENDING one: the run ends at the
     * timeout; their late results are ignored, safely. */
    laterArgs la = { .delayMs = 1000, .status = CHECK_FAIL };
    virPMCCheck c[] = {
        CHECK("t.sleep", VIR_PMC_SEVERITY_WARNING, runSleep),
        CHECK("t.late", VIR_PMC_SEVERITY_WARNING, runLater),
        CHECK("t.quick", VIR_PMC_SEVERITY_CRITICAL, runSleep),
    };
    virPMCCheckListPtr list;
    virPMCRunOptions opts = { .timeoutMs = 100 };
    c[0].flags = VIR_PMC_CHECK_BLOCKING;
    c[0].opaque = (void *)(size_t)1000;
    c[1].opaque = &la;
    c[2].flags = VIR_PMC_CHECK_BLOCKING;
    c[2].opaque = (void *)(size_t)10;
    list = listOf(c, 3);
    atomic_store(&sleepersDone, 0);
    t0 = nowMs();
    EXPECT(virPMCRunChecks(dom, dconn, list, &opts, &rep) == 0);
    elapsed = nowMs() - t0;
    EXPECT(elapsed >= 90 && elapsed < 800); /* loose: shared CI cores */
    EXPECT(statusOf(&rep, "t.sleep") == VIR_PMC_STATUS_ERROR);
    EXPECT(STREQ(messageOf(&rep, "t.sleep"), "timed out after 100 ms"));
    EXPECT(statusOf(&rep, "t.late") == VIR_PMC_STATUS_ERROR);
    EXPECT(STREQ(messageOf(&rep, "t.late"), "timed out after 100 ms"));
    EXPECT(statusOf(&rep, "t.quick") == VIR_PMC_STATUS_PASS);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS);
    virPMCReportClear(&rep);
    /* Let the late ones finish into their (still valid) slots. */
    while (!atomic_load(&la.finished) || atomic_load(&sleepersDone) < 2)
        sleepMs(5);
    sleepMs(20);
    virPMCCheckListFree(list);
    printf("  run took %.0f ms with a 100 ms timeout\n", elapsed);
}

static void
testSequentialHungWorker(void)
{
    virPMCReport rep;
    /* Sequential, with a hung BLOCKING check: the next one still runs. */
    virPMCCheck c[] = {
        CHECK("s.hang", VIR_PMC_SEVERITY_WARNING, runSleep),
        CHECK("s.next", VIR_PMC_SEVERITY_CRITICAL, runState),
    };
    virPMCCheckListPtr list;
    virPMCRunOptions opts = { .flags = VIR_PMC_RUN_SEQUENTIAL, .timeoutMs = 50 };
    c[0].flags = c[1].flags = VIR_PMC_CHECK_BLOCKING;
    c[0].opaque = (void *)(size_t)200;
    list = listOf(c, 2);
    atomic_store(&sleepersDone, 0);
    EXPECT(virPMCRunChecks(dom, dconn, list, &opts, &rep) == 0);
    EXPECT(statusOf(&rep, "s.hang") == VIR_PMC_STATUS_ERROR);
    EXPECT(statusOf(&rep, "s.next") == VIR_PMC_STATUS_PASS);
    virPMCReportClear(&rep);
    while (atomic_load(&sleepersDone) < 1)
        sleepMs(5);
    sleepMs(20);
    virPMCCheckListFree(list);
}

static void
testRunBlockingPool(void)
{
    virPMCReport rep;
    double t0, elapsed;
    /* 20 BLOCKING checks of 30 ms: at most 8 at once, all pass, ~3 waves. */
    virPMCCheck c[20];
    char names[20][24];
    int i;
    for (i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "b.%d", i);
        c[i] = (virPMCCheck)CHECK(names[i], VIR_PMC_SEVERITY_CRITICAL, runSleep);
        c[i].flags = VIR_PMC_CHECK_BLOCKING;
        c[i].opaque = (void *)(size_t)30;
    }
    c[19].run = runState;
    atomic_store(&maxConcurrent, 0);
    t0 = nowMs();
    EXPECT(runListed(c, 20, NULL, &rep) == 0);
    elapsed = nowMs() - t0;
    for (i = 0; i < 20; i++)
        EXPECT(rep.outcomes[i].status == VIR_PMC_STATUS_PASS);
    EXPECT(atomic_load(&maxConcurrent) >= 2 && atomic_load(&maxConcurrent) <= 8);
    EXPECT(elapsed < 550); /* one at a time would take 600 */
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    printf("  20 blocking checks of 30 ms: %.0f ms, at most %d at once\n", elapsed, atomic_load(&maxConcurrent));
    virPMCReportClear(&rep);
}

static void
testCancelBefore(void)
{
    virPMCReport rep;
    virPMCCancelPtr cancel = virPMCCancelNew();
    virPMCCheck c[] = {
        CHECK("c.pass", VIR_PMC_SEVERITY_CRITICAL, runCount),
        CHECK("c.block", VIR_PMC_SEVERITY_CRITICAL, runCount),
        CHECK("c.skip", VIR_PMC_SEVERITY_CRITICAL, runCount),
    };
    const char *skip[] = { "c.skip" };
    virPMCRunOptions opts = { .cancel = cancel, .skip = skip, .nskip = 1 };
    virPMCCheckListPtr list;
    c[1].flags = VIR_PMC_CHECK_BLOCKING;
    list = listOf(c, 3);
    atomic_store(&counted, 0);
    virPMCCancelTrigger(cancel);
    EXPECT(virPMCCancelIsTriggered(cancel));
    EXPECT(virPMCRunChecks(dom, dconn, list, &opts, &rep) == 0);
    EXPECT(atomic_load(&counted) == 0);
    EXPECT(statusOf(&rep, "c.pass") == VIR_PMC_STATUS_ERROR && STREQ(messageOf(&rep, "c.pass"), "cancelled"));
    EXPECT(statusOf(&rep, "c.block") == VIR_PMC_STATUS_ERROR);
    EXPECT(statusOf(&rep, "c.skip") == VIR_PMC_STATUS_SKIPPED);
    EXPECT(rep.cancelled == 1 && rep.verdict == VIR_PMC_VERDICT_BLOCKED);
    virPMCReportClear(&rep);
    /* The same through virDomainMigratePMC: nothing is migrated. */
    EXPECT(virDomainMigratePMC(dom, dconn, list, &opts, NULL, 0, VIR_MIGRATE_LIVE, &rep) == 0);
    EXPECT(rep.cancelled == 1 && !rep.migrationAttempted && rep.verdict == VIR_PMC_VERDICT_BLOCKED);
    virPMCReportClear(&rep);
    virPMCCheckListFree(list);
    virPMCCancelFree(cancel);
}

static void
testCancelDuring(void)
{
    virPMCReport rep;
    double t0, elapsed;
    virPMCCancelPtr cancel = virPMCCancelNew();
    virPMCCheck c[] = {
        CHECK("c.pass", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("c.hold", VIR_PMC_SEVERITY_CRITICAL, runHold),
    };
    virPMCRunOptions opts = { .cancel = cancel };
    virPMCCheckListPtr list = listOf(c, 2);
    pthread_t tid;
    pthread_create(&tid, NULL, cancelAfter, cancel);
    t0 = nowMs();
    EXPECT(virPMCRunChecks(dom, dconn, list, &opts, &rep) == 0);
    elapsed = nowMs() - t0;
    pthread_join(tid, NULL);
    EXPECT(elapsed < 1000);
    EXPECT(statusOf(&rep, "c.pass") == VIR_PMC_STATUS_PASS);
    EXPECT(statusOf(&rep, "c.hold") == VIR_PMC_STATUS_ERROR && STREQ(messageOf(&rep, "c.hold"), "cancelled"));
    EXPECT(rep.cancelled == 1 && rep.verdict == VIR_PMC_VERDICT_BLOCKED);
    virPMCReportClear(&rep);
    /* The check answers after the runner returned: ignored, and frees the run. */
    virPMCResultComplete(heldResult, CHECK_SUCCESS, "too late", NULL);
    virPMCCheckListFree(list);
    virPMCCancelFree(cancel);
}

static void
testSequentialStops(void)
{
    virPMCReport rep;
    virPMCCheck c[] = {
        CHECK("q.one", VIR_PMC_SEVERITY_CRITICAL, runPass), CHECK("q.warn", VIR_PMC_SEVERITY_WARNING, runFail),
        CHECK("q.two", VIR_PMC_SEVERITY_CRITICAL, runFail), CHECK("q.three", VIR_PMC_SEVERITY_CRITICAL, runCount),
        CHECK("q.four", VIR_PMC_SEVERITY_INFO, runCount),
    };
    virPMCRunOptions opts = { .flags = VIR_PMC_RUN_SEQUENTIAL };
    c[3].flags = VIR_PMC_CHECK_BLOCKING;
    atomic_store(&counted, 0);
    EXPECT(runListed(c, 5, &opts, &rep) == 0);
    EXPECT(statusOf(&rep, "q.one") == VIR_PMC_STATUS_PASS);
    EXPECT(statusOf(&rep, "q.warn") == VIR_PMC_STATUS_FAIL);
    EXPECT(statusOf(&rep, "q.two") == VIR_PMC_STATUS_FAIL);
    EXPECT(statusOf(&rep, "q.three") == VIR_PMC_STATUS_SKIPPED);
    EXPECT(STREQ(messageOf(&rep, "q.three"), "not reached: q.two failed"));
    EXPECT(statusOf(&rep, "q.four") == VIR_PMC_STATUS_SKIPPED);
    EXPECT(atomic_load(&counted) == 0);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_BLOCKED);
    virPMCReportClear(&rep);
}

static void
testSkipList(void)
{
    virPMCReport rep;
    virPMCCheck c[] = {
        CHECK("k.one", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("k.bad", VIR_PMC_SEVERITY_CRITICAL, runFail),
    };
    const char *skip[] = { "k.bad", "not.in.list" };
    virPMCRunOptions opts = { .skip = skip, .nskip = 2 };
    virPMCCheckListPtr list = listOf(c, 2);
    EXPECT(virPMCRunChecks(dom, dconn, list, &opts, &rep) == 0);
    EXPECT(statusOf(&rep, "k.bad") == VIR_PMC_STATUS_SKIPPED);
    EXPECT(STREQ(messageOf(&rep, "k.bad"), "skipped on request"));
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    virPMCReportClear(&rep);
    virPMCCheckListFree(list);
}

static void
testVerdicts(void)
{
    EXPECT(verdictFor(VIR_PMC_SEVERITY_CRITICAL, runFail, 0) == VIR_PMC_VERDICT_BLOCKED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_CRITICAL, runError, 0) == VIR_PMC_VERDICT_BLOCKED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_CRITICAL, runPass, 0) == VIR_PMC_VERDICT_ALLOWED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_WARNING, runFail, 0) == VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_WARNING, runError, 0) == VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_WARNING, runFail, VIR_PMC_RUN_STRICT) == VIR_PMC_VERDICT_BLOCKED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_WARNING, runPass, VIR_PMC_RUN_STRICT) == VIR_PMC_VERDICT_ALLOWED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_INFO, runFail, 0) == VIR_PMC_VERDICT_ALLOWED);
    EXPECT(verdictFor(VIR_PMC_SEVERITY_INFO, runError, VIR_PMC_RUN_STRICT) == VIR_PMC_VERDICT_ALLOWED);
}

static void
testNames(void)
{
    EXPECT(STREQ(virPMCSeverityName(VIR_PMC_SEVERITY_WARNING), "warning"));
    EXPECT(STREQ(virPMCStatusName(VIR_PMC_STATUS_SKIPPED), "skipped"));
    EXPECT(STREQ(virPMCVerdictName(VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS), "allowed-with-warnings"));
    EXPECT(STREQ(virPMCVerdictName((virPMCVerdict)9), "unknown"));
    EXPECT(virPMCSeverityFromName("info") == VIR_PMC_SEVERITY_INFO);
    EXPECT(virPMCSeverityFromName("critical") == VIR_PMC_SEVERITY_CRITICAL);
    EXPECT(virPMCSeverityFromName("fatal") == -1);
    EXPECT(lastErrorIs(VIR_PMC_ERR_INVALID_ARG, "not fatal"));
    EXPECT(STREQ(virPMCDomainStateName(VIR_DOMAIN_PMSUSPENDED), "pmsuspended"));
    EXPECT(STREQ(virPMCDomainStateName(VIR_DOMAIN_SHUTOFF), "shutoff"));
    EXPECT(STREQ(virPMCDomainStateName(99), "unknown"));
}

static void
testRunTenThousand(void)
{
    virPMCReport rep;
    double t0, elapsed;
    /* 10,000 non-blocking checks: a few µs each at most. */
    enum { N = 10000 };
    virPMCCheck *c = calloc(N, sizeof(*c));
    char(*names)[24] = calloc(N, sizeof(*names));
    virPMCCheckListPtr list = virPMCCheckListNew();
    double addMs;
    int i;
    t0 = nowMs();
    for (i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "n.%d", i);
        c[i] = (virPMCCheck)CHECK(names[i], VIR_PMC_SEVERITY_CRITICAL, runPass);
        EXPECT(virPMCCheckListAdd(list, &c[i]) == 0);
    }
    addMs = nowMs() - t0;
    t0 = nowMs();
    EXPECT(virPMCRunChecks(dom, dconn, list, NULL, &rep) == 0);
    elapsed = nowMs() - t0;
    EXPECT(rep.count == N && rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    printf("  10000 checks: add %.2f µs/check, run %.2f µs/check (report included)\n", addMs * 1000 / N,
           elapsed * 1000 / N);
    virPMCReportClear(&rep);

    /* The same checks, PENDING, completed from another thread. */
    {
        pthread_t tid;
        manyResults = calloc(N, sizeof(*manyResults));
        atomic_store(&manyStarted, 0);
        for (i = 0; i < N; i++) {
            c[i].run = runRecord;
            c[i].opaque = (void *)(size_t)i;
        }
        pthread_create(&tid, NULL, completeMany, (void *)(size_t)N);
        t0 = nowMs();
        EXPECT(virPMCRunChecks(dom, dconn, list, NULL, &rep) == 0);
        elapsed = nowMs() - t0;
        pthread_join(tid, NULL);
        EXPECT(rep.count == N && rep.verdict == VIR_PMC_VERDICT_ALLOWED);
        EXPECT(rep.outcomes[N - 1].status == VIR_PMC_STATUS_PASS);
        printf("  10000 PENDING checks completed from another thread: %.2f µs/check\n", elapsed * 1000 / N);
        virPMCReportClear(&rep);
        free(manyResults);
    }
    virPMCCheckListFree(list);
    free(names);
    free(c);
}

static void
testMigrateBlocked(void)
{
    virPMCReport rep;
    virPMCCheck c[] = { CHECK("m.fail", VIR_PMC_SEVERITY_CRITICAL, runFail) };
    EXPECT(migrateListed(c, 1, NULL, VIR_MIGRATE_LIVE, &rep) == 0);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_BLOCKED);
    EXPECT(!rep.migrationAttempted && !rep.migrationSucceeded && !rep.migrationError && !rep.stateError);
    virPMCReportClear(&rep);
}

/* Checks that allow, then a migration the test driver refuses (it cannot
 * migrate). A progress function and a cancel start the monitor thread, which
 * must be stopped and joined when the refused migration returns. */
static int
migrateRefused(unsigned int flags, virPMCReportPtr rep)
{
    virPMCCheck c[] = {
        CHECK("m.pass", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("m.state", VIR_PMC_SEVERITY_CRITICAL, runState),
        CHECK("m.warn", VIR_PMC_SEVERITY_WARNING, runFail),
    };
    virPMCCancelPtr cancel = virPMCCancelNew();
    virPMCRunOptions opts = { .progressIntervalMs = 10, .progress = onProgress, .cancel = cancel };
    int rc;

    c[1].flags = VIR_PMC_CHECK_BLOCKING;
    rc = migrateListed(c, 3, &opts, flags, rep);
    virPMCCancelFree(cancel);
    return rc;
}

static void
testMigrateRefused(void)
{
    virPMCReport rep;

    EXPECT(migrateRefused(VIR_MIGRATE_LIVE, &rep) == -1);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS);
    EXPECT(rep.migrationAttempted == 1 && rep.migrationSucceeded == 0);
    EXPECT(rep.migrationError && rep.migrationError[0]);
    EXPECT(rep.migrationErrorCode != 0 && rep.migrationErrorDomain != 0);
    EXPECT(rep.migrated == NULL && !rep.stateError && !rep.cancelled);
    printf("  test driver says: %s (code %d, domain %d)\n", rep.migrationError ? rep.migrationError : "?",
           rep.migrationErrorCode, rep.migrationErrorDomain);
    EXPECT(lastErrorIs(VIR_PMC_ERR_LIBVIRT, "the migration failed: "));
    EXPECT(virGetLastError() != NULL); /* libvirt's own stays set too */
    virPMCReportClear(&rep);
}

/* Peer-to-peer takes virDomainMigrateToURI3, the URI from dconn. */
static void
testMigrateRefusedPeerToPeer(void)
{
    virPMCReport rep;

    EXPECT(migrateRefused(VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER, &rep) == -1);
    EXPECT(rep.migrationAttempted == 1 && !rep.migrationSucceeded && rep.migrationError);
    EXPECT(rep.migrationErrorCode != 0);
    EXPECT(lastErrorIs(VIR_PMC_ERR_LIBVIRT, "the migration failed: "));
    virPMCReportClear(&rep);
}

static void
testMigrateCancelledByCheck(void)
{
    virPMCReport rep;
    virPMCCancelPtr cancel = virPMCCancelNew();
    virPMCCheck c[] = { CHECK("m.cancel", VIR_PMC_SEVERITY_INFO, runCancelSelf) };
    virPMCRunOptions opts = { .cancel = cancel };
    c[0].opaque = cancel;
    EXPECT(migrateListed(c, 1, &opts, VIR_MIGRATE_LIVE, &rep) == 0);
    EXPECT(rep.cancelled == 1 && rep.verdict == VIR_PMC_VERDICT_BLOCKED && !rep.migrationAttempted);
    /* Its own answer came after the cancel it triggered: late, like every answer after a cancel. */
    EXPECT(statusOf(&rep, "m.cancel") == VIR_PMC_STATUS_ERROR && STREQ(messageOf(&rep, "m.cancel"), "cancelled"));
    virPMCReportClear(&rep);
    virPMCCancelFree(cancel);
}

static void
testMigrateDomainStopped(void)
{
    virPMCReport rep;
    virPMCCheck c[] = {
        CHECK("m.pass", VIR_PMC_SEVERITY_CRITICAL, runPass),
        CHECK("m.destroy", VIR_PMC_SEVERITY_INFO, runDestroy),
    };
    int state = -1, reason;
    c[1].flags = VIR_PMC_CHECK_BLOCKING;
    EXPECT(migrateListed(c, 2, NULL, VIR_MIGRATE_LIVE, &rep) == 0);
    EXPECT(statusOf(&rep, "m.destroy") == VIR_PMC_STATUS_PASS);
    EXPECT(rep.verdict == VIR_PMC_VERDICT_ALLOWED);
    EXPECT(rep.stateError && strstr(rep.stateError, "stopped") != NULL);
    EXPECT(!rep.migrationAttempted);
    if (rep.stateError)
        printf("  stateError: %s\n", rep.stateError);
    virPMCReportClear(&rep);
    virDomainGetState(dom, &state, &reason, 0);
    EXPECT(state == VIR_DOMAIN_SHUTOFF);
    EXPECT(virDomainCreate(dom) == 0); /* leave the shared test driver as found */
}

/* The progress table covers virPMCProgress: a field added to the struct but
 * not to the table would be neither read from the job nor reported. */
static void
testProgressFields(void)
{
    size_t i, j;

    EXPECT(virPMCProgressFieldCount * sizeof(unsigned long long) == sizeof(virPMCProgress));
    for (i = 0; i < virPMCProgressFieldCount; i++) {
        EXPECT(virPMCProgressFields[i].offset == i * sizeof(unsigned long long));
        for (j = 0; j < i; j++) {
            EXPECT(strcmp(virPMCProgressFields[i].param, virPMCProgressFields[j].param) != 0);
            EXPECT(strcmp(virPMCProgressFields[i].name, virPMCProgressFields[j].name) != 0);
        }
    }
}

/* libvirt's habit (tests/testutils.h): one function a case, run by name. */
#define DO_TEST(name, fn) testRun(name, fn)

static void
testRun(const char *name, void (*fn)(void))
{
    fn();
    endCase(name);
}

int
main(void)
{
    virSetErrorFunc(NULL, quietErrors);
    conn = virConnectOpen("test:///default");
    dconn = virConnectOpen("test:///default");
    dom = conn ? virDomainLookupByName(conn, "test") : NULL;
    if (!conn || !dconn || !dom) {
        printf("cannot open test:///default\n0 passed, 1 failed\n");
        return 1;
    }

    DO_TEST("list: add, duplicate name, NULL run, empty name, bad severity, find", testListAdd);
    DO_TEST("run: bad arguments return -1", testRunBadArguments);
    DO_TEST("error: a duplicate name says which (VIR_PMC_ERR_DUPLICATE_CHECK)", testErrorDuplicate);
    DO_TEST("error: an invalid check says what is wrong (VIR_PMC_ERR_INVALID_CHECK)", testErrorInvalidCheck);
    DO_TEST("error: a bad argument names it (VIR_PMC_ERR_INVALID_ARG)", testErrorInvalidArg);
    DO_TEST("error: per thread, cleared by the next call and by virPMCResetLastError", testErrorPerThread);
    DO_TEST("run: a static RFC-style list", testRunStaticList);
    DO_TEST("static list: find writes nothing past it, add and free refuse it", testStaticListFind);
    DO_TEST("static list: the run refuses what add refuses (severity, flags, names), runs nothing",
            testStaticListValidated);
    DO_TEST("run: pass, fail, error, DONE with nothing set, status and return out of range", testRunStatuses);
    DO_TEST("run: PENDING, completed later from another thread", testRunPending);
    DO_TEST("run: timeout of a hung BLOCKING check and of a PENDING one", testRunTimeouts);
    DO_TEST("sequential: a hung BLOCKING check times out, the next runs on a new worker", testSequentialHungWorker);
    DO_TEST("run: BLOCKING checks on a bounded pool, one calling libvirt", testRunBlockingPool);
    DO_TEST("cancel before the checks: all cancelled, blocked, not migrated", testCancelBefore);
    DO_TEST("cancel during the checks from another thread wakes the runner", testCancelDuring);
    DO_TEST("sequential: stops at the first critical failure, the rest not reached", testSequentialStops);
    DO_TEST("skip list: SKIPPED on request, never blocks", testSkipList);
    DO_TEST("severities and strict mode give the verdicts", testVerdicts);
    DO_TEST("names: severities, statuses, verdicts, domain states", testNames);
    DO_TEST("run: 10,000 non-blocking checks, DONE and PENDING", testRunTenThousand);
    DO_TEST("progress: one table entry per virPMCProgress field, in order, distinct", testProgressFields);
    DO_TEST("migrate: blocked by a critical check, not attempted", testMigrateBlocked);
    DO_TEST("migrate: allowed, attempted; the test driver's refusal is reported (VIR_PMC_ERR_LIBVIRT)",
            testMigrateRefused);
    DO_TEST("migrate: peer-to-peer, attempted and refused", testMigrateRefusedPeerToPeer);
    DO_TEST("migrate: cancelled by a check that passed, not attempted", testMigrateCancelledByCheck);
    DO_TEST("migrate: the domain stopped during the checks, stateError, not attempted", testMigrateDomainStopped);

    virDomainFree(dom);
    virConnectClose(dconn);
    virConnectClose(conn);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
