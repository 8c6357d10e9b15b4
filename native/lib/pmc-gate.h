/*
 * pmc-gate.h: the destination gate of libvirt-pmc (docs/hook.md) for C tools,
 * such as a site's own libvirt hook. Part of libvirt-pmc (docs/c-library.md).
 *
 * The gate decides whether this host can take an incoming guest, from the
 * guest's definition and this host's own files alone (every host path the
 * definition names, with what QEMU needs of it; the emulator; bridges; huge
 * page sizes; the operator's XML check files). Its rules have one
 * implementation, the gate `pmc hook install` writes; this function asks
 * that installed gate, exactly as libvirt does at the beginning of an
 * incoming migration (the definition on its standard input, the answer in its
 * exit status and standard error), so a C tool gets the same decision under
 * the same policy, journaled in the same journal.
 */
#ifndef LIBVIRT_PMC_GATE_H
#define LIBVIRT_PMC_GATE_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Asks the gate installed at `gate` (absolute path of the script `pmc hook
 * install` wrote: /etc/libvirt/hooks/qemu.d/pmc-gate on a real host) about
 * the domain definition `xml` (what libvirt passes a hook: the migratable
 * XML). Never calls libvirt, so it may run inside a libvirt hook. Waits at
 * most `timeoutMs` (0: 30000) for the gate, then kills it and fails. `flags`
 * must be 0.
 *
 * Returns 0 when the gate lets the guest in, 1 when it refuses it, -1 on a
 * failure with virPMCGetLastError() saying why (VIR_PMC_ERR_INVALID_ARG,
 * VIR_PMC_ERR_SYSTEM: the gate cannot be run, did not answer in time, or
 * gave an answer that is not one). When `reasons` is not NULL, *reasons gets
 * the gate's lines (one per refusing check, '\n'-separated; "" when allowed),
 * to free() by the caller; NULL on -1.
 */
int virPMCGateCheckXML(const char *gate, const char *xml, unsigned int timeoutMs, char **reasons, unsigned int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBVIRT_PMC_GATE_H */
