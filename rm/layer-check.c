/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked with one rm/ library as a whole (link_whole) and only what is below
 * it: the codec with libc alone, the emulator with the codec and libfdt. A
 * call to anything above is an undefined symbol here, so the build fails.
 * See rm/meson.build.
 */
int main(void)
{
	return 0;
}
