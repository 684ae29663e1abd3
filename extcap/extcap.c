// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Wireshark's extcap queries, answered from the option table (options_table())
 * and the live interfaces (netdev_list()).
 *
 * Facts this relies on, from Wireshark's extcap_parser.c and ui/qt (4.0):
 * - a field is "{key=value}" and ends at the first '}' that a '{', a blank or the
 *   end of the line follows, so values must not hold braces or newlines;
 * - a multicheck's value is the checked values joined with ',', passed as one
 *   argument; its checkboxes need {enabled=true}, its defaults come from
 *   {default=true} on value lines, not from the arg line;
 * - a selector's default also comes from {default=true} on a value line;
 * - Wireshark passes --extcap-reload-option with the call's name without "--".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "extcap.h"
#include "filter.h"
#include "log.h"
#include "netdev.h"

#ifndef ECAP_VERSION
#define ECAP_VERSION "0.0.0"
#endif
/* Where the dialog's Help button leads; the build may point it at the installed README. */
#ifndef ECAP_HELP_URL
#define ECAP_HELP_URL "file:///usr/local/share/doc/ecap-tls/README.md"
#endif

/* Prints "{key=value}", braces turned into parentheses and control characters into blanks. */
static void field(const char *key, const char *value)
{
	const char *p;

	if (!value)
		return;
	printf("{%s=", key);
	for (p = value; *p; p++) {
		unsigned char c = *p;

		if (c == '{')
			c = '(';
		else if (c == '}')
			c = ')';
		else if (c < 0x20 || c == 0x7f)
			c = ' ';
		putchar(c);
	}
	putchar('}');
}

static void field_u64(const char *key, uint64_t value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	field(key, buf);
}

/* Flushes the answer; a reader that went away is the one error left to report. */
static int finish(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		log_error("failed to write the extcap answer: %s", strerror(errno));
		return 1;
	}
	return 0;
}

static int print_interfaces(void)
{
	printf("extcap ");
	field("version", ECAP_VERSION);
	field("help", ECAP_HELP_URL);
	printf("\ninterface ");
	field("value", ECAP_INTERFACE_NAME);
	field("display", ECAP_DISPLAY_NAME);
	putchar('\n');
	return finish();
}

/* The pcapng stream carries each interface's own link type; Ethernet is the common one. */
static int print_dlts(void)
{
	printf("dlt ");
	field_u64("number", LINKTYPE_ETHERNET);
	field("name", "EN10MB");
	field("display", "Ethernet");
	putchar('\n');
	return finish();
}

static const char *extcap_type_name(enum extcap_arg_type type)
{
	switch (type) {
	case EXTCAP_ARG_MULTICHECK:
		return "multicheck";
	case EXTCAP_ARG_UNSIGNED:
		return "unsigned";
	case EXTCAP_ARG_SELECTOR:
		return "selector";
	case EXTCAP_ARG_BOOLFLAG:
		return "boolflag";
	case EXTCAP_ARG_FILESELECT:
		return "fileselect";
	case EXTCAP_ARG_STRING:
		return "string";
	default:
		return NULL;
	}
}

/* A name that cannot travel through the dialog: it would break a field or the ',' list. */
static bool unlistable(const char *name)
{
	return strpbrk(name, ",{}") != NULL;
}

/* One checkbox per interface of this namespace, the ones that are up checked. */
static int print_interface_values(int argnum)
{
	struct netdev *devs;
	int i, n = netdev_list(&devs);

	if (n < 0) {
		log_error("failed to list the network interfaces: %s", strerror(-n));
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (unlistable(devs[i].name)) {
			log_debug(
			    "interface '%s' left out of the dialog: its name has ',' or braces",
			    devs[i].name);
			continue;
		}
		printf("value ");
		field_u64("arg", argnum);
		field("value", devs[i].name);
		field("display", devs[i].description);
		field("enabled", "true");
		field("default", devs[i].up ? "true" : "false");
		putchar('\n');
	}
	free(devs);
	return 0;
}

