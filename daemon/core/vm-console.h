/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A VM's console (console.c) tied to its life: opened when an instance is
 * attached, closed when it goes; what VM1's console methods ask of it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

struct vm;

/* The instance is attached: opens its console (none: logged, the VM runs without). */
void vm_console_open(struct vm *vm);
/* The instance leaves: reads what is left and closes the console and its clients. */
void vm_console_close(struct vm *vm);
/*
 * VM1.OpenConsole: a new client's socket. NotSupported without a console
 * in the backend, InvalidState when the VM is not live.
 */
int vm_console_attach(struct vm *vm, int *ret_fd, sd_bus_error *error);
/* VM1.GetConsoleOutput: the last at most max bytes (0: all kept); same errors. */
int vm_console_output(struct vm *vm, uint64_t max, void **ret, size_t *ret_size,
		      sd_bus_error *error);
/* VM1.ConsoleBytesLost: 0 without a console. */
uint64_t vm_console_bytes_lost(const struct vm *vm);
/*
 * For the message that reports a crash or a failed start: the last few
 * lines of output, escaped into one line (console_tail_text()); NULL when
 * there are none.
 */
char *vm_console_last_lines(struct vm *vm);
