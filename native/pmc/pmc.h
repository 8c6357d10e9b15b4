/*
 * pmc.h: pre-migration checks for libvirt, in plain C.
 *
 * After the 2010 libvirt RFC "pre migration checks" (virsh migrate --pmc): a
 * list of named checks (virPMCCheckList of virPMCCheck) is run before
 * virDomainMigrate; their results decide whether the migration happens. The
 * RFC's first "possible enhancement", severity levels, is part of the check:
 * a CRITICAL check that fails stops the migration, a WARNING is reported.
 *
 * No Node.js here: C programs can use this file alone (link with libvirt),
 * or install the library libvirt-pmc (docs/c-library.md) and link with
 * `pkg-config --cflags --libs libvirt-pmc`.
 *
 * The ABI of libvirt-pmc.so.1 (symbols listed in native/lib/libvirt-pmc.syms):
 * - Structs we fill and hand out (virPMCError, virPMCProgress) may grow at
 *   the end: read them through the pointer, never copy them by size.
 * - Structs a caller allocates are fixed in size: virPMCCheck and
 *   virPMCCheckList (the RFC's static lists), virPMCRunOptions (options added
 *   later come as typed parameters in `extra`), virPMCReport (what later
 *   versions report comes through accessor functions reading `priv`), and
 *   virPMCOutcome (an array element: its size is part of the ABI).
 * - Zero means "default" in every caller-filled field; zero-initialize them.
 */
#ifndef LIBVIRT_PMC_H
#define LIBVIRT_PMC_H

#include <stddef.h>

#include <libvirt/libvirt.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Errors, in libvirt's way: a function that fails (returns -1 or NULL)
 * records why on the calling thread, and virPMCGetLastError() reads it back,
 * as virGetLastError() does for libvirt. Every public function that can fail
 * clears the record when it starts, so after a success it reads NULL. The
 * record is pmc's own rather than libvirt's (virSetError): the reasons
 * (a duplicate check name, an invalid check) have no virErrorNumber, and a
 * library should not overwrite another library's last error. When libvirt
 * itself failed (VIR_PMC_ERR_LIBVIRT), libvirt's error is left set too.
 */
typedef enum {
    VIR_PMC_ERR_OK = 0,
    VIR_PMC_ERR_NO_MEMORY = 1,       /* an allocation failed */
    VIR_PMC_ERR_INVALID_ARG = 2,     /* a NULL or inconsistent argument */
    VIR_PMC_ERR_INVALID_CHECK = 3,   /* a check without name or run, or with a severity out of range */
    VIR_PMC_ERR_DUPLICATE_CHECK = 4, /* the list has a check of that name already */
    VIR_PMC_ERR_SYSTEM = 5,          /* a mutex, condition variable or thread could not be made */
    VIR_PMC_ERR_LIBVIRT = 6,         /* a libvirt call failed; the message is libvirt's */
    VIR_PMC_ERR_CHECK_FILE = 7,      /* an XML check file cannot be read or is invalid (pmc-external.h) */
    VIR_PMC_ERR_PLUGIN = 8,          /* a plugin cannot be loaded or is invalid (pmc-external.h) */
} virPMCErrorNumber;

/* Fields may be added at the end; read it through the pointer only. */
typedef struct {
    int code;            /* virPMCErrorNumber */
    const char *message; /* one line for humans, e.g. "duplicate check name 'cpu.compatible'" */
} virPMCError;
typedef virPMCError *virPMCErrorPtr;

/* The calling thread's last error, or NULL. Valid until the thread's next
 * pmc call; copy what you keep. */
const virPMCError *virPMCGetLastError(void);
void virPMCResetLastError(void);

typedef enum {
    VIR_PMC_SEVERITY_CRITICAL = 0, /* fails or errors: the migration is blocked */
    VIR_PMC_SEVERITY_WARNING = 1,  /* fails: reported; blocks only in strict mode */
    VIR_PMC_SEVERITY_INFO = 2,     /* reported only */
} virPMCSeverity;

typedef enum {
    VIR_PMC_STATUS_PASS = 0,    /* the RFC's CHECK_SUCCESS */
    VIR_PMC_STATUS_FAIL = 1,    /* the RFC's CHECK_FAIL */
    VIR_PMC_STATUS_ERROR = 2,   /* the check itself could not decide (threw, timed out, …) */
    VIR_PMC_STATUS_SKIPPED = 3, /* named in the run's skip list, or not reached */
} virPMCStatus;

/* The RFC's names for a check's two answers. */
#define CHECK_SUCCESS VIR_PMC_STATUS_PASS
#define CHECK_FAIL    VIR_PMC_STATUS_FAIL

typedef enum {
    VIR_PMC_VERDICT_ALLOWED = 0,
    VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS = 1,
    VIR_PMC_VERDICT_BLOCKED = 2,
} virPMCVerdict;

/* What a check's run function fills in. Set it with virPMCResultSet (the
 * strings are copied), or, for a check that answers later (VIR_PMC_RUN_PENDING),
 * with virPMCResultComplete from any thread. */
