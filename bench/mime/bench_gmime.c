/* The same work as bench_petrel.c done by GMime 3: construct the message
 * (the whole tree), then decode every leaf's content to a null stream.
 * Memory streams do not copy the message; file streams are persistent,
 * so GMime too keeps offsets rather than bodies.
 * SPDX-License-Identifier: ISC */
#include <sys/resource.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

struct stats {
	size_t	 parts;
	size_t	 decoded;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
peak_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void
each(GMimeObject *parent, GMimeObject *part, gpointer data)
{
	struct stats *st = data;
	GMimeDataWrapper *w;
	GMimeStream *null;

	(void)parent;
	st->parts++;
	/* Into encapsulated messages too, as petrel does. */
	if (GMIME_IS_MESSAGE_PART(part)) {
		GMimeMessage *m = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(part));

		if (m != NULL) {
			st->parts++;
			g_mime_message_foreach(m, each, st);
		}
		return;
	}
	if (!GMIME_IS_PART(part))
		return;
	if ((w = g_mime_part_get_content(GMIME_PART(part))) == NULL)
		return;
	null = g_mime_stream_null_new();
	g_mime_data_wrapper_write_to_stream(w, null);
	st->decoded += (size_t)g_mime_stream_length(null);
	g_object_unref(null);
}

static void
parse(GMimeStream *s, struct stats *st)
{
	GMimeParser *parser = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);

	if (m != NULL) {
		st->parts++;
		g_mime_message_foreach(m, each, st);
		g_object_unref(m);
	}
	g_object_unref(parser);
}

static int
run_file(const char *path)
{
	struct stats st = { 0, 0 };
	GMimeStream *s;
	double t0 = now(), t;
	off_t size;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		perror(path);
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	s = g_mime_stream_fs_new(fd);
	parse(s, &st);
	g_object_unref(s);
	t = now() - t0;
	printf("gmime file octets=%lld seconds=%.3f MBps=%.1f parts=%zu "
	    "decoded=%zu peak_kb=%ld\n", (long long)size, t,
	    (double)size / t / 1e6, st.parts, st.decoded, peak_kb());
	return 0;
}

static int
run_mem(int iter, int nfiles, char **files)
{
	GByteArray **msgs = g_new0(GByteArray *, nfiles);
	struct stats st = { 0, 0 };
	size_t total = 0;
	double t0, t;
	int i, k;

	for (i = 0; i < nfiles; i++) {
		gchar *data;
		gsize len;

		if (!g_file_get_contents(files[i], &data, &len, NULL)) {
			fprintf(stderr, "%s: cannot read\n", files[i]);
			return 1;
		}
		msgs[i] = g_byte_array_new_take((guint8 *)data, len);
		total += len;
	}
	t0 = now();
	for (k = 0; k < iter; k++)
		for (i = 0; i < nfiles; i++) {
			GMimeStream *s =
			    g_mime_stream_mem_new_with_byte_array(msgs[i]);

			g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(s), FALSE);
			parse(s, &st);
			g_object_unref(s);
		}
	t = now() - t0;
	printf("gmime corpus octets=%zu seconds=%.3f MBps=%.1f parts=%zu "
	    "decoded=%zu peak_kb=%ld\n", total * (size_t)iter, t,
	    (double)total * iter / t / 1e6, st.parts, st.decoded, peak_kb());
	for (i = 0; i < nfiles; i++)
		g_byte_array_unref(msgs[i]);
	g_free(msgs);
	return 0;
}

int
main(int argc, char **argv)
{
	int rc = 2;

	g_mime_init();
	if (argc == 3 && strcmp(argv[1], "-f") == 0)
		rc = run_file(argv[2]);
	else if (argc >= 4 && strcmp(argv[1], "-n") == 0)
		rc = run_mem(atoi(argv[2]), argc - 3, argv + 3);
	else
		fprintf(stderr,
		    "usage: bench_gmime -n ITER FILE... | -f FILE\n");
	g_mime_shutdown();
	return rc;
}
