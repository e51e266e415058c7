/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /dev/gunyah ABI must stay binary compatible with the v9 Gunyah VM
 * manager (and with the numbers DESIGN §3 pins for the extensions).
 * Every struct size, field offset and ioctl number is asserted here.
 */
#include <stddef.h>

#include <glib.h>
#include <linux/gunyah.h>

static void test_ioctl_numbers(void)
{
	g_assert_cmphex(GH_CREATE_VM, ==, 0x4700);
	g_assert_cmphex(GH_VM_SET_USER_MEM_REGION, ==, 0x40204701);
	g_assert_cmphex(GH_VM_SET_DTB_CONFIG, ==, 0x40104702);
	g_assert_cmphex(GH_VM_START, ==, 0x4703);
	g_assert_cmphex(GH_VM_GET_STATUS, ==, 0x80184720);
	g_assert_cmphex(GH_VM_STOP, ==, 0x40084721);
	g_assert_cmphex(GH_VM_ANDROID_LEND_USER_MEM, ==, 0x40204111);
}

static void test_mem_region_layout(void)
{
	g_assert_cmpuint(sizeof(struct gh_userspace_memory_region), ==, 32);
	g_assert_cmpuint(offsetof(struct gh_userspace_memory_region, label), ==, 0);
	g_assert_cmpuint(offsetof(struct gh_userspace_memory_region, flags), ==, 4);
	g_assert_cmpuint(offsetof(struct gh_userspace_memory_region, guest_phys_addr), ==, 8);
	g_assert_cmpuint(offsetof(struct gh_userspace_memory_region, memory_size), ==, 16);
	g_assert_cmpuint(offsetof(struct gh_userspace_memory_region, userspace_addr), ==, 24);
}

static void test_mem_flags(void)
{
	g_assert_cmphex(GH_MEM_ALLOW_READ, ==, 1);
	g_assert_cmphex(GH_MEM_ALLOW_WRITE, ==, 2);
	g_assert_cmphex(GH_MEM_ALLOW_EXEC, ==, 4);
	g_assert_cmphex(GH_MEM_LENT, ==, 8);
	g_assert_cmphex(GH_MEM_VALID_FLAGS, ==, 0xf);
}

static void test_dtb_config_layout(void)
{
	g_assert_cmpuint(sizeof(struct gh_vm_dtb_config), ==, 16);
	g_assert_cmpuint(offsetof(struct gh_vm_dtb_config, gpa), ==, 0);
	g_assert_cmpuint(offsetof(struct gh_vm_dtb_config, size), ==, 8);
}

static void test_status_layout(void)
{
	g_assert_cmpuint(sizeof(struct gh_vm_status), ==, 24);
	g_assert_cmpuint(offsetof(struct gh_vm_status, vmid), ==, 0);
	g_assert_cmpuint(offsetof(struct gh_vm_status, rm_status), ==, 2);
	g_assert_cmpuint(offsetof(struct gh_vm_status, os_status), ==, 3);
	g_assert_cmpuint(offsetof(struct gh_vm_status, exit_status), ==, 4);
	g_assert_cmpuint(offsetof(struct gh_vm_status, exit_type), ==, 8);
	g_assert_cmpuint(offsetof(struct gh_vm_status, reserved), ==, 10);
	g_assert_cmpuint(offsetof(struct gh_vm_status, exit_reason_size), ==, 12);
	g_assert_cmpuint(offsetof(struct gh_vm_status, exit_reason), ==, 16);
	g_assert_cmpuint(GH_VM_MAX_EXIT_REASON_SIZE, ==, 8);
	g_assert_cmpuint(GH_VM_EXIT_STATUS_LOAD_FAILED, ==, 1);
	g_assert_cmpuint(GH_VM_EXIT_STATUS_EXITED, ==, 2);
	g_assert_cmpuint(GH_VM_EXIT_STATUS_CRASHED, ==, 3);
}

static void test_stop_layout(void)
{
	g_assert_cmpuint(sizeof(struct gh_vm_stop), ==, 8);
	g_assert_cmpuint(offsetof(struct gh_vm_stop, flags), ==, 0);
	g_assert_cmpuint(offsetof(struct gh_vm_stop, reason), ==, 4);
	g_assert_cmphex(GH_VM_STOP_FORCE, ==, 1);
}

static void test_rm_numbering(void)
{
	/* Reference §3.10 and §3.6: the RM's own numbers, passed through. */
	g_assert_cmpuint(GH_RM_VM_STATUS_INIT, ==, 1);
	g_assert_cmpuint(GH_RM_VM_STATUS_READY, ==, 2);
	g_assert_cmpuint(GH_RM_VM_STATUS_RUNNING, ==, 3);
	g_assert_cmpuint(GH_RM_VM_STATUS_LOAD, ==, 5);
	g_assert_cmpuint(GH_RM_VM_STATUS_INIT_FAILED, ==, 8);
	g_assert_cmpuint(GH_RM_VM_STATUS_EXITED, ==, 9);
	g_assert_cmpuint(GH_RM_VM_STATUS_RESET, ==, 11);
	g_assert_cmpuint(GH_RM_VM_EXIT_TYPE_VM_EXIT, ==, 0);
	g_assert_cmpuint(GH_RM_VM_EXIT_TYPE_WATCHDOG_BITE, ==, 4);
	g_assert_cmpuint(GH_RM_VM_EXIT_TYPE_VM_STOP_FORCED, ==, 7);
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/abi/ioctl-numbers", test_ioctl_numbers);
	g_test_add_func("/abi/mem-region/layout", test_mem_region_layout);
	g_test_add_func("/abi/mem-region/flags", test_mem_flags);
	g_test_add_func("/abi/dtb-config/layout", test_dtb_config_layout);
	g_test_add_func("/abi/status/layout", test_status_layout);
	g_test_add_func("/abi/stop/layout", test_stop_layout);
	g_test_add_func("/abi/rm-numbering", test_rm_numbering);
	return g_test_run();
}
