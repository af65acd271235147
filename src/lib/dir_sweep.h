/* The start-up sweeps of the store and the queue: remove the files of a
 * directory that no row refers to any more (a crash between a body's
 * rename and its transaction).
 * SPDX-License-Identifier: ISC */
#ifndef PETREL_DIR_SWEEP_H
#define PETREL_DIR_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

/* Sort names[0..n) (by strcmp) for dir_sweep(). */
void	dir_sweep_sort(char **names, size_t n);
/* Unlink each file of dir, dot files aside, whose name names[0..n)
 * (sorted by dir_sweep_sort) does not hold: every file when n is 0. A
 * failed unlink is logged as "<who> event=sweep path=...", and each
 * removal as "<who> event=sweep file=..." when is_each_logged. Returns how
 * many files went; 0 when dir cannot be read. */
size_t	dir_sweep(const char *dir, char *const *names, size_t n,
	    const char *who, bool is_each_logged);

#endif
