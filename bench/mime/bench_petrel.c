/* Parse throughput and peak memory of petrel's MIME library: the whole
 * tree and every leaf decoded (base64, quoted-printable), the work
 * bench_gmime.c makes GMime do.
 *   bench_petrel -n ITER FILE...   messages read into memory first, then
 *                                  parsed and decoded ITER times
 *   bench_petrel -f FILE           one message streamed from disk in
 *                                  64 KiB blocks, leaves decoded from it
 * Prints one line: octets, seconds, MB/s, parts, decoded octets, peak RSS.
 * SPDX-License-Identifier: ISC */
#include <sys/resource.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/xalloc.h"
#include "mime/mime.h"

#define BLOCK	(64 * 1024)

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
decode_mem(struct mime_part *p, const char *m, size_t len, struct buf *tmp,
    struct stats *st)
{
	struct mime_part *c;

	st->parts++;
	if (p->child == NULL) {
		buf_reset(tmp);
		mime_part_decode(p, m, len, tmp);
		st->decoded += tmp->len;
	}
	for (c = p->child; c != NULL; c = c->next)
		decode_mem(c, m, len, tmp, st);
}

/* Decode a leaf from the file in blocks, keeping no more than a block. */
static void
decode_file(int fd, struct mime_part *p, char *blk, struct buf *tmp,
    struct stats *st)
{
	struct mime_decoder d;
	struct mime_part *c;
	size_t off;
	ssize_t n;

	st->parts++;
	if (p->child == NULL) {
		mime_decoder_init(&d, p->cte);
		for (off = p->body_off; off < p->end_off; off += (size_t)n) {
			size_t want = p->end_off - off;

			n = pread(fd, blk, want < BLOCK ? want : BLOCK,
			    (off_t)off);
			if (n <= 0)
				break;
			buf_reset(tmp);
			mime_decoder_update(&d, blk, (size_t)n, tmp);
			st->decoded += tmp->len;
		}
		buf_reset(tmp);
		mime_decoder_final(&d, tmp);
		st->decoded += tmp->len;
	}
	for (c = p->child; c != NULL; c = c->next)
		decode_file(fd, c, blk, tmp, st);
}

static int
run_file(const char *path)
{
	struct mime_part *root;
	struct stats st = { 0, 0 };
	struct buf tmp = BUF_INIT;
	char *blk = xmalloc(BLOCK);
	double t0 = now(), t;
	off_t size;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1 ||
	    mime_parse_file(path, NULL, &root) == -1) {
		perror(path);
		return 1;
	}
	decode_file(fd, root, blk, &tmp, &st);
	t = now() - t0;
	size = lseek(fd, 0, SEEK_END);
	printf("petrel file octets=%lld seconds=%.3f MBps=%.1f parts=%zu "
	    "decoded=%zu peak_kb=%ld\n", (long long)size, t,
	    (double)size / t / 1e6, st.parts, st.decoded, peak_kb());
	mime_part_free(root);
	buf_free(&tmp);
	free(blk);
	close(fd);
	return 0;
}

static int
run_mem(int iter, int nfiles, char **files)
{
	struct buf *msgs = xcalloc((size_t)nfiles, sizeof(*msgs));
	struct buf tmp = BUF_INIT;
	struct stats st = { 0, 0 };
	size_t total = 0, n;
	char blk[BLOCK];
	double t0, t;
	int i, k;

	for (i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "rb");

		if (f == NULL) {
			perror(files[i]);
			return 1;
		}
		while ((n = fread(blk, 1, sizeof(blk), f)) > 0)
			buf_add(&msgs[i], blk, n);
		fclose(f);
		total += msgs[i].len;
	}
	t0 = now();
	for (k = 0; k < iter; k++)
		for (i = 0; i < nfiles; i++) {
			struct mime_part *root = mime_parse(msgs[i].data,
			    msgs[i].len, NULL);

			decode_mem(root, msgs[i].data, msgs[i].len, &tmp, &st);
			mime_part_free(root);
		}
	t = now() - t0;
	printf("petrel corpus octets=%zu seconds=%.3f MBps=%.1f parts=%zu "
	    "decoded=%zu peak_kb=%ld\n", total * (size_t)iter, t,
	    (double)total * iter / t / 1e6, st.parts, st.decoded, peak_kb());
	for (i = 0; i < nfiles; i++)
		buf_free(&msgs[i]);
	free(msgs);
	buf_free(&tmp);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-f") == 0)
		return run_file(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "-n") == 0)
		return run_mem(atoi(argv[2]), argc - 3, argv + 3);
	fprintf(stderr, "usage: bench_petrel -n ITER FILE... | -f FILE\n");
	return 2;
}
