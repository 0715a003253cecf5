// bench:scale fwd: a steady UDP sender. Sends 64-octet datagrams to [ADDR]:9 as fast as the
// socket takes them for SECONDS, then prints how many it sent. Built with cc inside UML.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: udp-blast ADDR SECONDS\n");
    return 2;
  }
  struct sockaddr_in6 dst = {.sin6_family = AF_INET6, .sin6_port = htons(9)};
  if (inet_pton(AF_INET6, argv[1], &dst.sin6_addr) != 1) return 2;
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
    perror("socket");
    return 1;
  }
  char payload[64];
  memset(payload, 0x5a, sizeof payload);
  double end = now() + atof(argv[2]);
  unsigned long sent = 0;
  for (;;) {
    for (int i = 0; i < 256; i++)
      if (send(fd, payload, sizeof payload, 0) > 0) sent++;
    if (now() >= end) break;
  }
  printf("%lu\n", sent);
  return 0;
}
