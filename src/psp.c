/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PSP firmware behind /dev/sev (include/uapi/linux/psp-sev.h): the one
 * ioctl, the recording format that replays it under a sysroot, and the pure
 * decoders of PLATFORM_STATUS and SNP_PLATFORM_STATUS replies.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sources.h"

/* Our own copy of the uapi struct: Debian 12's header stops at GET_ID2. */
struct sv_issue_cmd {
	uint32_t cmd;
	uint64_t data;
	uint32_t error;
} __attribute__((packed));

_Static_assert(sizeof(struct sv_issue_cmd) == 16, "struct sev_issue_cmd is 16 bytes");

#define SV_SEV_ISSUE_CMD _IOWR('S', 0x0, struct sv_issue_cmd)
_Static_assert(SV_SEV_ISSUE_CMD == 0xC0105300u, "SEV_ISSUE_CMD is 0xC0105300");

int sv_psp_issue(int fd, uint32_t cmd, void *data, uint32_t *fwerr)
{
	struct sv_issue_cmd arg = { .cmd = cmd, .data = (uint64_t)(uintptr_t)data };
	int ret;

	do
		ret = ioctl(fd, SV_SEV_ISSUE_CMD, &arg);
	while (ret < 0 && errno == EINTR);
	*fwerr = arg.error;
	return ret < 0 ? -errno : 0;
}

static void issue(int fd, uint32_t cmd, size_t len, struct sv_psp_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->issued = true;
	r->len = len;
	r->ret = sv_psp_issue(fd, cmd, r->data, &r->fwerr);
}

static const struct {
	const char *name;
	uint32_t cmd;
	size_t len;
} commands[] = {
	{ "PLATFORM_STATUS", SV_PSP_PLATFORM_STATUS, SV_PSP_STATUS_LEN },
	{ "SNP_PLATFORM_STATUS", SV_PSP_SNP_PLATFORM_STATUS, SV_PSP_SNP_STATUS_LEN },
};

static int read_recording(struct sevslot_ctx *ctx, const char *path, struct sv_raw *raw)
{
	const size_t max = 64 * 1024;
	char why[192];
	struct sv_buf buf;
	int err;

	if ((err = sv_read_recording(ctx, path, max, "a /dev/sev recording", &buf)) < 0)
		return err;
	err = sv_psp_parse_recording(buf.data, buf.len, &raw->sev_open_err, &raw->status,
				     &raw->snp_status, why, sizeof(why));
	sv_buf_release(&buf);
	if (err < 0)
		return sv_fail(ctx, err, "%s/%s: %s", ctx->sysroot, path, why);
	return 0;
}

/*
 * Open /dev/sev read-only (enough for the status commands, no capability
 * needed) and ask the firmware for its status. Failures are recorded in raw,
 * not returned: only a malformed recording is an error.
 */
int sv_psp_read(struct sevslot_ctx *ctx, struct sv_raw *raw)
{
	const char *path = sv_inputs[SV_IN_DEV_SEV].path;
	int err, fd;
	enum sv_kind kind = sv_stat(ctx, path, &err);

	if (kind == SV_ABSENT) {
		raw->sev_open_err = err;
		return 0;
	}
	if (kind == SV_REGULAR && !ctx->live)
		return read_recording(ctx, path, raw);
	if (kind != SV_CHARDEV) {
		raw->sev_open_err = -ENOTTY;
		return 0;
	}
	fd = sv_open(ctx, path, O_RDONLY);
	raw->sev_open_err = fd < 0 ? fd : 0;
	if (fd < 0)
		return 0;
	issue(fd, SV_PSP_PLATFORM_STATUS, SV_PSP_STATUS_LEN, &raw->status);
	issue(fd, SV_PSP_SNP_PLATFORM_STATUS, SV_PSP_SNP_STATUS_LEN, &raw->snp_status);
	close(fd);
	return 0;
}

static void put_reply(FILE *f, const char *name, const struct sv_psp_reply *r)
{
	fprintf(f, "%s %d %u ", name, r->ret, r->fwerr);
	for (size_t i = 0; i < r->len; i++)
		fprintf(f, "%02x", r->data[i]);
	fputc('\n', f);
}

