/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state and its engine room: domain discovery, the per-tick
 * decision and switch loop, watch-event dispatch and policy reload.
 * main.c owns the process (options, signals, the poll loop, systemd).
 */
#ifndef PTSWITCHD_DAEMON_H
#define PTSWITCHD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"
#include "guest.h"
#include "pins.h"
#include "policy.h"
#include "store.h"

/* Domain IDs at or above DOMID_FIRST_RESERVED (0x7ff0) are not guests. */
#define PTD_MAX_DOMID 0x7ff0

struct ptswitchd {
	struct policy policy;
	char config_path[256];	/* empty: built-in policy */
	char policy_error[320]; /* last reload error, or empty */
	bool force_advise;	/* --advise */
	struct backend be;
	struct store *xs;
	struct guest **guests; /* indexed by domid */
	unsigned int n_guests;
	/* Guests with watch events noted and not yet read, in order. */
	struct guest *ev_head, *ev_tail;
	bool scan_pending; /* a domain came or went */
	struct pins pins;  /* runtime pins, in force before the policy's */
	bool pins_pending; /* the pin directory changed */
	uint64_t last_seq; /* highest request seq handed out */
	uint64_t ticks;
	/* Figures for the benchmark and --verbose. */
	uint64_t tick_us_last, tick_us_max;
	uint64_t decide_us_last; /* tick start to last switch action */
	/* set-mode calls: how many, their total and longest duration. */
	uint64_t setmode_n, setmode_us_total, setmode_us_max;
	char status[160]; /* last STATUS= sent to systemd */
};

int ptd_init(struct ptswitchd *d);
/* Frees memory; leaves the published state for the next run. */
void ptd_fini(struct ptswitchd *d);
bool ptd_advise(const struct ptswitchd *d);
/* (Re)list domains: add new ones, forget released ones. */
void ptd_scan(struct ptswitchd *d, uint64_t now_ms);
void ptd_tick(struct ptswitchd *d, uint64_t now_ms);
/* Note one watch event (no xenstore access). */
void ptd_event(struct ptswitchd *d, const char *path, const char *token);
/* Act on the noted events: each guest's changed nodes read once. */
void ptd_events_apply(struct ptswitchd *d, uint64_t now_ms);
/*
 * Take at most PTD_EVENTS_PER_PASS pending watch events, then act on
 * them.  False if the xenstore connection is gone.  Taking one costs
 * about a microsecond, and xenstored needs tens of microseconds for each
 * write that fires it: the bound is a safety net, several times what a
 * guest writing flat out produces between two passes (100 ms).
 */
#define PTD_EVENTS_PER_PASS 16384
bool ptd_take_events(struct ptswitchd *d);
/* Reload the policy file; keeps the old policy on error.  0 or -1. */
int ptd_reload(struct ptswitchd *d);
void ptd_status(const struct ptswitchd *d, char *buf, size_t size);

/* publish.c: what admins and guests read. */
void publish_daemon(struct ptswitchd *d);
void publish_guest(struct ptswitchd *d, struct guest *g, uint64_t now_ms);
void publish_guest_stats(struct ptswitchd *d, struct guest *g);
void publish_forget(struct ptswitchd *d, struct guest *g);

/* Wall-clock and monotonic milliseconds. */
uint64_t ptd_realtime_s(void);

#endif /* PTSWITCHD_DAEMON_H */
