/* ISC license. */

#ifndef POSTHASTE_DELIVERD_REMOTE_SELF_H
#define POSTHASTE_DELIVERD_REMOTE_SELF_H

#include <stdint.h>

#include <skalibs/ip46.h>

#include "remote_conf.h"

/* 1 if ip:port is our own SMTP listener (a mail loop), else 0. */
extern int remote_self (remote_conf const *, ip46 const *ip, uint16_t port) ;

#endif
