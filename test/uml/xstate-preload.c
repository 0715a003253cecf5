/*
 * LD_PRELOAD for Debian's user-mode Linux 6.1 on hosts with a large XSAVE area.
 *
 * UML 6.1 saves and restores each of its processes' vector registers with
 * ptrace(PTRACE_GETREGSET / PTRACE_SETREGSET, NT_X86_XSTATE) through a buffer of a size
 * fixed when it was built (2,696 bytes in Debian's: x87 to AVX-512 and PKRU). The host
 * kernel refuses a SETREGSET of any size but its own XSAVE size with EFAULT; on a host with
 * AMX that size is 11,008 bytes (the tile state comes after PKRU), and UML dies at its first
 * user process ("ptrace set fp regs failed, errno = 14", then "Attempted to kill init").
 * Later UML kernels size the buffer from CPUID; Debian bookworm ships 6.1.
 *
 * This library widens those two calls to the host's size. For each UML buffer (one per UML
 * thread) it keeps the part UML has no room for, so each UML thread gets back exactly what
 * it had (and a SETREGSET needs no extra GETREGSET first). Every other ptrace call passes
 * through. UML makes these calls from one host thread, so the table needs no lock.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

#define NT_X86_XSTATE_NOTE 0x202
#define XSTATE_BV_OFFSET 512
#define PROBE_BYTES (64 * 1024)
#define SLOTS 8192

typedef long (*ptrace_fn)(enum __ptrace_request, pid_t, void *, void *);

static ptrace_fn real_ptrace;
static size_t host_size;        /* the host's XSAVE size; 0 until the first XSTATE call */
static uint64_t short_features; /* features that lie wholly inside UML's buffer */
static size_t short_size;       /* UML's buffer size that short_features was computed for */
static unsigned char *scratch;

struct slot {
  const void *key; /* UML's buffer */
  unsigned char *full;
};
static struct slot slots[SLOTS];

/* The slot of one UML buffer; NULL when the table is full or memory ran out (the caller
 * then uses the host thread's current registers for the part UML cannot hold). */
static struct slot *slot_for(const void *key) {
  size_t start = (size_t)(((uintptr_t)key >> 4) * 2654435761u) % SLOTS;
  for (size_t i = 0; i < SLOTS; i++) {
    struct slot *s = &slots[(start + i) % SLOTS];
    if (s->key == key) return s;
    if (s->key == NULL) {
      s->full = calloc(1, host_size);
      if (s->full == NULL) return NULL;
      s->key = key;
      return s;
    }
  }
  return NULL;
}

/* XSAVE feature bits whose standard-format area ends within `size` bytes (CPUID 0xD). */
static uint64_t features_within(size_t size) {
  uint64_t mask = 0;
  if (size >= 512) mask |= 3; /* x87 and SSE live in the legacy area */
  for (unsigned i = 2; i < 63; i++) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx) || eax == 0) continue;
    if ((size_t)ebx + eax <= size) mask |= (uint64_t)1 << i;
  }
  return mask;
}

static int probe(pid_t pid) {
  if (scratch == NULL && (scratch = malloc(PROBE_BYTES)) == NULL) return -1;
  struct iovec v = {scratch, PROBE_BYTES};
  if (real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &v) < 0) return -1;
  host_size = v.iov_len;
  return 0;
}

static uint64_t xstate_bv(const unsigned char *area) {
  uint64_t bv;
  memcpy(&bv, area + XSTATE_BV_OFFSET, sizeof bv);
  return bv;
}

static long get_xstate(pid_t pid, struct iovec *uml) {
  struct slot *s = slot_for(uml->iov_base);
  unsigned char *full = s != NULL ? s->full : scratch;
  struct iovec v = {full, host_size};
  if (real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &v) < 0) return -1;
  memcpy(uml->iov_base, full, uml->iov_len);
  return 0;
}

static long set_xstate(pid_t pid, struct iovec *uml) {
  struct slot *s = slot_for(uml->iov_base);
  unsigned char *full = s != NULL ? s->full : scratch;
  if (s == NULL) {
    struct iovec now = {scratch, host_size};
    if (real_ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &now) < 0) return -1;
  }
  if (short_size != uml->iov_len) {
    short_features = features_within(uml->iov_len);
    short_size = uml->iov_len;
  }
  /* UML's bytes, with its feature bits for the features they hold; the kept part, with the
   * bits it was read with. */
  uint64_t bv = (xstate_bv(uml->iov_base) & short_features) | (xstate_bv(full) & ~short_features);
  memcpy(full, uml->iov_base, uml->iov_len);
  memcpy(full + XSTATE_BV_OFFSET, &bv, sizeof bv);
  struct iovec v = {full, host_size};
  return real_ptrace(PTRACE_SETREGSET, pid, (void *)NT_X86_XSTATE_NOTE, &v);
}

long ptrace(enum __ptrace_request request, ...) {
  va_list ap;
  va_start(ap, request);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if (real_ptrace == NULL) real_ptrace = (ptrace_fn)dlsym(RTLD_NEXT, "ptrace");
  if (real_ptrace == NULL) {
    errno = ENOSYS;
    return -1;
  }
  int xstate = (request == PTRACE_GETREGSET || request == PTRACE_SETREGSET) && (uintptr_t)addr == NT_X86_XSTATE_NOTE;
  if (!xstate || data == NULL) return real_ptrace(request, pid, addr, data);
  if (host_size == 0 && probe(pid) < 0) return real_ptrace(request, pid, addr, data);
  struct iovec *uml = data;
  if (uml->iov_len >= host_size || uml->iov_len < XSTATE_BV_OFFSET + 64) return real_ptrace(request, pid, addr, data);
  return request == PTRACE_GETREGSET ? get_xstate(pid, uml) : set_xstate(pid, uml);
}
