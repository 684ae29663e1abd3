// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line: the table of option_table.c drives GLib's parser, the
 * defaults, --help and Wireshark's --extcap-config dialog.
 *
 * Every option goes through one callback, set_option(); defaults are applied
 * first by feeding each option's default through that same callback, and the
 * rules that involve several options are checked once at the end, in
 * check_rules().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>
#include <linux/types.h>
#include "options.h"
#include "packets.h"

#define PROG ECAP_INTERFACE_NAME

/* What the parse collects before check_rules() settles the fields of struct ecap_options. */
struct parse_state {
	struct ecap_options *opts;
	GPtrArray *interfaces; /* names, deduplicated */
	GPtrArray *tls_libs;
	GArray *pids; /* uint32_t */
	bool any_interface;
	char *write;	     /* -w */
	char *filter_option; /* -f */
	char **trailing;     /* the filter expression after the options */
};

#define OPTIONS_ERROR (g_quark_from_static_string("ecap-options-error"))
#define OPTIONS_ERROR_HELP 1 /* not an error: a help option ended the parse */

static bool is_ignored(const struct option_desc *o)
{
	return o->id >= OPT_IGNORED_FIRST && o->id <= OPT_IGNORED_LAST;
}

static bool is_extcap(const struct option_desc *o)
{
	return o->id < OPT_INTERFACE;
}

/* @name as GLib hands it over: "--snaplen" or "-s". */
static const struct option_desc *find_option(const char *name)
{
	const struct option_desc *o;

	for (o = options_table(); o->name; o++) {
		if (name[1] == '-' ? !strcmp(name + 2, o->name)
				   : (o->short_name && name[1] == o->short_name && !name[2]))
			return o;
	}
	return NULL;
}

static const struct option_desc *find_short(char c)
{
	const struct option_desc *o;

	for (o = options_table(); o->name; o++) {
		if (o->short_name == c)
			return o;
	}
	return NULL;
}

