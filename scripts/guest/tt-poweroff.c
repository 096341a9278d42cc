// SPDX-License-Identifier: GPL-2.0
/*
 * tt-poweroff CODE: end the VM and hand CODE (0..127) to the host.
 *
 * QEMU's isa-debug-exit device at port 0xf4 makes QEMU exit with status
 * CODE * 2 + 1, an odd number a panic or a reboot can never produce.
 * Without the device we fall back to an ordinary power-off.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/reboot.h>
#include <unistd.h>

#define DEBUG_EXIT_PORT 0xf4

int main(int argc, char **argv)
{
	int code = argc > 1 ? atoi(argv[1]) : 0;

	sync();
	if (ioperm(DEBUG_EXIT_PORT, 1, 1) == 0)
		outb(code & 0x7f, DEBUG_EXIT_PORT);
	reboot(RB_POWER_OFF);
	perror("tt-poweroff");
	return 1;
}