typedef struct _virPMCResult virPMCResult;
typedef virPMCResult *virPMCResultPtr;

/* What run returns. */
typedef enum {
    VIR_PMC_RUN_DONE = 0,    /* result is set (an unset result counts as an error) */
    VIR_PMC_RUN_PENDING = 1, /* the check will call virPMCResultComplete(result, …) exactly once */
} virPMCRunReturn;

/*
 * The RFC's run(domain, dconn), grown an opaque pointer (the check's own data)
 * and a place for its message. `domain` is on the source connection, `dconn`
 * the destination. A check must not free either.
 */
typedef int (*virPMCCheckRun)(virDomainPtr domain, virConnectPtr dconn, void *opaque, virPMCResultPtr result);

typedef enum {
    /* run may block (libvirt calls, I/O): the runner gives it a worker thread.
     * Without it, run must return at once (DONE or PENDING), and is called on
     * the runner's own thread: what JS checks do, to start thousands cheaply. */
    VIR_PMC_CHECK_BLOCKING = 1 << 0,
    /* Other bits are refused by virPMCCheckListAdd: kept free so that a later
     * version can say with one of them that the check is a larger struct. */
} virPMCCheckFlags;

typedef struct _virPMCCheck virPMCCheck;
typedef virPMCCheck *virPMCCheckPtr;
struct _virPMCCheck {
    const char *name;        /* "area.what", e.g. "cpu.compatible" */
    const char *description; /* one line */
    virPMCSeverity severity;
    virPMCCheckRun run;
    void *opaque;
    unsigned int flags; /* virPMCCheckFlags */
    const char *origin; /* "builtin", "js", "xml", "plugin:<name>"; NULL = "c" */
};

/* The RFC's check list: `count` checks, `check` NULL-terminated. The list
 * stores pointers; the checks (and their strings) must outlive every run.
 * A static list in the RFC's style can be run and searched: virPMCRunChecks
 * applies virPMCCheckListAdd's rules to every list first. virPMCCheckListAdd
 * refuses a static list (VIR_PMC_ERR_INVALID_ARG), virPMCCheckListFree
 * leaves it alone: growing and freeing need a list from virPMCCheckListNew. */
typedef struct _virPMCCheckList virPMCCheckList;
typedef virPMCCheckList *virPMCCheckListPtr;
struct _virPMCCheckList {
    size_t count;
    virPMCCheckPtr *check;
    size_t capacity;
};

/* NULL when out of memory (VIR_PMC_ERR_NO_MEMORY). */
virPMCCheckListPtr virPMCCheckListNew(void);
/* Appends `check`. Returns 0, or -1 when the check is invalid (NULL run,
 * empty name, severity out of range: VIR_PMC_ERR_INVALID_CHECK), its name is
 * already in the list (VIR_PMC_ERR_DUPLICATE_CHECK), or on a NULL argument or
 * no memory. virPMCGetLastError() says which, naming the check. */
int virPMCCheckListAdd(virPMCCheckListPtr list, virPMCCheckPtr check);
virPMCCheckPtr virPMCCheckListFind(virPMCCheckListPtr list, const char *name);
void virPMCCheckListFree(virPMCCheckListPtr list);

/* Sets the result from inside run (then return VIR_PMC_RUN_DONE). `message`
 * and `details` may be NULL. A status out of range becomes ERROR. */
void virPMCResultSet(virPMCResultPtr result, int status, const char *message, const char *details);
/* Completes a PENDING check, from any thread, exactly once. After a timeout
 * the runner has moved on: completing is still safe and is ignored. The
 * run's memory lives until every PENDING check has completed, so a check
 * must complete even when nobody waits any more (e.g. on teardown). */
void virPMCResultComplete(virPMCResultPtr result, int status, const char *message, const char *details);

/* Cancellation of a run (an AbortSignal, Ctrl-C), triggered from any thread.
 * During the checks: nothing is migrated. During the migration: the runner
 * calls virDomainAbortJob and waits for libvirt's answer. */
typedef struct _virPMCCancel virPMCCancel;
typedef virPMCCancel *virPMCCancelPtr;
/* NULL when out of memory or without a mutex (see virPMCGetLastError). */
virPMCCancelPtr virPMCCancelNew(void);
void virPMCCancelTrigger(virPMCCancelPtr cancel);
int virPMCCancelIsTriggered(virPMCCancelPtr cancel);
void virPMCCancelFree(virPMCCancelPtr cancel);

/* A snapshot of the migration job (virDomainGetJobStats), for progress.
 * Fields may be added at the end; read it through the pointer only. */
typedef struct {
    unsigned long long timeElapsedMs;
    unsigned long long dataTotal, dataProcessed, dataRemaining;
    unsigned long long memTotal, memProcessed, memRemaining;
    unsigned long long memDirtyRate; /* pages/s */
    unsigned long long memIteration;
    unsigned long long memBps; /* bytes/s */
    unsigned long long diskTotal, diskProcessed, diskRemaining;
} virPMCProgress;
typedef void (*virPMCProgressFunc)(const virPMCProgress *progress, void *opaque);

