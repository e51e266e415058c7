/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linked with one layer of gunyahd as a whole (link_whole) and only the
 * layers below it: a call from the layer to one above it is an undefined
 * symbol here, so the build fails. See daemon/meson.build.
 */
int main(void)
{
	return 0;
}