/* The replies as a recording; no device, no recording. */
int sv_psp_record(const struct sv_raw *raw, char **out, size_t *len)
{
	FILE *f;

	*out = NULL;
	*len = 0;
	if (raw->sev_open_err == -ENOENT)
		return 0;
	f = open_memstream(out, len);
	if (f == NULL)
		return -ENOMEM;
	fputs("# sevslot snapshot of /dev/sev: NAME RET FWERR HEX\n", f);
	if (raw->sev_open_err != 0) {
		fprintf(f, "OPEN %d\n", raw->sev_open_err);
	} else {
		put_reply(f, commands[0].name, &raw->status);
		put_reply(f, commands[1].name, &raw->snp_status);
	}
	return sv_memstream_close(f, out);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Split the next blank-separated field of [*p, end). */
static bool field(const char **p, const char *end, const char **f, size_t *flen)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++;
	*f = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\r')
		s++;
	*flen = (size_t)(s - *f);
	*p = s;
	return *flen > 0;
}

static int parse_int(const char *f, size_t flen, bool allow_negative, int64_t *out)
{
	char tmp[24];
	const char *q;
	uint64_t v;
	bool neg = false;

	if (flen == 0 || flen >= sizeof(tmp))
		return -EBADMSG;
	memcpy(tmp, f, flen);
	tmp[flen] = '\0';
	if (allow_negative && tmp[0] == '-')
		neg = true;
	if (sv_parse_u64(tmp + neg, &q, 10, &v) < 0 || *q != '\0' || v > INT32_MAX)
		return -EBADMSG;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int parse_command(const char *p, const char *end, struct sv_psp_reply *replies[2],
			 char *why, size_t whylen)
{
	const char *f;
	size_t flen, i;
	int64_t ret, fwerr;
	struct sv_psp_reply *r;

	field(&p, end, &f, &flen);
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (strlen(commands[i].name) == flen && memcmp(f, commands[i].name, flen) == 0)
			break;
	if (i == ARRAY_SIZE(commands)) {
		snprintf(why, whylen, "unknown command '%.*s' (expected PLATFORM_STATUS or SNP_PLATFORM_STATUS)",
			 (int)(flen > 40 ? 40 : flen), f);
		return -EBADMSG;
	}
	r = replies[i];
	if (r->issued) {
		snprintf(why, whylen, "%s is listed twice", commands[i].name);
		return -EBADMSG;
	}
	if (!field(&p, end, &f, &flen) || parse_int(f, flen, true, &ret) < 0 || ret > 0) {
		snprintf(why, whylen, "%s: RET must be 0 or a negative errno", commands[i].name);
		return -EBADMSG;
	}
	if (!field(&p, end, &f, &flen) || parse_int(f, flen, false, &fwerr) < 0) {
		snprintf(why, whylen, "%s: FWERR must be a decimal firmware status", commands[i].name);
		return -EBADMSG;
	}
	memset(r, 0, sizeof(*r));
	r->len = commands[i].len;
	if (field(&p, end, &f, &flen) || ret == 0) {
		if (flen != 2 * r->len) {
			snprintf(why, whylen, "%s: data has %zu hex digits, expected %zu",
				 commands[i].name, flen, 2 * r->len);
			return -EBADMSG;
		}
		for (size_t b = 0; b < r->len; b++) {
			int hi = hexval(f[2 * b]), lo = hexval(f[2 * b + 1]);

			if (hi < 0 || lo < 0) {
				snprintf(why, whylen, "%s: data is not hexadecimal", commands[i].name);
				return -EBADMSG;
			}
			r->data[b] = (uint8_t)(hi << 4 | lo);
		}
	}
	if (field(&p, end, &f, &flen)) {
		snprintf(why, whylen, "%s: unexpected text after the data", commands[i].name);
		return -EBADMSG;
	}
	r->issued = true;
	r->ret = (int)ret;
	r->fwerr = (uint32_t)fwerr;
	return 0;
}

/*
 * "OPEN RET": what open() of the device returned when it was recorded (a
 * snapshot writes it when the open failed, EACCES say); 0 when not listed.
 */
static int parse_open(const char *p, const char *end, int *open_err)
{
	const char *f;
	size_t flen;
	int64_t ret;

	field(&p, end, &f, &flen); /* "OPEN" */
	if (!field(&p, end, &f, &flen) || parse_int(f, flen, true, &ret) < 0 || ret > 0 ||
	    field(&p, end, &f, &flen))
		return -EBADMSG;
	*open_err = (int)ret;
	return 0;
}

/*
 * Parse a /dev/sev recording: lines "NAME RET FWERR HEX", '#' comments, and
 * optionally "OPEN RET" for an open() that failed when it was recorded.
 * A command not listed behaves as on a kernel that does not know it: -EINVAL.
 */
int sv_psp_parse_recording(const char *text, size_t len, int *open_err,
			   struct sv_psp_reply *status, struct sv_psp_reply *snp, char *why,
			   size_t whylen)
{
	struct sv_psp_reply *replies[2] = { status, snp };
	const char *p = text, *end = text + len;
	unsigned lineno = 0;
	char inner[160];

	memset(status, 0, sizeof(*status));
	memset(snp, 0, sizeof(*snp));
	*open_err = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		const char *hash = memchr(p, '#', (size_t)(eol - p));
		const char *stop = hash != NULL ? hash : eol, *f;
		size_t flen;
		const char *probe = p;

		lineno++;
		if (field(&probe, stop, &f, &flen) && flen == 4 && memcmp(f, "OPEN", 4) == 0) {
			if (parse_open(p, stop, open_err) < 0) {
				snprintf(why, whylen, "line %u: expected 'OPEN RET' with RET 0 or a negative errno",
					 lineno);
				return -EBADMSG;
			}
		} else if (flen > 0 && parse_command(p, stop, replies, inner, sizeof(inner)) < 0) {
			snprintf(why, whylen, "line %u: %s", lineno, inner);
			return -EBADMSG;
		}
		p = eol + (nl != NULL);
	}
	for (size_t i = 0; i < ARRAY_SIZE(replies); i++) {
		if (!replies[i]->issued) {
			replies[i]->issued = true;
			replies[i]->ret = -EINVAL;
			replies[i]->len = commands[i].len;
		}
	}
	return 0;
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

/*
 * Decode struct sev_user_data_status (12 bytes) and
 * struct sev_user_data_snp_status (32 bytes), both packed little-endian.
 * A command is "ok" only when the ioctl returned 0 and the firmware said
 * SUCCESS: an unknown status code is never mistaken for success.
 */
void sv_psp_decode(const struct sv_psp_reply *status, const struct sv_psp_reply *snp,
		   struct sevslot_firmware *fw)
{
	const uint8_t *d = status->data, *s = snp->data;

	fw->status_error = status->ret;
	fw->status_fwerr = status->fwerr;
	fw->status_ok = status->issued && status->ret == 0 && status->fwerr == 0;
	if (fw->status_ok) {
		fw->api_major = d[0];
		fw->api_minor = d[1];
		fw->state = (enum sevslot_fw_state)d[2];
		fw->flags = le32(d + 3);
		fw->build = d[7];
		fw->guest_count = le32(d + 8);
		fw->owner_external = fw->flags & 1u;
		fw->config_es = fw->flags & (1u << 8);
	}
	fw->snp_error = snp->ret;
	fw->snp_fwerr = snp->fwerr;
	fw->snp_ok = snp->issued && snp->ret == 0 && snp->fwerr == 0;
	if (fw->snp_ok) {
		fw->snp_api_major = s[0];
		fw->snp_api_minor = s[1];
		fw->snp_state = (enum sevslot_fw_state)s[2];
		fw->snp_rmp_initialized = s[3] & 1u;
		fw->snp_build_id = le32(s + 4);
		fw->snp_feature_info = le32(s + 8);
		fw->snp_guest_count = le32(s + 12);
		fw->snp_current_tcb = le64(s + 16);
		fw->snp_reported_tcb = le64(s + 24);
	}
}