static gboolean fail(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean fail(GError **err, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error_literal(err, OPTIONS_ERROR, 0, msg);
	g_free(msg);
	return FALSE;
}

static gboolean parse_number(const struct option_desc *o, const char *name, const char *value,
			     uint64_t *out, GError **err)
{
	GError *perr = NULL;
	guint64 n;

	if (g_ascii_string_to_unsigned(value, 10, o->min, o->max, &n, &perr)) {
		*out = n;
		return TRUE;
	}
	if (g_error_matches(perr, G_NUMBER_PARSER_ERROR, G_NUMBER_PARSER_ERROR_OUT_OF_BOUNDS))
		fail(err,
		     "%s '%s' is out of range; use a number from %" G_GUINT64_FORMAT
		     " to %" G_GUINT64_FORMAT,
		     name, value, (guint64)o->min, (guint64)o->max);
	else
		fail(err,
		     "%s '%s' is not a number; use a number from %" G_GUINT64_FORMAT
		     " to %" G_GUINT64_FORMAT,
		     name, value, (guint64)o->min, (guint64)o->max);
	g_error_free(perr);
	return FALSE;
}

static gboolean parse_choice(const struct option_desc *o, const char *name, const char *value,
			     int *out, GError **err)
{
	GString *list;
	int i;

	for (i = 0; o->choices[i].value; i++) {
		if (!strcmp(value, o->choices[i].value)) {
			*out = i;
			return TRUE;
		}
	}
	list = g_string_new(NULL);
	for (i = 0; o->choices[i].value; i++)
		g_string_append_printf(list, "%s%s", i ? ", " : "", o->choices[i].value);
	fail(err, "%s '%s' is not one of %s", name, value, list->str);
	g_string_free(list, TRUE);
	return FALSE;
}

static bool has_interface(GPtrArray *names, const char *name)
{
	guint i;

	for (i = 0; i < names->len; i++) {
		if (!strcmp(g_ptr_array_index(names, i), name))
			return true;
	}
	return false;
}

/* -i NAME, repeatable; Wireshark hands its multi-select over as one "a,b,c". */
static gboolean add_interfaces(struct parse_state *st, const char *name, const char *value,
			       GError **err)
{
	char **parts;
	gboolean ok = TRUE;
	char **p;

	if (!*value)
		return fail(err, "%s '' names no interface; use -i NAME[,NAME...]", name);
	parts = g_strsplit(value, ",", -1);
	for (p = parts; ok && *p; p++) {
		if (!**p)
			ok = fail(err, "%s '%s' has an empty interface name; use -i NAME[,NAME...]",
				  name, value);
		else if (strlen(*p) >= 16)
			ok = fail(err, "%s '%s': no interface name is longer than 15 characters",
				  name, *p);
		else if (!strcmp(*p, "any"))
			st->any_interface = true;
		else if (!has_interface(st->interfaces, *p))
			g_ptr_array_add(st->interfaces, g_strdup(*p));
	}
	g_strfreev(parts);
	return ok;
}

/* --pid N[,N...], repeatable; Wireshark's empty field means no filter. */
static gboolean add_pids(struct parse_state *st, const struct option_desc *o, const char *name,
			 const char *value, GError **err)
{
	char **parts = g_strsplit(value, ",", -1);
	gboolean ok = TRUE;

	for (char **p = parts; ok && *p; p++) {
		uint64_t pid;

		if (!**p && !*value)
			break;
		ok = parse_number(o, name, *p, &pid, err);
		if (ok)
			g_array_append_val(st->pids, (uint32_t){ (uint32_t)pid });
	}
	g_strfreev(parts);
	return ok;
}

static void set_string(char **field, const char *value)
{
	g_free(*field);
	*field = g_strdup(value);
}

static gboolean set_path(char **field, const char *name, const char *value, GError **err)
{
	if (!*value)
		return fail(err, "%s needs a file name, or '-' for standard output", name);
	set_string(field, value);
	return TRUE;
}

static gboolean set_option(struct parse_state *st, const struct option_desc *o, const char *name,
			   const char *value, GError **err)
{
	struct ecap_options *opts = st->opts;
	uint64_t n;
	int choice;

	switch (o->id) {
	case OPT_EXTCAP_INTERFACES:
		opts->extcap_interfaces = true;
		return TRUE;
	case OPT_EXTCAP_DLTS:
		opts->extcap_dlts = true;
		return TRUE;
	case OPT_EXTCAP_CONFIG:
		opts->extcap_config = true;
		return TRUE;
	case OPT_EXTCAP_INTERFACE:
		set_string(&opts->extcap_interface, value);
		return TRUE;
	case OPT_EXTCAP_RELOAD_OPTION:
		set_string(&opts->extcap_reload_option, value);
		return TRUE;
	case OPT_EXTCAP_CAPTURE_FILTER:
		set_string(&opts->extcap_capture_filter, value);
		return TRUE;
	case OPT_EXTCAP_VERSION:
		set_string(&opts->extcap_version, value);
		return TRUE;
	case OPT_CAPTURE:
		opts->capture = true;
		return TRUE;
	case OPT_FIFO:
		return set_path(&opts->fifo, name, value, err);
	case OPT_INTERFACE:
		return add_interfaces(st, name, value, err);
	case OPT_WRITE:
		return set_path(&st->write, name, value, err);
	case OPT_FILTER:
		set_string(&st->filter_option, value);
		return TRUE;
	case OPT_SNAPLEN:
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->snaplen = n ? n : MAX_SNAPLEN; /* tcpdump's -s 0 */
		return TRUE;
	case OPT_COUNT:
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->count = n;
		return TRUE;
	case OPT_DURATION:
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->duration = n;
		return TRUE;
	case OPT_BUFFER_SIZE:
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->buffer_kib = n;
		return TRUE;
	case OPT_ATTACH:
		if (!parse_choice(o, name, value, &choice, err))
			return FALSE;
		opts->attach = choice; /* attach_choices[] is in enum attach_mode order */
		return TRUE;
	case OPT_PID:
		return add_pids(st, o, name, value, err);
	case OPT_FOLLOW_CHILDREN:
		opts->follow_children = true;
		return TRUE;
	case OPT_UID:
		if (!*value)
			return TRUE; /* Wireshark's empty field: any user */
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->uid = n;
		return TRUE;
	case OPT_COMM:
		if (strlen(value) > 15)
			return fail(err, "%s '%s' is longer than a command name can be (15 bytes)",
				    name, value);
		if (*value)
			set_string(&opts->comm, value);
		return TRUE;
	case OPT_CGROUP:
		if (*value)
			set_string(&opts->cgroup, value);
		return TRUE;
	case OPT_NO_TLS:
		opts->no_tls = true;
		return TRUE;
	case OPT_TLS_LIB:
		if (!*value)
			return fail(err, "%s needs the path of a libssl file", name);
		g_ptr_array_add(st->tls_libs, g_strdup(value));
		return TRUE;
	case OPT_KEYLOG_FILE:
		return set_path(&opts->keylog_file, name, value, err);
	case OPT_TLS_WAIT:
		if (!parse_number(o, name, value, &n, err))
			return FALSE;
		opts->tls_wait_ms = n;
		return TRUE;
	case OPT_VERBOSE:
		opts->verbose = true;
		return TRUE;
	case OPT_VERSION:
		opts->version = true;
		return TRUE;
	case OPT_CLEANUP:
		opts->cleanup = true;
		return TRUE;
	default:
		return TRUE; /* accepted and unused */
	}
}

static gboolean on_option(const gchar *name, const gchar *value, gpointer data, GError **err)
{
	const struct option_desc *o = find_option(name);

	if (!o)
		return fail(err, "%s is not handled; this is a bug", name);
	return set_option(data, o, name, value, err);
}

/*
 * GLib's own help options print and exit() in the middle of the parse; ours
 * only record the request, so that a parse never ends the process (the
 * fuzzer runs it over and over) and main() prints the help.
 */
static gboolean on_help(const gchar *name, const gchar *value, gpointer data, GError **err)
{
	struct parse_state *st = data;

	if (!strcmp(name, "--help-all"))
		st->opts->help = OPTIONS_HELP_ALL;
	else if (!strcmp(name, "--help-extcap"))
		st->opts->help = OPTIONS_HELP_EXTCAP;
	else
		st->opts->help = OPTIONS_HELP_MAIN;
	/* Stop where GLib's help would: what follows is neither used nor checked. */
	g_set_error_literal(err, OPTIONS_ERROR, OPTIONS_ERROR_HELP, "help");
	return FALSE;
}

/* Hidden: GLib lists its help options itself when it prints the help. */
static const GOptionEntry help_entries[] = {
	{ "help", 'h', G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
	  (gpointer)on_help, NULL, NULL },
	{ "?", '?', G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
	  (gpointer)on_help, NULL, NULL },
	{ "help-all", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
	  (gpointer)on_help, NULL, NULL },
	{ "help-extcap", 0, G_OPTION_FLAG_HIDDEN | G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
	  (gpointer)on_help, NULL, NULL },
	{ NULL },
};

static int apply_defaults(struct parse_state *st)
{
	const struct option_desc *o;
	GError *err = NULL;
	char name[64];

	for (o = options_table(); o->name; o++) {
		if (!o->def)
			continue;
		snprintf(name, sizeof(name), "--%s", o->name);
		if (!set_option(st, o, name, o->def, &err)) {
			fprintf(stderr, PROG ": bad default: %s\n", err->message);
			g_error_free(err);
			return -1;
		}
	}
	return 0;
}

static GOptionEntry entry_for(const struct option_desc *o)
{
	GOptionEntry e = {
	    .long_name = o->name,
	    .short_name = o->short_name,
	    .arg = G_OPTION_ARG_CALLBACK,
	    .arg_data = (gpointer)on_option,
	    .description = o->help,
	    .arg_description = o->arg,
	};

	/* FILENAME: the bytes as given, not converted from the locale's charset */
	e.flags = o->arg ? G_OPTION_FLAG_FILENAME : G_OPTION_FLAG_NO_ARG;
	if (is_ignored(o))
		e.flags |= G_OPTION_FLAG_HIDDEN;
	return e;
}

/* The capture options, or Wireshark's (@extcap), as a zero-terminated array to free. */
static GOptionEntry *entries_for(struct parse_state *st, bool extcap)
{
	const struct option_desc *o;
	GOptionEntry *entries;
	size_t i = 0;

	for (o = options_table(); o->name; o++)
		i++;
	entries = g_new0(GOptionEntry, i + 1);
	i = 0;
	for (o = options_table(); o->name; o++) {
		if (is_extcap(o) == extcap)
			entries[i++] = entry_for(o);
	}
	if (!extcap)
		entries[i] = (GOptionEntry){.long_name = G_OPTION_REMAINING,
					    .arg = G_OPTION_ARG_FILENAME_ARRAY,
					    .arg_data = &st->trailing};
	return entries;
}

static GOptionGroup *build_group(struct parse_state *st, bool extcap)
{
	GOptionEntry *entries = entries_for(st, extcap);
	GOptionGroup *group;

	if (extcap)
		group = g_option_group_new("extcap", "Wireshark's extcap protocol:",
					   "Show the options Wireshark uses", st, NULL);
	else
		group = g_option_group_new(PROG, "Capture options:", "Show the capture options", st,
					   NULL);
	g_option_group_add_entries(group, entries); /* copies the array */
	g_free(entries);
	return group;
}

/*
 * --help shows the capture options, --help-extcap the protocol's. A context
 * for @parsing handles the help options itself (help_entries[]); one for
 * printing the help lets GLib list them, and gives its @extcap group.
 */
static GOptionContext *build_context(struct parse_state *st, bool parsing, GOptionGroup **extcap)
{
	GOptionContext *ctx = g_option_context_new("[FILTER EXPRESSION]");
	GOptionGroup *main_group = build_group(st, false), *extcap_group = build_group(st, true);

	if (parsing) {
		g_option_context_set_help_enabled(ctx, FALSE);
		g_option_group_add_entries(main_group, help_entries);
	}
	if (extcap)
		*extcap = extcap_group;
	g_option_context_set_main_group(ctx, main_group);
	g_option_context_add_group(ctx, extcap_group);
	g_option_context_set_summary(
	    ctx, "Captures packets with TC eBPF into pcapng, each interface as tcpdump sees it.\n"
		 "Also Wireshark's \"" ECAP_DISPLAY_NAME "\" extcap interface.");
	return ctx;
}

/*
 * tcpdump habits such as "-s0", "-ieth0" and "-w-" carry the value in the same
 * word as the option; GLib wants two words. Returns a copy of @argv with those
 * split, for g_option_context_parse_strv().
 */
static char **split_attached_values(int argc, char **argv)
{
	GPtrArray *out = g_ptr_array_new();
	bool value_next = false, options_done = false;
	const struct option_desc *o;
	int i, j;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (i == 0 || value_next || options_done || a[0] != '-' || !a[1]) {
			value_next = false;
			g_ptr_array_add(out, g_strdup(a));
			continue;
		}
		if (a[1] == '-') {
			options_done = !a[2];
			o = options_done ? NULL : find_option(a);
			value_next = o && o->arg && !strchr(a, '=');
			g_ptr_array_add(out, g_strdup(a));
			continue;
		}
		for (j = 1; a[j]; j++) {
			o = find_short(a[j]);
			if (o && o->arg)
				break;
		}
		if (a[j] && a[j + 1]) {
			g_ptr_array_add(out, g_strndup(a, j + 1));
			g_ptr_array_add(out, g_strdup(a + j + 1));
		} else {
			value_next = a[j];
			g_ptr_array_add(out, g_strdup(a));
		}
	}
	g_ptr_array_add(out, NULL);
	return (char **)g_ptr_array_free(out, FALSE);
}

