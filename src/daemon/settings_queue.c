/* The configuration keys of the mail queue and outbound delivery, joined
 * with the others by daemon_config_schema() (settings.c).
 * SPDX-License-Identifier: ISC */
#include "daemon.h"

#define DAY	86400

const struct config_key queue_config_keys[] = {
	{ "queue.retry_min", CONFIG_DURATION, "5m", 1, 7 * DAY,
	  "First retry after a temporary failure; doubles each time" },
	{ "queue.retry_max", CONFIG_DURATION, "1h", 1, 7 * DAY,
	  "Longest wait between two attempts" },
	{ "queue.delay_warning", CONFIG_DURATION, "4h", 0, 30 * DAY,
	  "Warn the sender (DSN delayed) once after this; 0: never" },
	{ "queue.lifetime", CONFIG_DURATION, "5d", 1, 60 * DAY,
	  "Give up and bounce a message this long after its arrival" },
	{ "queue.max_connections", CONFIG_UINT, "100", 1, 100000,
	  "Outgoing SMTP deliveries at once, in total" },
	{ "queue.max_per_destination", CONFIG_UINT, "20", 1, 10000,
	  "Outgoing SMTP deliveries at once to one destination" },
	{ "queue.lease_time", CONFIG_DURATION, "2m", 10, DAY,
	  "Cluster: how long a node's claim on a queued message lasts "
	  "unless renewed; another node takes it over after that" },
	{ "queue.messages_per_connection", CONFIG_UINT, "1000", 0, 1000000,
	  "Messages sent over one connection before it is closed; 0: no cap" },
	{ "queue.idle_time", CONFIG_DURATION, "5s", 0, 3600,
	  "How long an idle outgoing connection is kept for the next message" },
	{ "queue.connect_timeout", CONFIG_DURATION, "30s", 1, 3600,
	  "Time allowed to connect and get the greeting" },
	{ "queue.command_timeout", CONFIG_DURATION, "5m", 1, 3600,
	  "Time allowed for each reply (RFC 5321 4.5.3.2); twice for '.'" },
	{ "queue.smtp_port", CONFIG_UINT, "25", 1, 65535,
	  "Port of the hosts found by MX lookup" },
	{ "queue.tls", CONFIG_STR, "may", 0, 0,
	  "STARTTLS to MX hosts: none, may (when offered), encrypt, verify" },
	{ "queue.tls_ca_file", CONFIG_STR, "", 0, 0,
	  "CA certificates (PEM) for tls=verify; empty: the system's" },
	{ "relay.host", CONFIG_STR, "", 0, 0,
	  "Smart host for all remote mail: [host]:port, or host for its MX" },
	{ "relay.tls", CONFIG_STR, "may", 0, 0,
	  "STARTTLS to the smart host: none, may, encrypt or verify" },
	{ "relay.auth_user", CONFIG_STR, "", 0, 0,
	  "User name for AUTH at the smart host; empty: no AUTH" },
	{ "relay.auth_password_file", CONFIG_STR, "", 0, 0,
	  "File whose first line is the smart host password" },
	{ "transport_map", CONFIG_STR, "", 0, 0,
	  "File of 'domain = [host]:port [tls=...]' routes; '.domain' "
	  "matches subdomains" },
	{ "dns.server", CONFIG_STR, "", 0, 0,
	  "DNS servers (host:port, comma-separated); empty: resolv.conf" },
	{ NULL, CONFIG_STR, NULL, 0, 0, NULL },
};
