/* The configuration file: "key = value" lines checked against a schema, a
 * table of the keys petrel knows with their types, defaults and ranges.
 * Lines starting with '#' and text after " #" are comments; blank lines are
 * skipped. docs/CONFIG.md is generated from the schema.
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_CONFIG_H
#define PETREL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

struct buf;
struct config;

enum config_type {
	CONFIG_STR,		/* any text, may be empty */
	CONFIG_UINT,		/* decimal number */
	CONFIG_SIZE,		/* bytes: 512, 512K, 10M, 1G, 2T (powers of
				 * 1024, suffix in either case) */
	CONFIG_DURATION,	/* seconds: 30, 30s, 5m, 1h, 2d, 1w */
	CONFIG_BOOL,		/* yes/no, true/false, on/off */
	CONFIG_LISTEN,		/* listener list, see net_listen_parse();
				 * empty means disabled */
};

/* One row of the schema; a schema ends with a row whose name is NULL.
 * default_value is parsed like a value in the file (NULL means "").
 * min and max bound CONFIG_UINT, CONFIG_SIZE (bytes) and CONFIG_DURATION
 * (seconds); max 0 means no upper bound. They are ignored for the other
 * types. */
struct config_key {
	const char		*name;
	enum config_type	 type;
	const char		*default_value;
	uint64_t		 min;
	uint64_t		 max;
	const char		*help;
};

/* Read the file at path and check it against schema, which must outlive the
 * result. Keys missing from the file take their defaults. Returns the
 * configuration, to be freed with config_free(); or NULL with *err_out a
 * heap string the caller frees, naming the file and line:
 * "petrel.conf:12: unknown key 'listen.smpt' (did you mean 'listen.smtp'?)".
 * When the file cannot be opened, errno tells why (ENOENT: it does not
 * exist, so the caller may fall back to config_defaults()). A bad default in
 * the schema is a mistake in petrel: fatalx(). */
struct config	*config_load(const char *path,
		    const struct config_key *schema, char **err_out);
/* The same for the text at p[0..len); name stands for the file name in
 * error messages. */
struct config	*config_load_mem(const char *p, size_t len,
		    const char *name, const struct config_key *schema,
		    char **err_out);
/* Every key at its default. Never fails, apart from a fatalx() on a bad
 * default. */
struct config	*config_defaults(const struct config_key *schema);
/* config_free(NULL) does nothing. */
void		 config_free(struct config *cfg);

/* Set one key as if from the file, for command-line overrides; a later
 * config_set() of the same key wins. Returns 0; or -1 with the key
 * unchanged and *err_out a heap string the caller frees
 * ("smtp.max_size: not a size"). */
int		 config_set(struct config *cfg, const char *name,
		    const char *value, char **err_out);

/* The getters. Asking for a key that is not in the schema, or that has
 * another type, is a mistake in petrel and fails an assertion. Strings and
 * lists are owned by cfg and valid until the key is set again or cfg is
 * freed. */
const char	*config_str(const struct config *cfg, const char *name);
uint64_t	 config_uint(const struct config *cfg, const char *name);
bool		 config_bool(const struct config *cfg, const char *name);
/* In bytes. */
uint64_t	 config_size(const struct config *cfg, const char *name);
/* In seconds. */
uint64_t	 config_duration(const struct config *cfg, const char *name);
/* The parsed addresses of a CONFIG_LISTEN key; count 0 when disabled. */
const struct net_addr_list *config_listen(const struct config *cfg,
		    const char *name);
/* The value as written (trimmed) for a key of any type, e.g. "10M". */
const char	*config_text(const struct config *cfg, const char *name);

/* Append the effective configuration to out, one "key = value" line per
 * key in schema order, for `petrel config show`; passwords in URLs are
 * masked (config_mask_secret()). */
void		 config_dump(const struct config *cfg, struct buf *out);
/* Append value to out with the password of a URL in it, in the user
 * information ("postgresql://user:secret@host") or as a password=
 * query parameter, replaced by "****"; anything else unchanged. */
void		 config_mask_secret(const char *value, struct buf *out);
/* Append the schema to out as a Markdown table (key, type, default, range,
 * description) for docs/CONFIG.md. */
void		 config_schema_markdown(const struct config_key *schema,
		    struct buf *out);

#endif
