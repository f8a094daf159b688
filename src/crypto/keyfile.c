#include "crypto/keyfile.h"
#include "crypto/hash.h"
#include "crypto/random.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_HEX_LEN (GH_KEY_BYTES * 2)

static bool read_key(int fd, const char *path, uint8_t key[GH_KEY_BYTES], char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat key file %s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "key file %s is not a regular file", path);
        return false;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "key file %s is accessible by other users (mode %03o); run: chmod 600 %s", path,
                 (unsigned)(st.st_mode & 0777), path);
        return false;
    }
    char text[KEY_HEX_LEN + 2];
    size_t got = 0;
    while (got < sizeof text) {
        ssize_t n = read(fd, text + got, sizeof text - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
            return false;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got == sizeof text - 1 && text[KEY_HEX_LEN] == '\n')
        got--;
    if (got != KEY_HEX_LEN) {
        snprintf(err, errlen, "key file %s must hold exactly %d hex characters", path, KEY_HEX_LEN);
        return false;
    }
    if (!gh_hex_decode(text, KEY_HEX_LEN, key, GH_KEY_BYTES)) {
        snprintf(err, errlen, "key file %s must hold exactly %d hex characters", path, KEY_HEX_LEN);
        return false;
    }
    return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool gh_keyfile_load(const char *path, bool create, uint8_t key[GH_KEY_BYTES], bool *created,
                     char *err, size_t errlen)
{
    *created = false;
    for (;;) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
            bool ok = read_key(fd, path, key, err, errlen);
            close(fd);
            return ok;
        }
        if (errno != ENOENT || !create) {
            snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
            return false;
        }
        /* Write a temporary file completely, then link it into place: a
         * reader never sees a half-written key, and when two processes race
         * the loser's link fails with EEXIST and it reads the winner's. */
        char tmp[4096];
        if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= sizeof tmp) {
            snprintf(err, errlen, "key file path too long");
            return false;
        }
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "cannot create key file %s: %s", path, strerror(errno));
            return false;
        }
        uint8_t fresh[GH_KEY_BYTES];
        gh_random_bytes(fresh, sizeof fresh);
        char text[KEY_HEX_LEN + 1];
        gh_hex_encode(fresh, sizeof fresh, text);
        text[KEY_HEX_LEN] = '\n'; /* replaces the NUL: the file is the digits and a newline */
        bool ok = write_all(fd, text, sizeof text) && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        if (!ok) {
            snprintf(err, errlen, "cannot write key file %s: %s", tmp, strerror(errno));
            unlink(tmp);
            return false;
        }
        int lr = link(tmp, path);
        int saved = errno;
        unlink(tmp);
        if (lr == 0) {
            memcpy(key, fresh, sizeof fresh);
            *created = true;
            return true;
        }
        if (saved != EEXIST) {
            snprintf(err, errlen, "cannot create key file %s: %s", path, strerror(saved));
            return false;
        }
        /* another process won the race: loop and read its key */
    }
}
