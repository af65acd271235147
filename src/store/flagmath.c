/* Flag and keyword arithmetic of STORE (RFC 3501 6.4.6), shared by the
 * backends: the new flags and keyword list of one message.
 * SPDX-License-Identifier: ISC */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "lib/xalloc.h"
#include "store/backend.h"

#define KEYWORDS_MAX	64	/* per message */

/* True when the space-separated list has word (case-insensitive). */
static bool
kw_has(const char *list, const char *word)
{
	size_t wlen = strlen(word), len;
	const char *p = list, *sp;

	while (*p != '\0') {
		sp = strchr(p, ' ');
		len = sp ? (size_t)(sp - p) : strlen(p);
		if (len == wlen && strncasecmp(p, word, len) == 0)
			return true;
		p += len + (sp != NULL);
	}
	return false;
}

/* True when word is one of the keywords the call names. */
static bool
kw_has_v(const struct store_flags_change *fc, const char *word)
{
	size_t i;

	for (i = 0; i < fc->n_keywords; i++)
		if (strcasecmp(fc->keywords[i], word) == 0)
			return true;
	return false;
}

/* The new keyword list for one message. */
char *
store_keywords_apply(const struct store_flags_change *fc, const char *old)
{
	struct buf b = BUF_INIT;
	const char *p = old, *sp;
	size_t i, len, count = 0;
	char *word;

	if (fc->op != STORE_FLAGS_SET) {
		while (*p != '\0') {
			sp = strchr(p, ' ');
			len = sp ? (size_t)(sp - p) : strlen(p);
			word = xstrndup(p, len);
			if (fc->op == STORE_FLAGS_ADD || !kw_has_v(fc, word)) {
				buf_adds(&b, b.len ? " " : "");
				buf_adds(&b, word);
				count++;
			}
			free(word);
			p += len + (sp != NULL);
		}
	}
	for (i = 0; i < fc->n_keywords && fc->op != STORE_FLAGS_REMOVE; i++) {
		if (count >= KEYWORDS_MAX ||
		    (b.len > 0 && kw_has(buf_cstr(&b), fc->keywords[i])))
			continue;
		buf_adds(&b, b.len ? " " : "");
		buf_adds(&b, fc->keywords[i]);
		count++;
	}
	if (b.len == 0)
		return xstrdup("");
	return buf_release(&b);
}

uint32_t
store_flags_apply(const struct store_flags_change *fc, uint32_t old)
{
	switch (fc->op) {
	case STORE_FLAGS_SET:
		return fc->flags;
	case STORE_FLAGS_ADD:
		return old | fc->flags;
	case STORE_FLAGS_REMOVE:
		break;
	}
	return old & ~fc->flags;
}

bool
store_flags_result_apply(const struct store_flags_change *ch,
    uint64_t unchangedsince, uint64_t modseq, struct store_flags_result *r)
{
	uint32_t fl;
	char *kw;

	/* RFC 7162 3.1.3: UNCHANGEDSINCE fails a message changed since. */
	if (unchangedsince > 0 && r->modseq > unchangedsince) {
		r->is_failed = true;
		return false;
	}
	fl = store_flags_apply(ch, r->flags);
	kw = store_keywords_apply(ch, r->keywords);
	if (fl == r->flags && strcmp(kw, r->keywords) == 0) {
		free(kw);
		return false;
	}
	free(r->keywords);
	r->keywords = kw;
	r->flags = fl;
	r->modseq = modseq;
	r->is_changed = true;
	return true;
}
