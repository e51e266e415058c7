/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gunyahctl's commands. Each gets its arguments after the command's name,
 * returns 0 or a negative errno, and has reported any failure itself
 * (ctl_fail) with the exit status it maps to.
 */
#pragma once

#include "ctl.h"

int verb_list(struct ctl *ctl, char **args);		/* verb-show.c */
int verb_status(struct ctl *ctl, char **args);
int verb_create(struct ctl *ctl, char **args);		/* verb-vm.c */
int verb_start(struct ctl *ctl, char **args);
int verb_stop(struct ctl *ctl, char **args);
int verb_destroy(struct ctl *ctl, char **args);
int verb_reload(struct ctl *ctl, char **args);
int verb_wait(struct ctl *ctl, char **args);		/* verb-wait.c */
int verb_reboot(struct ctl *ctl, char **args);		/* verb-reboot.c */
int verb_validate(struct ctl *ctl, char **args);	/* verb-validate.c */
int verb_dtb(struct ctl *ctl, char **args);		/* verb-dtb.c */
int verb_monitor(struct ctl *ctl, char **args);		/* verb-monitor.c */
int verb_console(struct ctl *ctl, char **args);		/* verb-console.c */
int verb_logs(struct ctl *ctl, char **args);
