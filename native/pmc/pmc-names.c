/* pmc-names.c: the names of severities, statuses, verdicts and domain
 * states, as the JSON report spells them. */
#include "pmc-internal.h"

#include <string.h>

const char *
virPMCSeverityName(virPMCSeverity severity)
{
    switch (severity) {
    case VIR_PMC_SEVERITY_CRITICAL: return "critical";
    case VIR_PMC_SEVERITY_WARNING: return "warning";
    case VIR_PMC_SEVERITY_INFO: return "info";
    }
    return "unknown";
}

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

const char *
virPMCStatusName(virPMCStatus status)
{
    switch (status) {
    case VIR_PMC_STATUS_PASS: return "pass";
    case VIR_PMC_STATUS_FAIL: return "fail";
    case VIR_PMC_STATUS_ERROR: return "error";
    case VIR_PMC_STATUS_SKIPPED: return "skipped";
    }
    return "unknown";
}

const char *
virPMCVerdictName(virPMCVerdict verdict)
{
    switch (verdict) {
    case VIR_PMC_VERDICT_ALLOWED: return "allowed";
    case VIR_PMC_VERDICT_ALLOWED_WITH_WARNINGS: return "allowed-with-warnings";
    case VIR_PMC_VERDICT_BLOCKED: return "blocked";
    }
    return "unknown";
}

const char *
virPMCDomainStateName(int state)
{
    switch (state) {
    case VIR_DOMAIN_NOSTATE: return "nostate";
    case VIR_DOMAIN_RUNNING: return "running";
    case VIR_DOMAIN_BLOCKED: return "blocked";
    case VIR_DOMAIN_PAUSED: return "paused";
    case VIR_DOMAIN_SHUTDOWN: return "shutdown";
    case VIR_DOMAIN_SHUTOFF: return "shutoff";
    case VIR_DOMAIN_CRASHED: return "crashed";
    case VIR_DOMAIN_PMSUSPENDED: return "pmsuspended";
    }
    return "unknown";
}
