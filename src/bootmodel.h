/* bootmodel.h - which program applies the sysctl files at boot, and which
 * files it reads in which order.
 *
 * Hosts differ: systemd hosts run systemd-sysctl (sysctl.d only); Debian
 * and Ubuntu under sysvinit (/etc/init.d/procps) and Alpine (OpenRC's
 * sysctl service) run procps `sysctl --system` (every sysctl.d directory,
 * hidden *.conf files too, then /etc/sysctl.conf); CentOS/RHEL 6's
 * rc.sysinit calls apply_sysctl from /etc/init.d/functions
 * (/etc/sysctl.conf, then every /etc/sysctl.d/ file through `sysctl -e
 * -p`); CentOS 5's rc.sysinit runs `sysctl -e -p /etc/sysctl.conf` only.
 * This module tells them apart from the files of the image and lists the
 * files each reads.
 */
#ifndef CTUNE_BOOTMODEL_H
#define CTUNE_BOOTMODEL_H

#include <stddef.h>

#include "error.h"
#include "root.h"
#include "sysctld.h"

typedef enum ctune_boot_model {
	CTUNE_BOOT_SYSTEMD,    /* systemd-sysctl (systemd 252's rules) */
	CTUNE_BOOT_PROCPS,     /* procps 4 `sysctl --system` */
	CTUNE_BOOT_RHEL6,      /* apply_sysctl: old procps `sysctl -e -p`, sysctl.conf then sysctl.d/\* */
	CTUNE_BOOT_RHEL5,      /* rc.sysinit: old procps `sysctl -e -p /etc/sysctl.conf` */
} ctune_boot_model;

/* Tell the model from the image; reason (size bytes) says what decided it.
 * Never fails: with no sign of any init, procps `sysctl --system` is
 * assumed and reason says so. */
ctune_boot_model ctune_boot_model_detect(const ctune_root *r, char *reason, size_t size);

/* The model's name in the facts: "systemd-sysctl", "procps-sysctl-system",
 * "rhel6-apply-sysctl", "rhel5-rc-sysinit". */
const char *ctune_boot_model_name(ctune_boot_model m);

/* The files the model reads, in order (a file may appear twice: procps
 * reads /etc/sysctl.conf again after a sysctl.d link to it).  Entries are
 * listed whatever their type, as the tools list them; reading them is the
 * caller's.  Returns 0 or -errno. */
int ctune_boot_model_files(const ctune_root *r, ctune_boot_model m, ctune_sysctld *l, ctune_error *err);

#endif
