// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's power management ports (userspace/hvx-run/
 * pm.c), at the places the FADT of acpi_config_default() names: S5
 * powers off, the reset value reboots, everything else is ignored, and
 * other ports and S5 types follow the configuration.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

/* What a stop callback was asked. */
struct stopper {
	int calls, status;
	char why[128];
};

static void stop(void *ctx, int status, const char *why)
{
	struct stopper *s = ctx;

	s->calls++;
	s->status = status;
	snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
}

TEST(pm)
{
	struct io_bus *bus = malloc(sizeof(*bus));
	struct stopper st = { 0 };
	struct acpi_config cfg;
	unsigned int v;
	struct pm pm;
	uint8_t b;

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, stderr);
	acpi_config_default(&cfg, 1);
	pm_init(&pm, &cfg, stop, &st);
	ASSERT_EQ(0, pm_register(&pm, bus));
	/* Registered once only. */
	EXPECT_EQ(-1, pm_register(&pm, bus));

	/* Reads: 0 (WAK_STS never set). */
	b = 0xaa;
	io_bus_in(bus, PM_SLEEP_CONTROL_PORT, 1, &b);
	EXPECT_EQ(0, b);
	io_bus_in(bus, PM_SLEEP_STATUS_PORT, 1, &b);
	EXPECT_EQ(0, b);
	io_bus_in(bus, PM_RESET_PORT, 1, &b);
	EXPECT_EQ(0, b);

	/* Ignored: every sleep control value but SLP_EN | SLP_TYP 5... */
	for (v = 0; v < 256; v++) {
		if ((v & 0x3c) == 0x34)
			continue;
		b = v;
		io_bus_out(bus, PM_SLEEP_CONTROL_PORT, 1, &b);
	}
	/* ...every sleep status value, every reset value but 0x01. */
	for (v = 0; v < 256; v++) {
		b = v;
		io_bus_out(bus, PM_SLEEP_STATUS_PORT, 1, &b);
		if (v == PM_RESET_VALUE)
			continue;
		io_bus_out(bus, PM_RESET_PORT, 1, &b);
	}
	EXPECT_EQ(0, st.calls);

	/* As ACPICA writes it: WAK_STS cleared, then SLP_TYP 5 | SLP_EN. */
	b = PM_WAK_STS;
	io_bus_out(bus, PM_SLEEP_STATUS_PORT, 1, &b);
	b = PM_SLP_TYP_S5 << PM_SLP_TYP_SHIFT | PM_SLP_EN;
	EXPECT_EQ(0x34, b);
	io_bus_out(bus, PM_SLEEP_CONTROL_PORT, 1, &b);
	EXPECT_EQ(1, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_POWEROFF, st.status);
	EXPECT_STREQ("guest powered off (ACPI S5)", st.why);
	/* Reserved bits do not matter. */
	b = 0xf7;
	io_bus_out(bus, PM_SLEEP_CONTROL_PORT, 1, &b);
	EXPECT_EQ(2, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_POWEROFF, st.status);

	b = PM_RESET_VALUE;
	io_bus_out(bus, PM_RESET_PORT, 1, &b);
	EXPECT_EQ(3, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_REBOOT, st.status);
	EXPECT_STREQ("guest requested reboot (ACPI reset register)", st.why);
	EXPECT_NE(HVX_RUN_EXIT_POWEROFF, HVX_RUN_EXIT_REBOOT);

	/* Other ports and S5 types, as the configuration says. */
	io_bus_destroy(bus);
	io_bus_init(bus, stderr);
	cfg.sleep_control_port = 0x1000;
	cfg.reset_port = 0xcf9;
	cfg.reset_value = 0x06;
	cfg.s5_sleep_type = 0;
	pm_init(&pm, &cfg, stop, &st);
	ASSERT_EQ(0, pm_register(&pm, bus));
	b = 0x34;
	io_bus_out(bus, 0x1000, 1, &b);
	b = 0x01;
	io_bus_out(bus, 0xcf9, 1, &b);
	EXPECT_EQ(3, st.calls);
	b = 0x20;
	io_bus_out(bus, 0x1000, 1, &b);
	EXPECT_EQ(4, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_POWEROFF, st.status);
	b = 0x06;
	io_bus_out(bus, 0xcf9, 1, &b);
	EXPECT_EQ(5, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_REBOOT, st.status);
	io_bus_destroy(bus);
	free(bus);
}

TEST_HARNESS_MAIN