static const char *filter_source(const struct parse_state *st, const char *filter)
{
	if (filter == st->filter_option)
		return "-f/--filter";
	if (filter == st->opts->extcap_capture_filter)
		return "--extcap-capture-filter";
	return "the expression after the options";
}

/* One capture filter from -f, the trailing words, or Wireshark's --extcap-capture-filter. */
static gboolean settle_filter(struct parse_state *st, GError **err)
{
	struct ecap_options *opts = st->opts;
	char *trailing = st->trailing ? g_strjoinv(" ", st->trailing) : NULL;
	const char *given[3] = {
	    st->filter_option,
	    trailing,
	    opts->capture ? opts->extcap_capture_filter : NULL,
	};
	const char *filter = NULL;
	gboolean ok = TRUE;
	size_t i;

	for (i = 0; ok && i < G_N_ELEMENTS(given); i++) {
		if (!given[i] || !given[i][0])
			continue;
		if (filter)
			ok =
			    fail(err, "two capture filters: '%s' (%s) and '%s' (%s); give only one",
				 filter, filter_source(st, filter), given[i],
				 filter_source(st, given[i]));
		filter = given[i];
	}
	if (ok && filter)
		set_string(&opts->filter, filter);
	g_free(trailing);
	return ok;
}

static gboolean settle_interfaces(struct parse_state *st)
{
	struct ecap_options *opts = st->opts;

	if (st->any_interface || !st->interfaces->len)
		return TRUE; /* NULL: every interface that is up */
	g_ptr_array_add(st->interfaces, NULL);
	opts->interfaces = (char **)g_ptr_array_free(st->interfaces, FALSE);
	st->interfaces = NULL;
	return TRUE;
}