static void print_choice_values(const struct option_desc *o, int argnum)
{
	const struct option_choice *c;

	for (c = o->choices; c->value; c++) {
		printf("value ");
		field_u64("arg", argnum);
		field("value", c->value);
		field("display", c->display);
		if (o->def && !strcmp(o->def, c->value))
			field("default", "true");
		putchar('\n');
	}
}

/* The value lines of the option numbered @argnum in the dialog. */
static int print_values(const struct option_desc *o, int argnum)
{
	if (o->extcap == EXTCAP_ARG_MULTICHECK)
		return print_interface_values(argnum);
	if (o->extcap == EXTCAP_ARG_SELECTOR)
		print_choice_values(o, argnum);
	return 0;
}

static void print_arg(const struct option_desc *o, int argnum)
{
	char call[64];

	snprintf(call, sizeof(call), "--%s", o->name);
	printf("arg ");
	field_u64("number", argnum);
	field("call", call);
	field("display", o->display);
	field("type", extcap_type_name(o->extcap));
	field("tooltip", o->help);
	switch (o->extcap) {
	case EXTCAP_ARG_MULTICHECK:
		/* Wireshark's dialog re-reads the list whenever it opens; a selector would
		 * also show a button for this. */
		field("reload", "true");
		field("placeholder", "Rescan interfaces");
		break;
	case EXTCAP_ARG_UNSIGNED:
		/* The dialog checks numbers as C ints: give a range only where it fits. */
		if (o->max <= INT32_MAX) {
			char range[48];

			snprintf(range, sizeof(range), "%llu,%llu", (unsigned long long)o->min,
				 (unsigned long long)o->max);
			field("range", range);
		}
		field("default", o->def);
		break;
	case EXTCAP_ARG_BOOLFLAG:
		field("default", "false");
		break;
	case EXTCAP_ARG_FILESELECT:
		field("mustexist", "false");
		break;
	default:
		break;
	}
	field("group", o->group);
	putchar('\n');
}

static int print_config(void)
{
	const struct option_desc *o;
	int argnum = 0, err;

	for (o = options_table(); o->name; o++) {
		if (o->extcap == EXTCAP_ARG_NONE)
			continue;
		print_arg(o, argnum);
		err = print_values(o, argnum);
		if (err)
			return err;
		argnum++;
	}
	return finish();
}

/* Wireshark names the option without its "--"; a person may well type it. */
static int print_reload(const char *name)
{
	const struct option_desc *o;
	int argnum = 0, err;

	if (!strncmp(name, "--", 2))
		name += 2;
	for (o = options_table(); o->name; o++) {
		if (o->extcap == EXTCAP_ARG_NONE)
			continue;
		if (!strcmp(o->name, name)) {
			err = print_values(o, argnum);
			return err ? err : finish();
		}
		argnum++;
	}
	log_error("--extcap-reload-option '%s' is not an option of the dialog; try 'interface'",
		  name);
	return 1;
}

/* Silence means valid; otherwise libpcap's own message, on one line, for the dialog. */
static int check_filter(const struct ecap_options *opts)
{
	struct filter_prog prog = {0};
	char err[FILTER_ERRBUF_SIZE];

	if (filter_compile(opts->extcap_capture_filter, LINKTYPE_ETHERNET, opts->snaplen, &prog,
			   err, sizeof(err))) {
		err[strcspn(err, "\r\n")] = '\0';
		printf("%s\n", err[0] ? err : "invalid capture filter");
		return finish();
	}
	filter_free(&prog);
	return finish();
}

int extcap_answer(const struct ecap_options *opts)
{
	if (opts->extcap_interfaces)
		return print_interfaces();
	if (opts->extcap_dlts)
		return print_dlts();
	if (opts->extcap_reload_option)
		return print_reload(opts->extcap_reload_option);
	if (opts->extcap_config)
		return print_config();
	if (opts->extcap_capture_filter && !opts->capture)
		return check_filter(opts);
	return -1;
}
