// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * packet-ecap.c: the process that owns each packet, from the ecap/1 packet
 * comments that ecap-tls writes (docs/comment-format.md).
 *
 * A post-dissector: it runs on every frame, after all the others, reads the
 * frame's pcapng comments from its record block and turns each ecap/1 one into
 * a "Process" subtree with the ecap.* fields, which work in display filters,
 * custom columns and tshark -T fields. Comments that are not ours are left
 * alone; a broken or newer one gets expert info, never a crash.
 *
 * Builds against Wireshark 4.0 and later (the plugin entry points changed in
 * 4.2 and 4.4; see the end of this file).
 */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <ws_version.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/expert.h>
#include <epan/charsets.h>
#include <epan/strutil.h>
#include <wiretap/wtap.h>
#include <wiretap/wtap_opttypes.h>
#if defined(__has_include)
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h> /* 4.2+: plugin_describe(), 4.4+: WIRESHARK_PLUGIN_REGISTER_EPAN */
#endif
#endif

#include "ecap-comment.h"

#ifndef ECAP_PLUGIN_VERSION
#define ECAP_PLUGIN_VERSION "0.0.0"
#endif

void proto_register_ecap(void);
void proto_reg_handoff_ecap(void);

static int proto_ecap = -1;

static int hf_ecap_pid = -1;
static int hf_ecap_tid = -1;
static int hf_ecap_uid = -1;
static int hf_ecap_comm = -1;
static int hf_ecap_exe = -1;
static int hf_ecap_cgroup = -1;
static int hf_ecap_container = -1;

static gint ett_ecap = -1;

static expert_field ei_ecap_malformed = EI_INIT;
static expert_field ei_ecap_version = EI_INIT;

static dissector_handle_t ecap_handle;

static void
add_uint(proto_tree *tree, int hf, tvbuff_t *tvb, guint32 value)
{
	proto_item_set_generated(proto_tree_add_uint(tree, hf, tvb, 0, 0, value));
}

/*
 * Decoded values may be any bytes but NUL; a field must be UTF-8, so bad
 * bytes become U+FFFD, as for strings in packet data.
 */
static const char *
to_utf8(packet_info *pinfo, const char *s)
{
	return (const char *)get_utf_8_string(pinfo->pool, (const guint8 *)s, (gint)strlen(s));
}

static void
add_string(proto_tree *tree, int hf, tvbuff_t *tvb, packet_info *pinfo, const char *s)
{
	proto_item_set_generated(proto_tree_add_string(tree, hf, tvb, 0, 0, to_utf8(pinfo, s)));
}

/* One comment: not ours (FALSE), or a Process subtree, or expert info. */
static gboolean
dissect_ecap_comment(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, const char *comment)
{
	struct ecap_comment *c = wmem_new(pinfo->pool, struct ecap_comment);
	proto_tree *ecap_tree;
	proto_item *ti;

	switch (ecap_comment_parse(comment, strlen(comment), c)) {
	case ECAP_NOT_ECAP:
		return FALSE;
	case ECAP_UNKNOWN_VERSION:
		ti = proto_tree_add_item(tree, proto_ecap, tvb, 0, 0, ENC_NA);
		proto_item_append_text(ti, " [ecap/%u comment]", c->version);
		expert_add_info_format(pinfo, ti, &ei_ecap_version,
				       "ecap/%u process comment: this plugin reads ecap/1 only,"
				       " a newer one may read it", c->version);
		return TRUE;
	case ECAP_MALFORMED:
		ti = proto_tree_add_item(tree, proto_ecap, tvb, 0, 0, ENC_NA);
		proto_item_append_text(ti, " [malformed comment]");
		expert_add_info_format(pinfo, ti, &ei_ecap_malformed,
				       "Malformed ecap process comment: %s, at byte %" G_GSIZE_FORMAT,
				       c->error, (gsize)c->error_offset);
		return TRUE;
	case ECAP_OK:
		break;
	}

	ti = proto_tree_add_item(tree, proto_ecap, tvb, 0, 0, ENC_NA);
	ecap_tree = proto_item_add_subtree(ti, ett_ecap);
	if (c->has & ECAP_HAS_COMM) {
		const char *comm = to_utf8(pinfo, c->comm);

		proto_item_append_text(ti, ": %s", format_text(pinfo->pool, (const void *)comm,
							       strlen(comm)));
	}
	if (c->has & ECAP_HAS_PID)
		proto_item_append_text(ti, " (pid %u)", c->pid);

	if (c->has & ECAP_HAS_PID)
		add_uint(ecap_tree, hf_ecap_pid, tvb, c->pid);
	if (c->has & ECAP_HAS_TID)
		add_uint(ecap_tree, hf_ecap_tid, tvb, c->tid);
	if (c->has & ECAP_HAS_UID)
		add_uint(ecap_tree, hf_ecap_uid, tvb, c->uid);
	if (c->has & ECAP_HAS_COMM)
		add_string(ecap_tree, hf_ecap_comm, tvb, pinfo, c->comm);
	if (c->has & ECAP_HAS_EXE)
		add_string(ecap_tree, hf_ecap_exe, tvb, pinfo, c->exe);
	if (c->has & ECAP_HAS_CGROUP)
		add_string(ecap_tree, hf_ecap_cgroup, tvb, pinfo, c->cgroup);
	if (c->has & ECAP_HAS_CONTAINER)
		add_string(ecap_tree, hf_ecap_container, tvb, pinfo, c->container);
	return TRUE;
}