static gboolean settle_tls_libs(struct parse_state *st)
{
	if (!st->tls_libs->len)
		return TRUE;
	g_ptr_array_add(st->tls_libs, NULL);
	st->opts->tls_libs = (char **)g_ptr_array_free(st->tls_libs, FALSE);
	st->tls_libs = NULL;
	return TRUE;
}

static gboolean settle_output(struct parse_state *st, GError **err)
{
	struct ecap_options *opts = st->opts;

	if (st->write && opts->fifo)
		return fail(err, "-w '%s' and --fifo '%s' both name the output; give only one",
			    st->write, opts->fifo);
	if (st->write || opts->fifo) {
		set_string(&opts->output, st->write ? st->write : opts->fifo);
		return TRUE;
	}
	if (options_is_query(opts))
		return TRUE;
	if (isatty(STDOUT_FILENO))
		return fail(err,
			    "refusing to write pcapng to a terminal; use -w FILE, or pipe into "
			    "'tshark -r -'");
	set_string(&opts->output, "-");
	return TRUE;
}

/* The rules that involve several options, checked once after the parse. */
static gboolean check_rules(struct parse_state *st, GError **err)
{
	struct ecap_options *opts = st->opts;

	if (opts->extcap_interface && strcmp(opts->extcap_interface, ECAP_INTERFACE_NAME))
		return fail(err,
			    "--extcap-interface '%s' is unknown; this program provides only "
			    "'" ECAP_INTERFACE_NAME "'",
			    opts->extcap_interface);
	if (opts->capture && !opts->fifo)
		return fail(err, "--capture needs --fifo PATH to write the capture to");
	if (opts->follow_children && !st->pids->len)
		return fail(err, "--follow-children follows the processes of --pid; give --pid");
	opts->n_pids = st->pids->len;
	opts->pids = opts->n_pids ? g_memdup2(st->pids->data, opts->n_pids * sizeof(uint32_t))
				  : NULL;
	if (opts->no_tls && (st->tls_libs->len || opts->keylog_file))
		return fail(err, "--no-tls takes no secrets; drop --tls-lib and --keylog-file");
	return settle_filter(st, err) && settle_interfaces(st) && settle_tls_libs(st) &&
	       settle_output(st, err);
}