typedef enum {
    VIR_PMC_RUN_SEQUENTIAL = 1 << 0, /* list order; stop at the first critical failure (the RFC) */
    VIR_PMC_RUN_STRICT = 1 << 1,     /* failing warnings block too */
} virPMCRunFlags;

typedef struct {
    unsigned int flags;      /* virPMCRunFlags */
    unsigned int timeoutMs;  /* per check; 0 = 30000 */
    const char *const *skip; /* names to mark SKIPPED */
    size_t nskip;
    virPMCCancelPtr cancel;      /* may be NULL */
    virPMCProgressFunc progress; /* may be NULL; called on the runner's monitor thread */
    void *progressOpaque;
    unsigned int progressIntervalMs; /* 0 = 500 */
    const char *dconnuri;            /* peer-to-peer: the destination URI as the source daemon sees it;
                                        NULL = virConnectGetURI(dconn) */
    /* Room to grow without changing the struct's size: options added after
     * 1.0 come as typed parameters here (libvirt's way). 1.0 knows none:
     * any parameter is refused (VIR_PMC_ERR_INVALID_ARG, naming it). */
    virTypedParameterPtr extra;
    int nextra;
} virPMCRunOptions;

/* One check's outcome, in list order. Strings are owned by the report. An
 * element of report->outcomes: its size never changes (see the ABI above). */
typedef struct {
    char *name;
    char *description;
    char *origin;
    virPMCSeverity severity;
    virPMCStatus status;
    char *message;
    char *details;
    double durationMs;
} virPMCOutcome;

typedef struct {
    size_t count;
    virPMCOutcome *outcomes;
    virPMCVerdict verdict;
    int cancelled;    /* the run was cancelled (before or during the migration) */
    char *stateError; /* the domain changed while the checks ran (NULL if not) */
    /* The migration, when virDomainMigratePMC was asked for one. */
    int migrationAttempted;
    int migrationSucceeded;
    double migrationMs;
    char *migrationError;     /* libvirt's message, or NULL */
    int migrationErrorCode;   /* virErrorNumber, or 0 */
    int migrationErrorDomain; /* virErrorDomain, or 0 */
    virDomainPtr migrated;    /* the domain on dconn after virDomainMigrate3; owned by the report */
    /* Private, owned by the report, NULL in 1.0: what later versions report
     * hangs here, read through accessor functions, so the struct a caller
     * allocated keeps its size. */
    void *priv;
} virPMCReport;
typedef virPMCReport *virPMCReportPtr;

/* Runs the list and fills `report` (outcomes and verdict); the report is
 * overwritten, so clear an earlier one first. `domain` and `dconn` may be
 * NULL for checks that need neither. Returns 0, or -1 on a bad argument, a
 * list virPMCCheckListAdd would have refused (an invalid check:
 * VIR_PMC_ERR_INVALID_CHECK; a name twice: VIR_PMC_ERR_DUPLICATE_CHECK), no
 * memory or no mutex (the report then says nothing; virPMCGetLastError says
 * why). A BLOCKING check's worker that hangs past its
 * timeout is abandoned and holds references to `domain` and `dconn` until
 * its run returns. */
int virPMCRunChecks(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, const virPMCRunOptions *opts,
                    virPMCReportPtr report);

/*
 * The RFC's virDomainMigratePMC: runs the list; when the verdict allows and
 * nothing was cancelled, re-reads the domain's state (it may have changed
 * while the checks ran), then migrates with virDomainMigrate3, or
 * virDomainMigrateToURI3 when `flags` has VIR_MIGRATE_PEER2PEER (then
 * `dconn` may be NULL if opts->dconnuri is set). Returns 0 when the checks
 * blocked, the run was cancelled before the migration, the domain's state
 * changed (report.stateError) or the migration succeeded; -1 when the
 * migration failed (the report says why; virPMCGetLastError says
 * VIR_PMC_ERR_LIBVIRT with libvirt's message, and libvirt's error also stays
 * set on the calling thread) or on a bad argument (virPMCGetLastError says
 * which).
 */
int virDomainMigratePMC(virDomainPtr domain, virConnectPtr dconn, virPMCCheckListPtr list, const virPMCRunOptions *opts,
                        virTypedParameterPtr params, int nparams, unsigned int flags, virPMCReportPtr report);

void virPMCReportClear(virPMCReportPtr report);

const char *virPMCSeverityName(virPMCSeverity severity);
/* The inverse: "critical", "warning" or "info" → its virPMCSeverity; -1
 * (VIR_PMC_ERR_INVALID_ARG) for anything else. */
int virPMCSeverityFromName(const char *name);
const char *virPMCStatusName(virPMCStatus status);
const char *virPMCVerdictName(virPMCVerdict verdict);
/* libvirt's virDomainState as one word ("running", "shutoff", …; "unknown"
 * out of range), as reports and the JS binding spell it. */
const char *virPMCDomainStateName(int state);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIRT_PMC_H */
