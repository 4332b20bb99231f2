// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sends one line to a unix stream socket and prints the one line that comes back. Tests run it
 * under another uid to see what the daemon's control socket allows that uid.
 *
 *   smtcheck-control-client SOCKET LINE
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char c;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: %s SOCKET LINE\n", argv[0]);
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		perror("connect");
		return 1;
	}
	if (write(fd, argv[2], strlen(argv[2])) < 0 || write(fd, "\n", 1) != 1) {
		perror("write");
		return 1;
	}
	while (read(fd, &c, 1) == 1 && c != '\n')
		putchar(c);
	putchar('\n');
	close(fd);
	return 0;
}
