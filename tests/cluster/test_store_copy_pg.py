"""petrel store copy between the embedded store and PostgreSQL (issue 9):
tests/system/test_store_copy.py's checks with a PostgreSQL database as
the target, then the way back into a fresh data directory.
SPDX-License-Identifier: ISC
"""

import os
import unittest

import pgserver
import test_store_copy                 # tests/system/test_store_copy.py


@unittest.skipUnless(pgserver.available(), "no PostgreSQL server binaries")
class StoreCopyPgTest(test_store_copy.StoreCopyTest):

    def setUp(self):
        super().setUp()
        self.pg = pgserver.PgServer(self.workdir).start()
        self.addCleanup(self.pg.cleanup)

    def target_location(self):
        return self.pg.url

    def target_config(self, location):
        return "store = %s\n" % location, None

    def test_copy_back(self):
        """Embedded -> PostgreSQL -> a new embedded store: the same mail."""
        self.fill()
        before = {u: test_store_copy.imap_state(self.srv.ports["imap"],
                                                self.addr[u])
                  for u in self.users}
        self.assertEqual(self.srv.stop(), 0)
        self.copy(self.srv.data_dir, self.pg.url)
        back = os.path.join(self.workdir, "back-data")
        self.copy(self.pg.url, back)
        srv = self.new_server(listen=("smtp", "imap"), data_dir=back)
        srv.start()
        for u in self.users:
            after = test_store_copy.imap_state(srv.ports["imap"],
                                               self.addr[u])
            self.assertModseqsGrew(before[u], after)
            self.assertEqual(before[u], after, "account %s differs" % u)

    # The conflicting-target case is the embedded store's test's.
    test_refuses_a_conflicting_target = None