static int
dissect_ecap(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
	wtap_block_t block = pinfo->rec ? pinfo->rec->block : NULL;
	gboolean found = FALSE;
	guint i, n;

	if (!block)
		return 0;
	n = wtap_block_count_option(block, OPT_COMMENT);
	for (i = 0; i < n; i++) {
		char *comment = NULL; /* belongs to the block */

		if (wtap_block_get_nth_string_option_value(block, OPT_COMMENT, i, &comment) !=
			    WTAP_OPTTYPE_SUCCESS ||
		    !comment)
			continue;
		if (dissect_ecap_comment(tvb, pinfo, tree, comment))
			found = TRUE;
	}
	return found ? (int)tvb_captured_length(tvb) : 0;
}

void
proto_register_ecap(void)
{
	static hf_register_info hf[] = {
		{ &hf_ecap_pid,
		  { "PID", "ecap.pid", FT_UINT32, BASE_DEC, NULL, 0x0,
		    "Process id (thread group id) in the capturing host's PID namespace",
		    HFILL } },
		{ &hf_ecap_tid,
		  { "TID", "ecap.tid", FT_UINT32, BASE_DEC, NULL, 0x0,
		    "Id of the thread that sent or received the packet", HFILL } },
		{ &hf_ecap_uid,
		  { "UID", "ecap.uid", FT_UINT32, BASE_DEC, NULL, 0x0,
		    "User id the process runs as", HFILL } },
		{ &hf_ecap_comm,
		  { "Command", "ecap.comm", FT_STRING, BASE_NONE, NULL, 0x0,
		    "The kernel's command name of the task (comm)", HFILL } },
		{ &hf_ecap_exe,
		  { "Executable", "ecap.exe", FT_STRING, BASE_NONE, NULL, 0x0,
		    "Path of the process's executable", HFILL } },
		{ &hf_ecap_cgroup,
		  { "Cgroup", "ecap.cgroup", FT_STRING, BASE_NONE, NULL, 0x0,
		    "Cgroup v2 path of the process", HFILL } },
		{ &hf_ecap_container,
		  { "Container", "ecap.container", FT_STRING, BASE_NONE, NULL, 0x0,
		    "Id of the container the process runs in", HFILL } },
	};
	static gint *ett[] = {
		&ett_ecap,
	};
	static ei_register_info ei[] = {
		{ &ei_ecap_malformed,
		  { "ecap.malformed", PI_MALFORMED, PI_ERROR, "Malformed ecap process comment",
		    EXPFILL } },
		{ &ei_ecap_version,
		  { "ecap.unknown_version", PI_UNDECODED, PI_WARN,
		    "ecap process comment of a version this plugin does not read", EXPFILL } },
	};
	expert_module_t *expert_ecap;

	proto_ecap = proto_register_protocol("Process", "ecap", "ecap");
	proto_register_field_array(proto_ecap, hf, array_length(hf));
	proto_register_subtree_array(ett, array_length(ett));
	expert_ecap = expert_register_protocol(proto_ecap);
	expert_register_field_array(expert_ecap, ei, array_length(ei));

	ecap_handle = register_dissector("ecap", dissect_ecap, proto_ecap);
}

void
proto_reg_handoff_ecap(void)
{
	register_postdissector(ecap_handle);
}

/*
 * Plugin entry points. 4.0 and 4.2 look up plugin_version, plugin_want_major,
 * plugin_want_minor and plugin_register() (4.2 also plugin_describe()); 4.4
 * and later call the function that WIRESHARK_PLUGIN_REGISTER_EPAN defines.
 */
#ifdef WIRESHARK_PLUGIN_REGISTER_EPAN
static void
plugin_register(void)
#else
WS_DLL_PUBLIC_DEF const gchar plugin_version[] = ECAP_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void
plugin_register(void)
#endif
{
	static proto_plugin plugin;

	plugin.register_protoinfo = proto_register_ecap;
	plugin.register_handoff = proto_reg_handoff_ecap;
	proto_register_plugin(&plugin);
}

#ifdef WIRESHARK_PLUGIN_REGISTER_EPAN
static struct ws_module ecap_module = {
#ifdef ECAP_WS_MODULE_HAS_LICENSE
	.license = WS_PLUGIN_IS_GPLv2_OR_LATER,
#endif
	.flags = WS_PLUGIN_DESC_DISSECTOR,
	.version = ECAP_PLUGIN_VERSION,
	.spdx_id = "GPL-2.0-or-later",
	.home_url = "",
	.blurb = "The process that owns each packet, from ecap-tls packet comments",
	.register_cb = plugin_register,
};

WIRESHARK_PLUGIN_REGISTER_EPAN(&ecap_module, 0)
#elif defined(WS_PLUGIN_DESC_DISSECTOR)
WS_DLL_PUBLIC guint32 plugin_describe(void);

guint32
plugin_describe(void)
{
	return WS_PLUGIN_DESC_DISSECTOR;
}
#endif