bool options_is_query(const struct ecap_options *opts)
{
	return opts->version || opts->cleanup || opts->extcap_interfaces || opts->extcap_dlts ||
	       opts->extcap_config || opts->extcap_reload_option ||
	       (opts->extcap_capture_filter && !opts->capture);
}

static void report(GError *err)
{
	if (err->domain == OPTIONS_ERROR)
		fprintf(stderr, PROG ": %s\n", err->message);
	else /* GLib's own: an unknown option, a missing value */
		fprintf(stderr, PROG ": %s; see '" PROG " --help'\n", err->message);
}

int options_parse(int argc, char **argv, struct ecap_options *opts)
{
	struct parse_state st = {.opts = opts};
	GOptionContext *ctx = NULL;
	char **args = NULL;
	GError *err = NULL;
	gboolean parsed;
	int ret = -1;

	memset(opts, 0, sizeof(*opts));
	opts->uid = -1;
	/* Decided here once, by who ran us: file capabilities leave the real uid alone. */
	opts->only_uid = getuid() ? getuid() : UINT32_MAX;
	st.interfaces = g_ptr_array_new_with_free_func(g_free);
	st.tls_libs = g_ptr_array_new_with_free_func(g_free);
	st.pids = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	if (!g_get_prgname())
		g_set_prgname(PROG);
	if (apply_defaults(&st))
		goto cleanup;
	ctx = build_context(&st, true, NULL);
	args = split_attached_values(argc, argv);
	parsed = g_option_context_parse_strv(ctx, &args, &err);
	if (!parsed && g_error_matches(err, OPTIONS_ERROR, OPTIONS_ERROR_HELP))
		ret = 0; /* the caller prints the help */
	else if (!parsed || !check_rules(&st, &err))
		report(err);
	else
		ret = 0;
cleanup:
	g_clear_error(&err);
	g_strfreev(args);
	if (ctx)
		g_option_context_free(ctx);
	if (st.interfaces)
		g_ptr_array_free(st.interfaces, TRUE);
	if (st.tls_libs)
		g_ptr_array_free(st.tls_libs, TRUE);
	if (st.pids)
		g_array_free(st.pids, TRUE);
	g_free(st.write);
	g_free(st.filter_option);
	g_strfreev(st.trailing);
	if (ret)
		options_free(opts);
	return ret;
}

void options_print_help(const struct ecap_options *opts)
{
	struct parse_state st = { 0 }; /* the printing context parses nothing */
	GOptionGroup *extcap;
	GOptionContext *ctx = build_context(&st, false, &extcap);
	char *text = g_option_context_get_help(ctx, opts->help == OPTIONS_HELP_MAIN,
					       opts->help == OPTIONS_HELP_EXTCAP ? extcap : NULL);

	fputs(text, stdout);
	g_free(text);
	g_option_context_free(ctx);
}

void options_free(struct ecap_options *opts)
{
	g_free(opts->extcap_interface);
	g_free(opts->extcap_reload_option);
	g_free(opts->extcap_capture_filter);
	g_free(opts->extcap_version);
	g_free(opts->fifo);
	g_strfreev(opts->interfaces);
	g_free(opts->output);
	g_free(opts->filter);
	g_strfreev(opts->tls_libs);
	g_free(opts->keylog_file);
	g_free(opts->pids);
	g_free(opts->comm);
	g_free(opts->cgroup);
	memset(opts, 0, sizeof(*opts));
}
