/*
 * maildir.h — delivery into a Maildir: the embedded default transport.
 *
 * With no SMTP relay configured, each message goes into DIR/new/ the way a
 * local MTA would deliver it: written to DIR/tmp/, flushed to disk, then
 * renamed into DIR/new/ (so a reader never sees half a message). A
 * Return-Path line naming the envelope sender is put first, as an MTA's
 * final delivery does. Any mail reader (mutt -f DIR) opens the result.
 */
#ifndef DISPATCHER_MAILDIR_H
#define DISPATCHER_MAILDIR_H

#include <stddef.h>

/* Creates DIR and its tmp/, new/ and cur/ when missing. 0 / -1 + err. */
int	maildir_prepare(const char *dir, char *err, size_t errlen);

/* Delivers msg[0..n). return_path may be NULL. 0 / -1 + err. */
int	maildir_deliver(const char *dir, const char *return_path,
	    const char *msg, size_t n, char *err, size_t errlen);

#endif
