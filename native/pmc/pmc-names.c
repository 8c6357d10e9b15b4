/* pmc-names.c: the names of severities, statuses, verdicts and domain
 * states, as the JSON report spells them. */
#include "pmc-internal.h"

#include <string.h>

/* The names of an enum whose values run from 0 to `last` without gaps, in
 * the enum's order (libvirt's VIR_ENUM_IMPL, its to-string half): `func`
 * returns a value's name, "unknown" for any other value. */
#define VIR_PMC_ENUM_NAMES(func, type, last, ...)                                                                      \
    const char *func(type value)                                                                                       \
    {                                                                                                                  \
        static const char *const names[] = { __VA_ARGS__ };                                                            \
        _Static_assert(sizeof(names) / sizeof(names[0]) == (last) + 1, "one name per value of " #type);                \
        if ((int)value < 0 || (int)value > (last))                                                                     \
            return "unknown";                                                                                          \
        return names[value];                                                                                           \
    }

VIR_PMC_ENUM_NAMES(virPMCSeverityName, virPMCSeverity, VIR_PMC_SEVERITY_INFO, "critical", "warning", "info")

VIR_PMC_ENUM_NAMES(virPMCStatusName, virPMCStatus, VIR_PMC_STATUS_SKIPPED, "pass", "fail", "error", "skipped")

VIR_PMC_ENUM_NAMES(virPMCVerdictName, virPMCVerdict, VIR_PMC_VERDICT_BLOCKED, "allowed", "allowed-with-warnings",
                   "blocked")

/* libvirt's virDomainState, as virsh spells it. */
VIR_PMC_ENUM_NAMES(virPMCDomainStateName, int, VIR_DOMAIN_PMSUSPENDED, "nostate", "running", "blocked", "paused",
                   "shutdown", "shutoff", "crashed", "pmsuspended")

int
virPMCSeverityFromName(const char *name)
{
    int s;

    virPMCResetLastError();
    for (s = VIR_PMC_SEVERITY_CRITICAL; name && s <= VIR_PMC_SEVERITY_INFO; s++) {
        if (strcmp(name, virPMCSeverityName((virPMCSeverity)s)) == 0)
            return s;
    }
    virPMCReportError(VIR_PMC_ERR_INVALID_ARG, "severity must be critical, warning or info, not %s",
                      name ? name : "NULL");
    return -1;
}
