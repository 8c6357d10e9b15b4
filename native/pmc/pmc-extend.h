/*
 * pmc-extend.h: what the C core's C++ layers (native/lib, the addon) may use
 * of its internals; not part of the API, never installed. Safe to include
 * from C++ (pmc-internal.h is not: it needs C11's stdatomic.h).
 */
#ifndef LIBVIRT_PMC_EXTEND_H
#define LIBVIRT_PMC_EXTEND_H

#include "pmc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Records why the calling public function fails (see virPMCGetLastError). */
void virPMCReportError(virPMCErrorNumber code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * What a list from virPMCCheckListNew can carry besides its checks: the
 * checks it loaded itself (plugins, check files) and the facts they read.
 * `prepare` runs at the start of every virPMCRunChecks of the list, on the
 * calling thread, before any check, and returns that run's own data (its
 * facts; NULL is fine), which the run's checks read with virPMCResultRunData:
 * two runs of one list at once never see each other's. `releaseRun` frees it
 * when the run's memory goes (after its last check returned, an abandoned
 * one included; on any thread); `free` runs at virPMCCheckListFree.
 */
typedef struct {
    void *(*prepare)(void *opaque, virDomainPtr domain, virConnectPtr dconn);
    void (*releaseRun)(void *runData);
    void (*free)(void *opaque);
} virPMCCheckListHooks;

/* Sets the list's hooks once. -1 on a second call, a static list or no memory. */
int virPMCCheckListSetHooks(virPMCCheckListPtr list, const virPMCCheckListHooks *hooks, void *opaque);
/* The opaque given to virPMCCheckListSetHooks, or NULL. */
void *virPMCCheckListHookData(virPMCCheckListPtr list);
/* Calls the list's prepare hook, if it has one; any list, static ones too.
 * Returns the run's data and sets *release to what frees it (NULL both
 * without hooks). */
void *virPMCCheckListPrepare(virPMCCheckListPtr list, virDomainPtr domain, virConnectPtr dconn,
                             void (**release)(void *runData));
/* From inside a check's run (any thread): the data its run's prepare hook
 * returned, or NULL. */
void *virPMCResultRunData(virPMCResultPtr result);

/*
 * The fields of virPMCProgress, one table: the virDomainGetJobStats parameter
 * each is read from (the monitor) and its name in the addon's progress event
 * (MigrationProgress). Every field of the struct is in it, in struct order.
 */
typedef struct {
    const char *param; /* VIR_DOMAIN_JOB_* */
    const char *name;
    size_t offset; /* of the field's unsigned long long in virPMCProgress */
} virPMCProgressField;
extern const virPMCProgressField virPMCProgressFields[];
extern const size_t virPMCProgressFieldCount;

static inline unsigned long long *
virPMCProgressFieldOf(virPMCProgress *progress, const virPMCProgressField *field)
{
    return (unsigned long long *)((char *)progress + field->offset);
}

#ifdef __cplusplus
}
#endif

#endif /* LIBVIRT_PMC_EXTEND_H */
